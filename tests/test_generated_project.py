"""Each framework's generated project, installed for real, passes its own test suite.

Runs on every offered Python version this machine has an interpreter for (pyenv
or PATH); 3.14 and 3.15 are exercised inside containers by the docker tier.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FRAMEWORKS, PYTHONS, supported

pytestmark = pytest.mark.venv


def interpreter(python: str) -> str | None:
    """A CPython of this minor version on this machine, if any."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(root.glob(f"{python}.*"), reverse=True):
        exe = candidate / "bin" / f"python{python}"
        if exe.exists():
            return str(exe)
    return shutil.which(f"python{python}")


AVAILABLE = [py for py in PYTHONS if interpreter(py)]
CASES = [(py, fw) for fw in FRAMEWORKS for py in AVAILABLE if supported(py, fw)]


def test_every_framework_runs_on_at_least_two_local_pythons() -> None:
    for framework in FRAMEWORKS:
        assert len([py for py, fw in CASES if fw == framework]) >= 2, (framework, AVAILABLE)


def normalize(pin: str) -> str:
    """`Pydantic_Core==2.0` and `pydantic-core==2.0` name the same pin (PEP 503)."""
    name, _, version = pin.partition("==")
    return re.sub(r"[-_.]+", "-", name).lower() + "==" + version.strip()


def sh(argv: list[str], cwd: Path, timeout: int = 600) -> str:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.parametrize(("python", "framework"), CASES)
def test_make_install_test_and_lint_pass(bake, python: str, framework: str) -> None:
    """The README's own commands: `make install`, `make test`, `make lint`."""
    project = bake(python_version=python, framework=framework)
    make = shutil.which("make")
    assert make, "GNU make is needed for the generated Makefile"
    sh([make, "install", f"PYTHON={interpreter(python)}"], project)
    venv_python = str(project / ".venv" / "bin" / "python")
    version = sh([venv_python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], project)
    assert version.strip() == python
    output = sh([make, "test"], project)
    assert " passed" in output and "failed" not in output and " error" not in output.lower()
    sh([make, "lint"], project)
    # What is installed is exactly what the requirements pin.
    frozen = {normalize(line) for line in sh([venv_python, "-m", "pip", "freeze"], project).splitlines()}
    for req in ("requirements.txt", "requirements-dev.txt"):
        for line in (project / req).read_text(encoding="utf-8").splitlines():
            if "==" in line:
                assert normalize(line) in frozen, line
