"""Finish the generated project and check it before the user sees it.

Runs in the new project's directory under the Python that runs cookiecutter:
standard library only. It keeps the chosen framework's files, drops the
others, then checks the result; any failure exits non-zero, and cookiecutter
then removes the half-made project. Safe to run twice, needs no network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

# The whole cookiecutter context, as data; parsed only in main().
CONTEXT_JSON = r"""{{ cookiecutter | tojson }}"""

FRAMEWORKS_DIR = "_frameworks"
LOCKS = ("requirements.txt", "requirements-dev.txt")
# scripts/update-pins sets this to bake a framework that has no lock yet, for its first `make lock`.
FIRST_LOCK = "TEMPLATE_FIRST_LOCK"
JINJA_RE = re.compile(r"\{(\{|%|#)")  # written so that Jinja does not see a tag here
# Braces that belong in the output: GitHub Actions expressions and Go templates (docker -f).
INTENDED_BRACES_RE = re.compile(r"\$\{\{.*?\}\}|\{\{\.[\w.]+\}\}")
# A locked requirement: name==version and an optional environment marker (its hashes follow).
PIN_RE = re.compile(
    r"(?P<pin>[A-Za-z0-9][A-Za-z0-9._-]*==[0-9][A-Za-z0-9.+!-]*)"
    r"(?: ?; ?(?P<marker>[^\\]+?))?"
)
HASH_RE = re.compile(r"--hash=sha256:[0-9a-f]{64}")
# The free-text answers (the pre-generation hook's FREE_TEXT; each hook runs on its own).
FREE_TEXT = ("project_name", "description", "author_name", "author_email")
# Files that exist only when their option is on.
OPTIONAL_FILES = {
    "include_compose": ["compose.yaml", ".env.example"],
    "include_github_actions": [".github"],
    "include_pre_commit": [".pre-commit-config.yaml"],
    "include_kubernetes": ["deploy"],
}


class Broken(Exception):
    """The generated project is not what the template promises."""


def apply_framework(root: Path, framework: str) -> None:
    """Move the chosen framework's files into place and remove every framework's staging copy."""
    staging = root / FRAMEWORKS_DIR
    if not staging.is_dir():  # already applied (a re-run)
        return
    chosen = staging / framework
    if not chosen.is_dir():
        raise Broken(f"framework: no files for {framework!r} in the template")
    for source in sorted(chosen.rglob("*")):
        target = root / source.relative_to(chosen)
        if source.is_dir():
            target.mkdir(exist_ok=True)
        else:
            shutil.copy2(source, target)
    shutil.rmtree(staging)


def remove_unselected(root: Path, answers: dict) -> None:
    """Delete the files of every option the user turned off (nothing if already gone)."""
    for option, paths in OPTIONAL_FILES.items():
        if answers.get(option) is True:
            continue
        for relative in paths:
            path = root / relative
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()


def text_files(root: Path):
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".git" not in path.parts:
            try:
                yield path, path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue


def answer_forms(answers: dict) -> list[str]:
    """Each free-text answer as it may appear in a file: raw, or escaped for TOML or a Dockerfile."""
    forms = set()
    for field in FREE_TEXT:
        value = answers.get(field)
        if isinstance(value, str) and value:
            quoted = value.replace("\\", "\\\\").replace('"', '\\"')
            forms.update({value, quoted, quoted.replace("$", "\\$")})
    return sorted(forms, key=len, reverse=True)


def has_leftover(text: str, forms: list[str]) -> bool:
    """Whether `text` holds a Jinja opener (JINJA_RE) that is neither part of intended braces
    nor inside one of the user's answers (`forms`, from answer_forms), which may hold braces."""
    covered = [match.span() for match in INTENDED_BRACES_RE.finditer(text)]
    for form in forms:
        start = text.find(form)
        while start >= 0:
            covered.append((start, start + len(form)))
            start = text.find(form, start + 1)
    return any(
        not any(begin <= opener.start() and opener.end() <= end for begin, end in covered)
        for opener in JINJA_RE.finditer(text)
    )


def find_leftovers(root: Path, answers: dict) -> list[str]:
    """Files with unrendered Jinja, ignoring the user's own answers (which may contain braces)."""
    forms = answer_forms(answers)
    return [str(path.relative_to(root)) for path, text in text_files(root) if has_leftover(text, forms)]


def check_python_compiles(root: Path) -> None:
    for path in sorted(root.rglob("*.py")):
        try:
            compile(path.read_text(encoding="utf-8"), str(path), "exec")
        except SyntaxError as error:
            raise Broken(f"{path.relative_to(root)}: does not compile: {error}") from None


