"""What `make install` says when it cannot use PYTHON: uv's reason, and the Pythons found.

    python3 scripts/pythons.py reason < uv-output      # uv's error, in one line
    python3 scripts/pythons.py found UV MINIMUM IMAGE  # the Pythons here, in one line

uv's own list (`uv python list --only-installed`: PATH, uv-managed and other known places)
misses the pyenv versions that are installed but not active, so their bin directories are
searched too; such a Python is named by its path, which uv then finds. Runs on the python3
that bootstraps uv, before any venv exists: standard library only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def reason(uv_output: str) -> str:
    """uv's error in one line: the error, its first cause and its last (the root)."""
    lines = [line.strip() for line in uv_output.splitlines()]
    errors = [line[len("error:") :].strip() for line in lines if line.startswith("error:")]
    causes = [line[len("cause:") :].strip() for line in lines if line.startswith("cause:")]
    parts = errors[:1] + causes[:1] + causes[1:][-1:]
    return ": ".join(parts) if parts else "uv gave no reason"


def dotted(minor: tuple[int, int]) -> str:
    return ".".join(map(str, minor))


def pyenv_dirs() -> list[str]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    return sorted(str(bin_dir) for bin_dir in root.glob("versions/*/bin"))


def listed(uv: str, path: str) -> list[tuple[tuple[int, int], str]]:
    """(minor version, interpreter) for each CPython uv finds with this PATH."""
    result = subprocess.run(  # noqa: S603 - uv from .tools, arguments fixed
        [uv, "python", "list", "--only-installed", "--output-format", "json"],
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        entries = json.loads(result.stdout)
    except ValueError:
        return []
    return [
        ((entry["version_parts"]["major"], entry["version_parts"]["minor"]), entry["path"])
        for entry in entries
        if entry.get("implementation") == "cpython" and entry.get("variant", "default") == "default"
    ]


def found(uv: str) -> dict[tuple[int, int], str]:
    """Each CPython minor version here, with what to pass as PYTHON: the version where uv
    finds it by itself, else the interpreter's path."""
    path = os.environ.get("PATH", "")
    pythons = {minor: dotted(minor) for minor, _ in listed(uv, path)}
    extra = pyenv_dirs()
    for minor, interpreter in listed(uv, os.pathsep.join([path, *extra])):
        if minor not in pythons and str(Path(interpreter).parent) in extra:
            pythons[minor] = interpreter
    return pythons


def describe(pythons: dict[tuple[int, int], str], minimum: str, image: str) -> str:
    floor = tuple(int(part) for part in minimum.split("."))
    usable = sorted((minor for minor in pythons if minor >= floor), reverse=True)
    older = ", ".join(dotted(minor) for minor in sorted(pythons, reverse=True) if minor < floor)
    if not usable:
        also = f" (found only {older})" if older else ""
        return f"no Python {minimum} or newer found here{also}; install one, best {image} as the image runs"
    named = ", ".join(
        dotted(m) if pythons[m] == dotted(m) else f"{dotted(m)} at {pythons[m]}" for m in usable
    )
    return f"Pythons found here: {named}; for example: make install PYTHON={pythons[usable[0]]}"


def main(argv: list[str]) -> int:
    if argv[:1] == ["reason"]:
        print(reason(sys.stdin.read()))
        return 0
    if argv[:1] == ["found"] and len(argv) == 4:
        uv, minimum, image = argv[1:]
        print(describe(found(uv), minimum, image))
        return 0
    print("usage: pythons.py reason < uv-output, or: pythons.py found UV MINIMUM IMAGE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
