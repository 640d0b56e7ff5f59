"""The yes/no options: each one on and off bakes clean, and real validators accept its files."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from helpers import COMBINATIONS, FLAGS, OPTION_FILES, OPTIONS, ROOT, files_of, tool

# .env.example sets nothing as it is: every line is blank or a comment, so a copy changes no default.
SETS_NOTHING = (
    "import sys; lines = open(sys.argv[1], encoding='utf-8').read().splitlines(); "
    "sys.exit([line for line in lines if line.strip() and not line.startswith('#')] or None)"
)

# Each file of an option, and the validator that must accept it.
VALIDATORS = {
    "compose.yaml": ["check-jsonschema", "--builtin-schema", "vendor.compose-spec"],
    ".env.example": ["python", "-c", SETS_NOTHING],
    ".github/workflows/ci.yml": ["check-jsonschema", "--builtin-schema", "vendor.github-workflows"],
    ".github/workflows/template-update.yml": [
        "check-jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
    ],
    ".github/dependabot.yml": ["check-jsonschema", "--builtin-schema", "vendor.dependabot"],
    ".pre-commit-config.yaml": ["pre-commit", "validate-config"],
    # The whole base must render; each manifest must match the Kubernetes API schema.
    "deploy/kubernetes/kustomization.yaml": ["kubectl", "kustomize"],
    **{
        path: ["kubernetes-validate", "--strict", "--quiet"]
        for path in OPTION_FILES["include_kubernetes"]
        if not path.endswith("kustomization.yaml")
    },
}


def validate(project: Path, relative: str) -> None:
    name, *args = VALIDATORS[relative]
    target = str(Path(relative).parent) if relative.endswith("kustomization.yaml") else relative
    result = subprocess.run(
        [tool(name), *args, target], cwd=project, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"{relative}: {result.stdout}{result.stderr}"


def test_every_option_file_has_a_validator() -> None:
    assert set(VALIDATORS) == set().union(*OPTION_FILES.values())


@pytest.mark.parametrize("framework", OPTIONS["framework"])
@pytest.mark.parametrize("flag", FLAGS)
@pytest.mark.parametrize("on", [True, False])
def test_option_on_and_off(baked, flag: str, on: bool, framework: str) -> None:
    python = "3.13"  # offered for every framework
    project = baked(**{flag: "yes" if on else "no"}, framework=framework, python_version=python, port="8080")
    files = files_of(project)
    for relative in OPTION_FILES[flag]:
        assert (relative in files) is on, relative
        if on:
            validate(project, relative)
    readme = (project / "README.md").read_text(encoding="utf-8")
    mention = {
        "include_compose": "docker compose up",
        "include_pre_commit": "make hooks",
        "include_kubernetes": "kubectl apply -k deploy/kubernetes",
    }
    if flag in mention:
        assert (mention[flag] in readme) is on
    if flag == "include_github_actions" and not on:
        assert not (project / ".github").exists()


@pytest.mark.parametrize(("python", "framework"), COMBINATIONS)
def test_github_files_pass_zizmor(baked, python: str, framework: str) -> None:
    """zizmor, the GitHub Actions security linter, finds nothing: pinned actions, no persisted
    credentials, least permissions, Dependabot cooldowns. Its most inclusive persona (auditor),
    with no configuration file or ignore comment honoured, so nothing can be waved through."""
    project = baked(python_version=python, framework=framework, port="8080")
    argv = [tool("zizmor"), "--offline", "--persona=auditor", "--no-config", "--no-ignores"]
    argv += ["--strict-collection", "--no-progress", "--color=never", ".github"]
    result = subprocess.run(argv, cwd=project, capture_output=True, text=True, timeout=120, check=False)
    output = f"{result.stdout}{result.stderr}"
    assert result.returncode == 0, output
    assert "No findings to report" in result.stdout, output
    for relative in OPTION_FILES["include_github_actions"]:  # every file was audited, none skipped
        assert f"completed {relative}" in result.stderr, output


def test_workflows_call_hash_files_only_in_steps(baked) -> None:
    """GitHub rejects a whole workflow whose job-level `if` calls hashFiles() (only steps may),
    and neither the schema nor zizmor notices: the drift check guards its steps instead."""
    project = baked()
    for workflow in sorted((project / ".github" / "workflows").glob("*.yml")):
        for name, job in yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"].items():
            assert "hashFiles" not in str(job.get("if", "")), f"{workflow.name}: job {name}"
    drift = yaml.safe_load((project / ".github/workflows/template-update.yml").read_text(encoding="utf-8"))
    guards = [s.get("if") for s in drift["jobs"]["cruft-check"]["steps"] if "cruft" in s.get("run", "")]
    assert guards == ["hashFiles('.cruft.json') != ''"] * 2  # pip install cruft, cruft check


def test_all_options_off_still_bakes_a_complete_service(baked) -> None:
    project = baked(**dict.fromkeys(FLAGS, "no"))
    assert {"Dockerfile", "Makefile", "README.md", "requirements.txt"} <= files_of(project)
    assert not set().union(*OPTION_FILES.values()) & files_of(project)


def test_compose_service_matches_the_answers(baked) -> None:
    project = baked(port="9090", project_name="Billing API")
    compose = yaml.safe_load((project / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["billing-api"]
    assert service["ports"] == ["127.0.0.1:9090:9090"]
    assert service["restart"] == "unless-stopped"
    assert service["env_file"] == [{"path": ".env", "required": False}]
    assert service["healthcheck"]["test"] == ["CMD", "python", "-I", "-S", "/app/billing_api/healthcheck.py"]
    assert service["read_only"] is True


def test_ci_workflow_lints_tests_builds_and_runs_hadolint(baked) -> None:
    project = baked(python_version="3.12", port="9090")
    workflow = yaml.safe_load((project / ".github/workflows/ci.yml").read_text(encoding="utf-8"))
    steps = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    assert {"make lint", "make test", 'make build SOURCE_URL="$SOURCE_URL"'} <= set(steps)
    assert "make lock && git diff --exit-code requirements.txt requirements-dev.txt" in steps
    assert "hadolint Dockerfile" in (project / "Makefile").read_text(encoding="utf-8")
    setup = next(
        s for j in workflow["jobs"].values() for s in j["steps"] if "setup-python" in s.get("uses", "")
    )
    assert setup["with"]["python-version"] == "3.12"
    assert any("127.0.0.1:9090:9090" in step for step in steps)


def test_dependabot_covers_pip_docker_and_actions(baked) -> None:
    project = baked()
    config = yaml.safe_load((project / ".github/dependabot.yml").read_text(encoding="utf-8"))
    assert {u["package-ecosystem"] for u in config["updates"]} == {"pip", "docker", "github-actions"}


def test_pre_commit_runs_ruff_hadolint_and_standard_hooks(baked) -> None:
    project = baked()
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    ids = {hook["id"] for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "hadolint", "trailing-whitespace", "end-of-file-fixer"} <= ids
    ruff_rev = next(r["rev"] for r in config["repos"] if r["repo"].endswith("ruff-pre-commit"))
    dev = (project / "requirements-dev.txt").read_text(encoding="utf-8")
    assert f"ruff=={ruff_rev.lstrip('v')}" in dev  # pre-commit and `make lint` use the same ruff


def test_make_hooks_needs_git_then_installs_pre_commit_as_the_git_hook(bake) -> None:
    """The README's pre-commit section: `git init`, then `make hooks` (in a copy: both write to it)."""
    project = bake()
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}
    hooks = {"cwd": project, "capture_output": True, "text": True, "timeout": 300, "env": env}
    outside = subprocess.run(["make", "hooks"], **hooks)
    assert outside.returncode != 0
    assert (
        "make hooks: this directory is not the root of a git repository yet; run git init first"
        in outside.stderr
    )
    subprocess.run(["git", "init", "--quiet"], cwd=project, check=True, env=env)
    result = subprocess.run(["make", "hooks"], **hooks)
    assert result.returncode == 0, result.stdout + result.stderr
    hook = (project / ".git" / "hooks" / "pre-commit").read_text(encoding="utf-8")
    assert ".tools/pre-commit/bin/python" in hook
    pinned = re.search(r"pre-commit==(\S+)", (project / "Makefile").read_text(encoding="utf-8"))[1]
    assert f'"pre-commit=={pinned}"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