def check_dockerfile(text: str, python_version: str, port: str, package: str) -> None:
    expected = {
        f"ARG PYTHON_VERSION={python_version}": "the chosen Python version",
        "FROM python:${PYTHON_VERSION}-slim": "the slim base image",
        f"EXPOSE {port}": "the chosen port",
        f"PORT={port}": "the chosen port as the PORT default",
        f'CMD ["python", "-I", "-S", "/app/{package}/healthcheck.py"]': "the health check",
        f'ENTRYPOINT ["python", "-m", "{package}"]': "the entrypoint",
        "USER 10001:10001": "the non-root user",
    }
    for needle, meaning in expected.items():
        # Whole words on a line: "EXPOSE 80" must not pass for "EXPOSE 8000".
        if not re.search(rf"(?:^|\s){re.escape(needle)}(?:\s|$)", text, re.MULTILINE):
            raise Broken(f"Dockerfile: missing {needle!r} ({meaning})")


def requirement_entries(text: str) -> list[tuple[int, str]]:
    """The requirements of a compiled file, each joined across its `\\` continuations,
    with the number of its first line; comments and blank lines dropped."""
    entries: list[tuple[int, str]] = []
    continued = False
    for number, line in enumerate(text.splitlines(), 1):
        code = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if continued:
            entries[-1] = (entries[-1][0], entries[-1][1] + " " + code.rstrip("\\").strip())
        elif code:
            entries.append((number, code.rstrip("\\").strip()))
        continued = code.endswith("\\")
    return entries


def check_requirements(text: str, name: str) -> list[str]:
    """Every requirement must be an exact pin with at least one sha256 hash; return the pins."""
    pins = []
    for number, entry in requirement_entries(text):
        requirement, *hashes = entry.split(" --hash=")
        match = PIN_RE.fullmatch(requirement.strip())
        if not match:
            raise Broken(f"{name}:{number}: {requirement!r} is not an exact pin (name==version)")
        if not hashes or not all(HASH_RE.fullmatch("--hash=" + value.strip()) for value in hashes):
            raise Broken(f"{name}:{number}: {match['pin']} has no sha256 hash (run `make lock`)")
        pins.append(match["pin"])
    return pins


def check_runtime_packages(pins: list[str]) -> None:
    """The entrypoint hands over to granian, so the runtime lock must pin it."""
    if not any(pin.partition("==")[0].lower() == "granian" for pin in pins):
        raise Broken(f"requirements.txt: granian, which serves the app, is not pinned; found {pins}")


def validate(root: Path, answers: dict) -> None:
    leftovers = find_leftovers(root, answers)
    if leftovers:
        raise Broken(f"unrendered template code in: {', '.join(leftovers)}")
    check_python_compiles(root)
    dockerfile = (root / "Dockerfile").read_text(encoding="utf-8")
    check_dockerfile(dockerfile, answers["python_version"], str(answers["port"]), answers["__package"])
    if first_lock(root):
        return
    runtime = check_requirements((root / "requirements.txt").read_text(encoding="utf-8"), "requirements.txt")
    check_runtime_packages(runtime)
    check_requirements((root / "requirements-dev.txt").read_text(encoding="utf-8"), "requirements-dev.txt")


def first_lock(root: Path, environ: dict[str, str] | None = None) -> bool:
    """With FIRST_LOCK=1 and no lock yet, leave empty locks for `make lock` to fill; True if so."""
    environ = os.environ if environ is None else environ
    if environ.get(FIRST_LOCK) != "1" or any((root / name).exists() for name in LOCKS):
        return False
    for name in LOCKS:
        (root / name).write_text("", encoding="utf-8")
    print(f"{FIRST_LOCK}=1: no lock yet; run `make lock` to write {' and '.join(LOCKS)}", file=sys.stderr)
    return True


def next_steps(answers: dict) -> str:
    slug, port = answers["project_slug"], answers["port"]
    chosen = f"{answers['framework']}, Python {answers['python_version']}, port {port}"
    return "\n".join(
        [
            f"Created {slug}/ ({chosen}). Next:",
            f"  cd {slug}",
            f"  docker build -t {slug} .",
            f"  docker run --rm -p 127.0.0.1:{port}:{port} {slug}",
            f"  curl http://127.0.0.1:{port}/health",
            "README.md has the test and configuration details.",
        ]
    )


def main(context_json: str = CONTEXT_JSON, root: Path | None = None) -> int:
    answers = json.loads(context_json)
    root = Path.cwd() if root is None else root
    try:
        apply_framework(root, answers["framework"])
        remove_unselected(root, answers)
        validate(root, answers)
    except (Broken, OSError) as error:
        print(f"ERROR: generated project failed its checks: {error}", file=sys.stderr)
        return 1
    print(next_steps(answers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
