"""Bake every combination the template offers and check what comes out, file by file."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter
from test_hooks import post

from conftest import (
    COMBINATIONS,
    DEFAULT_PYTHON,
    FRAMEWORKS,
    OPTIONS,
    PYTHONS,
    REFUSED,
    ROOT,
    answer_prompts,
    newest_supported,
    supported,
    tool,
)

SHARED_FILES = {
    ".dockerignore",
    ".gitignore",
    "Dockerfile",
    "Makefile",
    "README.md",
    "pyproject.toml",
    "requirements.in",
    "requirements.txt",
    "requirements-dev.in",
    "requirements-dev.txt",
    "scripts/dev.py",
    "acme_service/__init__.py",
    "acme_service/__main__.py",
    "acme_service/config.py",
    "acme_service/headers.py",
    "acme_service/healthcheck.py",
    "acme_service/server.py",
    "tests/test_config.py",
    "tests/test_healthcheck.py",
    "tests/test_server.py",
    "tests/test_app.py",
}
FRAMEWORK_FILES = {
    "fastapi": {"acme_service/app.py"},
    "flask": {"acme_service/app.py"},
    "none": {"acme_service/app.py"},
    "django": {
        "manage.py",
        "acme_service/middleware.py",
        "acme_service/settings.py",
        "acme_service/urls.py",
        "acme_service/views.py",
        "acme_service/wsgi.py",
        "tests/conftest.py",
        "tests/test_settings.py",
    },
}
# Files of the yes/no options, all on by default.
OPTION_FILES = {
    "include_compose": {"compose.yaml"},
    "include_github_actions": {
        ".github/dependabot.yml",
        ".github/workflows/ci.yml",
        ".github/workflows/template-update.yml",
    },
    "include_pre_commit": {".pre-commit-config.yaml"},
    "include_kubernetes": {
        f"deploy/kubernetes/{name}.yaml"
        for name in (
            "kustomization",
            "namespace",
            "serviceaccount",
            "deployment",
            "service",
            "hpa",
            "pdb",
            "networkpolicy",
        )
    },
}
ALL_OPTION_FILES = set().union(*OPTION_FILES.values())
PORTS = ["8000", "8080", "80", "65535"]


def files_of(project: Path) -> set[str]:
    return {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_framework_files_cover_every_framework() -> None:
    assert set(FRAMEWORK_FILES) == set(FRAMEWORKS)


def test_option_files_cover_every_option() -> None:
    assert set(OPTION_FILES) == {key for key, value in OPTIONS.items() if isinstance(value, bool)}


@pytest.mark.parametrize(("python", "framework"), COMBINATIONS)
def test_every_combination_bakes_clean(bake, python: str, framework: str) -> None:
    project = bake(python_version=python, framework=framework)
    assert project.name == "acme-service"
    assert files_of(project) == SHARED_FILES | FRAMEWORK_FILES[framework] | ALL_OPTION_FILES

    for path in project.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(project)
        # GitHub Actions expressions and docker's Go templates are meant to be there.
        plain = re.sub(r"\$\{\{.*?\}\}|'\{\{\.[\w.]+\}\}'", "", text)
        assert not re.search(r"\{\{|\{%|\{#|cookiecutter", plain), f"template leftovers in {name}"
        assert text.endswith("\n") and not text.endswith("\n\n"), f"{name} must end with one newline"
        # Python separates top-level definitions by two blank lines; nothing else has two.
        debris = "\n\n\n\n" if path.suffix == ".py" else "\n\n\n"
        assert debris not in text, f"blank-line debris in {name}"
        assert not re.search(r"[ \t]+$", text, re.MULTILINE), f"trailing whitespace in {name}"

    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["requires-python"] == f">={python}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + python.replace(".", "")
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    assert f"ARG PYTHON_VERSION={python}\n" in dockerfile
    assert "# syntax=" not in dockerfile


@pytest.mark.parametrize(("python", "framework"), COMBINATIONS)
def test_generated_code_passes_ruff(bake, python: str, framework: str) -> None:
    project = bake(python_version=python, framework=framework)
    ruff = tool("ruff")
    check = run([ruff, "check", "--no-cache", "."], project)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = run([ruff, "format", "--check", "--no-cache", "."], project)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("port", PORTS)
def test_dockerfile_passes_hadolint_and_carries_the_port(bake, framework: str, port: str) -> None:
    project = bake(framework=framework, port=port, python_version=newest_supported(framework))
    lint = run([tool("hadolint"), "--no-color", "Dockerfile"], project)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    assert f"\nEXPOSE {port}\n" in dockerfile
    assert f"    PORT={port}\n" in dockerfile
    assert f"docker run --rm -p 127.0.0.1:{port}:{port} acme-service" in dockerfile
    assert f"DEFAULT_PORT = {port}\n" in (project / "acme_service/config.py").read_text(encoding="utf-8")
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert f"docker run --rm -p 127.0.0.1:{port}:{port} acme-service" in readme
    assert f"curl http://127.0.0.1:{port}/health" in readme


def shell_scripts(project: Path) -> dict[str, str]:
    """Every piece of shell in the project: *.sh files and the `run:` steps of workflows."""
    scripts = {str(p.relative_to(project)): p.read_text(encoding="utf-8") for p in project.rglob("*.sh")}
    for workflow in sorted((project / ".github" / "workflows").glob("*.yml")):
        for job_name, job in yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"].items():
            for number, step in enumerate(job["steps"]):
                if "run" in step:
                    # GitHub runs steps with `bash -e {0}`.
                    scripts[f"{workflow.name}:{job_name}:{number}"] = "#!/bin/bash\nset -e\n" + step["run"]
    return scripts


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_shell_passes_shellcheck(bake, framework: str, tmp_path: Path) -> None:
    project = bake(framework=framework, python_version=newest_supported(framework), port="8080")
    scripts = shell_scripts(project)
    assert any("docker run" in body for body in scripts.values())  # the CI smoke test is among them
    for name, body in scripts.items():
        script = tmp_path / "script.sh"
        script.write_text(body, encoding="utf-8")
        result = run([tool("shellcheck"), "--severity=style", str(script)], tmp_path)
        assert result.returncode == 0, f"{name}:\n{result.stdout}"


@pytest.mark.parametrize(("python", "framework"), COMBINATIONS)
def test_requirements_are_locked_and_none_has_no_packages(bake, python: str, framework: str) -> None:
    """The post-generation hook's own rule (exact pins, sha256 hashes), and what each framework needs."""
    project = bake(python_version=python, framework=framework)
    pins, dev = (
        post.check_requirements((project / name).read_text(encoding="utf-8"), name)
        for name in ("requirements.txt", "requirements-dev.txt")
    )
    if framework == "none":
        assert pins == []
    else:
        assert any(pin.startswith(f"{framework}==") for pin in pins)
        assert any(pin.startswith("granian==") for pin in pins)
    assert set(pins) <= set(dev), "the tests must run against the runtime pins"
    assert any(pin.startswith("pytest==") for pin in dev)
    for name in ("requirements.txt", "requirements-dev.txt"):  # `make lock` wrote them
        assert (
            (project / name)
            .read_text(encoding="utf-8")
            .startswith("# This file was autogenerated by uv via the following command:\n#    make lock\n")
        )


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_lock_covers_every_offered_python(bake, framework: str) -> None:
    """One universal lock per framework: the Makefile compiles it for the oldest Python offered."""
    project = bake(python_version=newest_supported(framework), framework=framework)
    makefile = (project / "Makefile").read_text(encoding="utf-8")
    offered = [py for py in PYTHONS if supported(py, framework)]
    oldest = min(offered, key=lambda version: tuple(map(int, version.split("."))))
    assert f"LOCK_PYTHON := {oldest}\n" in makefile
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    uv_image = re.search(r"^ARG UV_VERSION=(\S+)$", dockerfile, re.MULTILINE)
    assert f"UV_VERSION := {uv_image[1]}\n" in makefile, "the Makefile and the image must use the same uv"


