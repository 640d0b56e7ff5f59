"""Shared facts about the template, read from cookiecutter.json, and baking helpers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = json.loads((ROOT / "cookiecutter.json").read_text(encoding="utf-8"))
PYTHONS: list[str] = OPTIONS["python_version"]
FRAMEWORKS: list[str] = OPTIONS["framework"]
MIN_PYTHON: dict[str, str] = OPTIONS["_framework_min_python"]
DEFAULT_PYTHON = PYTHONS[0]


def version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def supported(python: str, framework: str) -> bool:
    return version(python) >= version(MIN_PYTHON.get(framework, "0"))


COMBINATIONS = [(py, fw) for py in PYTHONS for fw in FRAMEWORKS if supported(py, fw)]
REFUSED = [(py, fw) for py in PYTHONS for fw in FRAMEWORKS if not supported(py, fw)]


def newest_supported(framework: str) -> str:
    return max((py for py in PYTHONS if supported(py, framework)), key=version)


@pytest.fixture
def bake(cookies):
    """Bake with the given answers; return the project path, or fail with cookiecutter's error."""

    def _bake(**answers: str) -> Path:
        result = cookies.bake(extra_context=answers, template=str(ROOT))
        assert result.exception is None, f"bake failed for {answers}: {result.exception!r}"
        assert result.exit_code == 0
        return Path(result.project_path)

    return _bake


def answer_prompts(typed: list[str], output_dir: Path) -> subprocess.CompletedProcess:
    """Run the real interactive cookiecutter, typing `typed` and then Enter at every other prompt."""
    prompts = sum(1 for key in OPTIONS if not key.startswith("_"))
    return subprocess.run(
        [sys.executable, "-m", "cookiecutter", str(ROOT), "-o", str(output_dir)],
        input="\n".join(typed + [""] * (prompts - len(typed) + 1)),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tool(name: str) -> str:
    """A command-line tool installed with the test dependencies."""
    beside = Path(sys.executable).parent / name  # the venv running pytest, activated or not
    path = str(beside) if beside.exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run the suite with tests/run")
    return path


def without_uv(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment with no uv, uvx or pipx on PATH, as on a fresh machine."""
    environ = dict(os.environ if environ is None else environ)
    dirs = [
        d for d in environ["PATH"].split(os.pathsep)
        if d and not any((Path(d) / name).exists() for name in ("uv", "uvx", "pipx"))
    ]  # fmt: skip
    return {**environ, "PATH": os.pathsep.join(dirs)}
