"""The template repository's own code is held to the standard it generates."""

from __future__ import annotations

import subprocess

from helpers import ROOT, tool

PYTHON_DIRS = ["hooks", "tests", "bench", "docs", "scripts/update-pins", "scripts/metrics"]
SHELL_SCRIPTS = ["generate", "tests/run", ".ci/run"]


def run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_ruff_check_and_format() -> None:
    for argv in ([tool("ruff"), "check", *PYTHON_DIRS], [tool("ruff"), "format", "--check", *PYTHON_DIRS]):
        result = run(argv)
        assert result.returncode == 0, result.stdout + result.stderr


def test_shell_scripts_pass_shellcheck() -> None:
    result = run([tool("shellcheck"), *SHELL_SCRIPTS])
    assert result.returncode == 0, result.stdout