def test_the_framework_staging_directory_never_ships(bake) -> None:
    for framework in FRAMEWORKS:
        project = bake(framework=framework, python_version=newest_supported(framework))
        assert not (project / "_frameworks").exists()


def test_a_unicode_project_name_gives_a_clean_slug(bake) -> None:
    project = bake(project_name="Café Überweisung Ünïcode")
    assert project.name == "cafe-uberweisung-unicode"
    assert (project / "cafe_uberweisung_unicode" / "__init__.py").is_file()


# --- refusals ---------------------------------------------------------------------------------


def assert_refused(tmp_path, capfd, answers: dict, *expected: str) -> None:
    """Generation fails with the expected message and leaves nothing in the output directory."""
    with pytest.raises((FailedHookException, ValueError)) as error:
        cookiecutter(str(ROOT), no_input=True, extra_context=answers, output_dir=str(tmp_path))
    message = str(error.value) + capfd.readouterr().err
    for text in expected:
        assert text in message, message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("python", "framework"), REFUSED)
def test_unsupported_pairs_are_refused_naming_what_works(
    tmp_path: Path, capfd, python: str, framework: str
) -> None:
    assert_refused(
        tmp_path,
        capfd,
        {"python_version": python, "framework": framework},
        "ERROR: python_version:",
        framework,
        "choose one of",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("port", "0"),
        ("port", "65536"),
        ("port", "eighty"),
        ("port", " 80"),
        ("project_slug", "My App"),
        ("project_slug", "../escape"),
        ("project_slug", "Acme-Service"),
        ("author_email", "nobody"),
    ],
)
def test_invalid_answers_fail_in_the_hook_and_leave_nothing(
    tmp_path: Path, capfd, field: str, value: str
) -> None:
    assert_refused(tmp_path, capfd, {field: value}, f"ERROR: {field}: {value!r}")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("python_version", "3.9"),
        ("python_version", "3.10"),
        ("python_version", "4.0"),
        ("framework", "rails"),
    ],
)
def test_values_outside_a_choice_list_are_refused(tmp_path: Path, capfd, field: str, value: str) -> None:
    # cookiecutter itself refuses these before any hook runs, naming the field and the choices.
    assert_refused(tmp_path, capfd, {field: value}, field, value, "choices are")


