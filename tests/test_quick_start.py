"""The template README's Quick start, as a newcomer runs it: a fresh copy of the repository,
python3 on PATH and no uv, uvx or pipx.

The first command is run exactly as the README writes it, through the real prompts (Enter
at each); run again, it says in one line that the directory is taken. Then both in order on
one copy: `./generate` leaves `acme-service/` there, and `tests/run` prepares its tools,
collects the suite and passes this module's first test from that copy (running the whole
suite inside itself would recurse). A refused answer prints the hook's one line and
cookiecutter's one-line summary, no traceback.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import PROMPTS, ROOT, without_uv

pytestmark = pytest.mark.quick_start


def quick_start() -> list[str]:
    """The commands of the README's Quick start block, comments dropped."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)[1]
    return [line.split("#", 1)[0].strip() for line in block.splitlines() if line.split("#", 1)[0].strip()]


def fresh_machine_env(home: Path) -> dict[str, str]:
    """PATH without uv, uvx or pipx (python3, git and make stay), an empty home, and none of the
    suite's own settings (its COOKIECUTTER_CONFIG)."""
    suite = ("VIRTUAL_ENV", "UV_", "COOKIECUTTER_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(suite)}
    return {**without_uv(env), "HOME": str(home)}


def git_files(source: Path, *which: str) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", *which, "-z"], cwd=source, capture_output=True, check=True
    ).stdout.decode()
    return [relative for relative in listed.split("\0") if relative]


def fresh_clone(source: Path, target: Path) -> Path:
    """`source` as a fresh clone of it holds it, committed in a git repository of its own:
    the tracked files and the new ones not yet committed, but nothing ignored (no .venv) and
    no untracked top-level directory. That is where `./generate` writes a service
    (`acme-service/`), which a fresh clone does not have and whose name the copy's own
    `./generate` would find taken."""
    tracked = git_files(source, "--cached")
    tops = {relative.split("/", 1)[0] for relative in tracked if "/" in relative}
    new = git_files(source, "--others", "--exclude-standard")
    for relative in tracked + [r for r in new if "/" not in r or r.split("/", 1)[0] in tops]:
        if (source / relative).is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / relative, target / relative)
    git = ["git", "-c", "user.name=Quick Start", "-c", "user.email=quick@start.invalid"]
    commit = ["-c", "commit.gpgsign=false", "commit", "--quiet", "--no-verify", "-m", "fresh clone"]
    for argv in (["init", "--quiet"], ["add", "--all"], commit):
        subprocess.run([*git, *argv], cwd=target, capture_output=True, check=True)
    return target


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_clone(ROOT, tmp_path_factory.mktemp("clone") / "template")


def test_the_quick_start_has_exactly_two_commands() -> None:
    assert len(quick_start()) == 2, quick_start()
    assert quick_start()[1] == "tests/run"
    assert "exec tests/run\n" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")  # CI runs the same


def test_the_first_command_generates_a_service_on_a_fresh_machine(clone: Path, tmp_path: Path) -> None:
    env = fresh_machine_env(tmp_path / "home")
    assert shutil.which("uv", path=env["PATH"]) is None and shutil.which("uvx", path=env["PATH"]) is None
    result = subprocess.run(
        ["bash", "-c", quick_start()[0]], cwd=clone, env=env, input="\n" * (PROMPTS + 1),
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    project = clone / "acme-service"
    assert (project / "Dockerfile").is_file() and (project / "requirements.txt").is_file()
    assert "Created acme-service/" in result.stdout
    # Run again, the directory is taken: one line saying what to do, and nothing touched.
    again = subprocess.run(
        [str(clone / "generate"), "--no-input"], cwd=clone, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert again.returncode == 1
    assert (again.stderr + again.stdout).strip().splitlines() == [
        "generate: acme-service/ exists already; generate elsewhere with -o DIR, name it otherwise "
        "with project_name=... or project_slug=..., or overwrite it with -f"
    ], again.stdout + again.stderr
    assert (project / "Dockerfile").is_file()
    # A refused answer: the hook's one line and cookiecutter's one-line summary, no traceback.
    refused = subprocess.run(
        [str(clone / "generate"), "--no-input", "-o", str(tmp_path), "port=eighty"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    lines = (refused.stderr + refused.stdout).strip().splitlines()
    assert refused.returncode == 1
    assert sorted(lines) == sorted(
        ["ERROR: port: 'eighty' is not a whole number; use an integer from 1 to 65535",
         "Hook script failed (exit status: 1)"]
    ), lines  # fmt: skip


def run_ok(argv: list[str], cwd: Path, env: dict[str, str]) -> str:
    """The command's stdout; fails the test with the ends of both streams if it fails."""
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def test_the_two_commands_in_order_on_one_fresh_clone(tmp_path: Path) -> None:
    """`./generate` leaves `acme-service/` in the clone; then `tests/run` prepares its tools,
    collects the suite and, from that clone, passes the quick-start test that copies it and
    generates there (rather than the whole suite, which would run inside itself)."""
    clone = fresh_clone(ROOT, tmp_path / "template")
    env = fresh_machine_env(tmp_path / "home")
    generate = [*quick_start()[0].split(), "--no-input"]
    result = subprocess.run(generate, cwd=clone, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (clone / "acme-service" / "Dockerfile").is_file()
    suite = f"{quick_start()[1]} -p no:cacheprovider"  # the second command, with pytest's options
    collected = run_ok(["bash", "-c", f"{suite} --collect-only -q tests/test_hooks.py"], clone, env)
    assert re.search(r"\d+ tests? collected", collected), collected[-2000:]
    assert (clone / ".venv" / "tools" / "checkov" / "bin" / "checkov").exists()
    inner = "tests/test_quick_start.py::test_the_first_command_generates_a_service_on_a_fresh_machine"
    assert re.search(r"\b1 passed\b", run_ok(["bash", "-c", f"{suite} -n 0 -q {inner}"], clone, env))
