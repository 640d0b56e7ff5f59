"""Generated projects stay in sync with the template through cruft."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import FRAMEWORKS, LARGEST, PYTHONS, ROOT, interpreter, render_hook, supported, tool, version

pytestmark = pytest.mark.update

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,  # no user configuration leaks in
}
TEMPLATE_PARTS = ["cookiecutter.json", "hooks", "templates", "{{cookiecutter.project_slug}}"]


def sh(argv: list[str], cwd: Path, check: bool = True, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, **GIT_ENV}
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check:
        assert result.returncode == 0, f"{' '.join(argv)}:\n{result.stdout}\n{result.stderr}"
    return result


def git_commit(repo: Path, message: str) -> None:
    sh(["git", "add", "-A"], repo)
    sh(["git", "commit", "-q", "-m", message], repo)


def template_repo(tmp_path: Path) -> Path:
    """A local git copy of this template, as an org fork would be."""
    repo = tmp_path / "template"
    repo.mkdir()
    for part in TEMPLATE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, repo / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo / part)
    sh(["git", "init", "-q", "-b", "main"], repo)
    git_commit(repo, "template v1")
    return repo


def test_cruft_create_check_update_keeps_local_work(tmp_path: Path) -> None:
    cruft = tool("cruft")
    template = template_repo(tmp_path)
    out = tmp_path / "out"
    # Away from the defaults: another framework, the oldest Python it runs on, another port.
    framework = FRAMEWORKS[1]
    python = min((py for py in PYTHONS if supported(py, framework)), key=version)
    context = {
        "project_name": "Billing API",
        "framework": framework,
        "python_version": python,
        "port": "8080",
    }
    sh(
        [
            cruft,
            "create",
            str(template),
            "--no-input",
            "--output-dir",
            str(out),
            "--extra-context",
            json.dumps(context),
        ],
        tmp_path,
    )
    project = out / "billing-api"
    assert json.loads((project / ".cruft.json").read_text())["context"]["cookiecutter"]["port"] == "8080"
    sh(["git", "init", "-q", "-b", "main"], project)
    git_commit(project, "generated")
    assert sh([cruft, "check"], project, check=False).returncode == 0

    # The team's own work in the project...
    package = project / "billing_api" / "__init__.py"
    package.write_text(package.read_text() + 'OWNER = "billing"\n')
    git_commit(project, "add OWNER")

    # ...and a change to the template: a new default and a new line in the README.
    config = template / "{{cookiecutter.project_slug}}" / "{{cookiecutter.__package}}" / "config.py"
    config.write_text(
        config.read_text().replace("DEFAULT_GRACEFUL_TIMEOUT = 8", "DEFAULT_GRACEFUL_TIMEOUT = 9")
    )
    readme = template / "{{cookiecutter.project_slug}}" / "README.md"
    readme.write_text(readme.read_text() + "\nUpdated from the template.\n")
    git_commit(template, "template v2")

    drift = sh([cruft, "check"], project, check=False)
    assert drift.returncode != 0, drift.stdout + drift.stderr

    sh([cruft, "update", "--skip-apply-ask", "--allow-untracked-files"], project)
    assert not list(project.rglob("*.rej")), "cruft update left conflicts"
    assert "DEFAULT_GRACEFUL_TIMEOUT = 9" in (project / "billing_api" / "config.py").read_text()
    assert (project / "README.md").read_text().endswith("Updated from the template.\n")
    assert 'OWNER = "billing"' in package.read_text()  # local work survives
    git_commit(project, "cruft update")
    assert sh([cruft, "check"], project, check=False).returncode == 0

    # The updated project still installs, lints and passes its own tests.
    interpreter_path = interpreter(python)
    if interpreter_path is None:
        pytest.skip(f"no Python {python} on this machine for the updated project's tests")
    make = shutil.which("make")
    sh([make, "install", f"PYTHON={interpreter_path}"], project)
    sh([make, "test"], project)
    sh([make, "lint"], project)


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_post_hook_rerun_on_a_finished_project_changes_nothing(bake, tmp_path: Path) -> None:
    project = bake(framework=LARGEST, python_version="3.13")
    answers = {
        "project_name": "Acme Service",
        "project_slug": "acme-service",
        "__package": "acme_service",
        "description": "A containerized Python web service.",
        "author_name": "Acme Platform Team",
        "author_email": "platform@example.com",
        "python_version": "3.13",
        "framework": LARGEST,
        "port": "8000",
        "include_compose": True,
        "include_github_actions": True,
        "include_pre_commit": True,
        "include_kubernetes": True,
    }
    before = tree_digest(project)
    script = render_hook("post_gen_project", answers, tmp_path)
    # In a network namespace of its own (no network at all) where this machine allows it.
    isolate = ["unshare", "--net"] if shutil.which("unshare") and os.geteuid() == 0 else []
    result = subprocess.run(
        [*isolate, sys.executable, str(script)], cwd=project, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert tree_digest(project) == before