def replay_answers(**changes: str) -> dict:
    answers = {k: v for k, v in OPTIONS.items() if k != "__prompts__"}
    answers.update(python_version=DEFAULT_PYTHON, framework=FRAMEWORKS[0], port="8000")
    answers.update(project_slug="acme-service", __package="acme_service", **changes)
    return {"cookiecutter": answers}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("python_version", "3.10", "ERROR: python_version: '3.10' is past end of life"),
        ("python_version", "3.9", "ERROR: python_version: '3.9' is past end of life"),
        ("python_version", "4.0", "ERROR: python_version: '4.0' is not offered; choose one of"),
        ("framework", "rails", "ERROR: framework: 'rails' is not offered; choose one of fastapi, flask"),
    ],
)
def test_a_stale_replay_file_meets_the_hook(
    tmp_path: Path, capfd, field: str, value: str, message: str
) -> None:
    """Replay files skip cookiecutter's choice checks, so the hook is the guard."""
    replay = tmp_path / "acme.json"
    replay.write_text(json.dumps(replay_answers(**{field: value})), encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(FailedHookException):
        cookiecutter(str(ROOT), replay=str(replay), output_dir=str(out))
    assert message in capfd.readouterr().err
    assert not (out / "acme-service").exists()


def test_pressing_enter_through_the_prompts_gives_the_defaults(tmp_path: Path) -> None:
    result = answer_prompts([], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    project = tmp_path / "acme-service"
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    assert f"ARG PYTHON_VERSION={DEFAULT_PYTHON}" in dockerfile
    assert "EXPOSE 8000" in dockerfile
    assert "fastapi==" in (project / "requirements.txt").read_text(encoding="utf-8")
    assert "docker run --rm -p 127.0.0.1:8000:8000 acme-service" in result.stdout
    for label in ("Python version", "Web framework", "(recommended"):
        assert label in result.stdout