ENV_LINE = re.compile(r"^# ([A-Z][A-Z0-9_]*)=(.*)$", re.MULTILINE)
README_DEFAULT = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|", re.MULTILINE)


@pytest.mark.parametrize("framework", OPTIONS["framework"])
def test_env_example_lists_every_setting_with_its_default(baked, framework: str) -> None:
    """.env.example (for compose's optional .env) has a commented-out line for each row of the
    README's Configuration table, in its order, with the README's default; config.py accepts
    every one of them uncommented; compose.yaml still runs without a .env."""
    project = baked(framework=framework, port="8080")
    example = ENV_LINE.findall((project / ".env.example").read_text(encoding="utf-8"))
    readme = (project / "README.md").read_text(encoding="utf-8")
    table = README_DEFAULT.findall(readme.split("\n## Configuration", 1)[1].split("\n## ", 1)[0])
    assert [name for name, _ in example] == [name for name, _ in table]
    for (name, value), (_, default) in zip(example, table, strict=True):
        literal = re.fullmatch(r"`([^`]*)`", default.strip())
        if literal:
            assert value == literal[1], (name, value, default)
        elif default.strip() == "off":
            assert value == "0", (name, value, default)
        else:  # computed at start ("one per CPU", "random per container"): empty means the default
            assert value in ("", re.search(r"`([^`]*)`", default)[1] if "`" in default else ""), name
    accepted = subprocess.run(
        [tool("python"), "-B", "-c", "import json, sys; from acme_service import config; "
         "config.from_env(json.loads(sys.argv[1]))", json.dumps(dict(example))],
        cwd=project, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr
    compose = yaml.safe_load((project / "compose.yaml").read_text(encoding="utf-8"))
    assert compose["services"]["acme-service"]["env_file"] == [{"path": ".env", "required": False}]
