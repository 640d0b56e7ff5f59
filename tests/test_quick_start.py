"""The template README's Quick start, as a newcomer runs it: a fresh copy of the repository,
python3 on PATH and no uv, uvx or pipx.

The first command is run exactly as the README writes it, through the real prompts (Enter
at each); the second, `tests/run`, is run on the same copy as far as preparing its tools
and collecting the suite (running the whole suite inside itself would recurse). A refused
answer prints the hook's one line and cookiecutter's one-line summary, no traceback.
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
    """PATH without uv, uvx or pipx (python3, git and make stay), and an empty home."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("VIRTUAL_ENV", "UV_"))}
    return {**without_uv(env), "HOME": str(home)}


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository as a fresh clone has it: tracked and new files, nothing ignored (no .venv)."""
    target = tmp_path_factory.mktemp("clone") / "template"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    return target


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


def test_the_second_command_prepares_its_tools_on_a_fresh_machine(clone: Path, tmp_path: Path) -> None:
    env = fresh_machine_env(tmp_path / "home")
    result = subprocess.run(
        ["bash", "-c", f"{quick_start()[1]} --collect-only -q -p no:cacheprovider tests/test_hooks.py"],
        cwd=clone, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(r"\d+ tests? collected", result.stdout), result.stdout[-2000:]
    assert (clone / ".venv" / "tools" / "checkov" / "bin" / "checkov").exists()
