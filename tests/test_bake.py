"""Bake every combination the template offers and check what comes out, file by file."""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import tomllib
from pathlib import Path

import jinja2
import jinja2.nodes
import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from helpers import (
    ALL_OPTION_FILES,
    COMBINATIONS,
    DEFAULT_PYTHON,
    FLAGS,
    FRAMEWORKS,
    FRAMEWORKS_DIR,
    OPTION_FILES,
    OPTIONS,
    PYTHONS,
    REFUSED,
    ROOT,
    TEMPLATE,
    answer_prompts,
    files_of,
    newest_supported,
    post,
    readme_settings,
    shell_scripts,
    supported,
    tool,
    version,
)
from measure import uv_version

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
    "scripts/pythons.py",
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


def framework_files(framework: str) -> set[str]:
    """The files a framework adds (its files under _frameworks/ that replace no shared one), as
    the default answers name them."""
    own = FRAMEWORKS_DIR / framework
    files = {str(p.relative_to(own)) for p in own.rglob("*") if p.is_file()}
    return {f.replace("{{cookiecutter.__package}}", "acme_service") for f in files} - SHARED_FILES


FRAMEWORK_FILES = {framework: framework_files(framework) for framework in FRAMEWORKS}
PORTS = ["8000", "8080", "80", "65535"]


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_every_framework_has_an_app_module() -> None:
    # granian serves cookiecutter.json's _framework_target: the module must be the framework's own.
    for framework in FRAMEWORKS:
        module = OPTIONS["_framework_target"][framework].split(":")[0].replace(".", "/")
        assert f"acme_service/{module}.py" in FRAMEWORK_FILES[framework], framework


def test_option_files_cover_every_option() -> None:
    """The post-generation hook removes files for exactly the yes/no options, each at least one."""
    assert set(OPTION_FILES) == set(FLAGS)
    assert all(OPTION_FILES.values()), OPTION_FILES


@pytest.mark.parametrize(("python", "framework"), COMBINATIONS)
def test_every_combination_bakes_clean(baked, python: str, framework: str) -> None:
    project = baked(python_version=python, framework=framework)
    assert project.name == "acme-service"
    assert files_of(project) == SHARED_FILES | FRAMEWORK_FILES[framework] | ALL_OPTION_FILES

    forms = post.answer_forms(OPTIONS)  # the default free-text answers
    for path in project.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(project)
        assert not post.has_leftover(text, forms), f"template leftovers in {name}"  # the hook's rule
        assert "cookiecutter" not in text, f"the template's variables named in {name}"
        assert text.endswith("\n") and not text.endswith("\n\n"), f"{name} must end with one newline"
        # Python separates top-level definitions by two blank lines; nothing else has two.
        debris = "\n\n\n\n" if path.suffix == ".py" else "\n\n\n"
        assert debris not in text, f"blank-line debris in {name}"
        assert not re.search(r"[ \t]+$", text, re.MULTILINE), f"trailing whitespace in {name}"

    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["requires-python"] == f">={python}"
    assert pyproject["tool"]["ruff"]["target-version"] == "py" + python.replace(".", "")
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    post.check_dockerfile(dockerfile, python, OPTIONS["port"], "acme_service")  # the hook's rule
    assert "# syntax=" not in dockerfile


@pytest.mark.parametrize(("python", "framework"), COMBINATIONS)
def test_generated_code_passes_ruff(baked, python: str, framework: str) -> None:
    project = baked(python_version=python, framework=framework)
    ruff = tool("ruff")
    check = run([ruff, "check", "--no-cache", "."], project)
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = run([ruff, "format", "--check", "--no-cache", "."], project)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("port", PORTS)
def test_dockerfile_passes_hadolint_and_carries_the_port(baked, framework: str, port: str) -> None:
    project = baked(framework=framework, port=port, python_version=newest_supported(framework))
    lint = run([tool("hadolint"), "--no-color", "Dockerfile"], project)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    post.check_dockerfile(dockerfile, newest_supported(framework), port, "acme_service")  # the hook's rule
    assert f"docker run --rm -p 127.0.0.1:{port}:{port} acme-service" in dockerfile
    assert f"DEFAULT_PORT = {port}\n" in (project / "acme_service/config.py").read_text(encoding="utf-8")
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert f"docker run --rm -p 127.0.0.1:{port}:{port} acme-service" in readme
    assert f"curl http://127.0.0.1:{port}/health" in readme


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_shell_passes_shellcheck(baked, framework: str, tmp_path: Path) -> None:
    project = baked(framework=framework, python_version=newest_supported(framework), port="8080")
    scripts = shell_scripts(project)
    assert any("docker run" in body for body in scripts.values())  # the CI smoke test is among them
    for name, body in scripts.items():
        script = tmp_path / "script.sh"
        script.write_text(body, encoding="utf-8")
        result = run([tool("shellcheck"), "--severity=style", str(script)], tmp_path)
        assert result.returncode == 0, f"{name}:\n{result.stdout}"


@pytest.mark.parametrize(("python", "framework"), COMBINATIONS)
def test_requirements_are_locked_and_pin_the_server(baked, python: str, framework: str) -> None:
    """The post-generation hook's own rule (exact pins, sha256 hashes), and what each framework needs."""
    project = baked(python_version=python, framework=framework)
    pins, dev = (
        post.check_requirements((project / name).read_text(encoding="utf-8"), name)
        for name in ("requirements.txt", "requirements-dev.txt")
    )
    post.check_runtime_packages(pins)  # the hook's rule: granian is pinned
    assert set(pins) <= set(dev), "the tests must run against the runtime pins"
    assert any(pin.startswith("pytest==") for pin in dev)
    for name in ("requirements.txt", "requirements-dev.txt"):  # `make lock` wrote them
        assert (
            (project / name)
            .read_text(encoding="utf-8")
            .startswith("# This file was autogenerated by uv via the following command:\n#    make lock\n")
        )


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_lock_covers_every_offered_python(baked, framework: str) -> None:
    """One universal lock per framework: the Makefile compiles it for the oldest Python offered."""
    project = baked(python_version=newest_supported(framework), framework=framework)
    makefile = (project / "Makefile").read_text(encoding="utf-8")
    offered = [py for py in PYTHONS if supported(py, framework)]
    oldest = min(offered, key=version)
    assert f"LOCK_PYTHON := {oldest}\n" in makefile
    uv = uv_version(project)
    assert f"UV_VERSION := {uv}\n" in makefile, "the Makefile and the image must use the same uv"


def test_the_framework_staging_directory_never_ships(baked) -> None:
    for framework in FRAMEWORKS:
        project = baked(framework=framework, python_version=newest_supported(framework))
        assert not (project / "_frameworks").exists()


def test_a_unicode_project_name_gives_a_clean_slug(baked) -> None:
    project = baked(project_name="Café Überweisung Ünïcode")
    assert project.name == "cafe-uberweisung-unicode"
    assert (project / "cafe_uberweisung_unicode" / "__init__.py").is_file()


# --- how the template varies by framework ----------------------------------------------------

PARTIALS = ROOT / "templates"
JINJA = jinja2.Environment()  # parsing only: no filter or extension is looked up


def parse(path: Path) -> jinja2.nodes.Template:
    return JINJA.parse(path.read_text(encoding="utf-8"), name=str(path.relative_to(ROOT)))


def shared_template_files() -> list[Path]:
    """The files every framework renders: the template directory outside _frameworks/, and the partials."""
    shared = [p for p in TEMPLATE.rglob("*") if p.is_file() and FRAMEWORKS_DIR not in p.parents]
    return sorted(shared + [p for p in PARTIALS.rglob("*") if p.is_file()])


def names_framework(node: jinja2.nodes.Node) -> bool:
    return (
        (isinstance(node, jinja2.nodes.Name) and node.name == "framework")
        or (isinstance(node, jinja2.nodes.Getattr) and node.attr == "framework")
        or (isinstance(node, jinja2.nodes.Const) and node.value in {"framework", *FRAMEWORKS})
    )


def is_framework_table(node: jinja2.nodes.Node) -> bool:
    """`cookiecutter._framework_<fact>`: per-framework data in cookiecutter.json."""
    return isinstance(node, jinja2.nodes.Getattr) and node.attr.startswith("_framework_")


def framework_branches(tree: jinja2.nodes.Template) -> list[str]:
    """Every place that uses the framework (its variable, or a framework's name) other than as
    the key of a lookup in a `cookiecutter._framework_*` table: a condition, a `set`, a loop
    filter, an include's name or a dict literal all make a shared file vary by framework."""
    found: list[str] = []

    def walk(node: jinja2.nodes.Node, as_key: bool) -> None:
        if names_framework(node) and not as_key:
            found.append(f"line {node.lineno}")
            return
        if isinstance(node, jinja2.nodes.Getitem) and is_framework_table(node.node):
            walk(node.node, as_key)
            walk(node.arg, True)
            return
        if (
            isinstance(node, jinja2.nodes.Call)
            and isinstance(node.node, jinja2.nodes.Getattr)
            and node.node.attr == "get"
            and is_framework_table(node.node.node)
        ):
            for arg in node.args:
                walk(arg, True)
            return
        for child in node.iter_child_nodes():
            walk(child, as_key)

    walk(tree, False)
    return found


def test_the_framework_branch_detector_finds_every_form() -> None:
    for source in (
        '{% if cookiecutter.framework == "django" %}x{% endif %}',
        '{% if cookiecutter.include_compose %}{% elif "flask" in y %}x{% endif %}',
        "{{ 'a' if framework != 'none' else 'b' }}",
        "{% if cookiecutter['framework'] %}x{% endif %}",
        '{% set is_django = cookiecutter.framework == "django" %}{% if is_django %}x{% endif %}',
        '{{ {"fastapi": 36, "flask": 28}[cookiecutter.framework] }}',
        '{% for x in y if cookiecutter.framework == "none" %}{{ x }}{% endfor %}',
        '{% include "part_" ~ cookiecutter.framework %}',
    ):
        assert framework_branches(JINJA.parse(source)), source
    for source in (
        '{% if cookiecutter._framework_interface[cookiecutter.framework] == "wsgi" %}x{% endif %}',
        "{% if cookiecutter.include_kubernetes %}x{% endif %}",
        "{{ cookiecutter._framework_worker_mib[cookiecutter.framework] }}",  # data, not a branch
        '{{ cookiecutter._framework_min_python.get(cookiecutter.framework, "3.11") }}',
    ):
        assert not framework_branches(JINJA.parse(source)), source


def framework_names_in(source: str) -> list[tuple[int, str]]:
    """Where Python source spells a framework's name as a string: a table keyed by framework, a
    branch on one, a list of them. RESERVED_PACKAGES is exempt: it lists distributions (some named
    like a framework), and the hooks tier ties it to the locks."""
    tree = ast.parse(source)
    exempt = {
        id(node)
        for assign in ast.walk(tree)
        if isinstance(assign, ast.Assign)
        and any(getattr(t, "id", "") == "RESERVED_PACKAGES" for t in assign.targets)
        for node in ast.walk(assign)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in FRAMEWORKS and id(node) not in exempt
    ]


def test_the_framework_name_detector_finds_tables_and_branches() -> None:
    for source in ('x = {"django": 1}', 'if framework == "flask": pass', 'F = ["fastapi", "none"]'):
        assert framework_names_in(source), source
    for source in ('RESERVED_PACKAGES = frozenset({"django"})', 'x = "django-stubs"', "x = None"):
        assert not framework_names_in(source), source


def test_no_file_outside_the_frameworks_names_one() -> None:
    """A framework's facts live in _frameworks/<framework>/ and cookiecutter.json: the hooks, the
    tests, the bench and the scripts derive every per-framework list from there, so a new
    framework needs no edit to them."""
    code = [
        *ROOT.glob("hooks/*.py"),
        *ROOT.glob("tests/*.py"),
        *ROOT.glob("bench/*.py"),
        *ROOT.glob("docs/*.py"),
    ]
    code += [
        path
        for path in ROOT.glob("scripts/*")
        if path.read_text(encoding="utf-8").startswith("#!/usr/bin/env python")
    ]
    named = {
        str(path.relative_to(ROOT)): found
        for path in sorted(code)
        if (found := framework_names_in(path.read_text(encoding="utf-8")))
    }
    assert not named, f"derive these from cookiecutter.json or _frameworks/: {named}"


def test_no_shared_file_branches_on_the_framework() -> None:
    """A framework varies only through its files under _frameworks/; shared files may test
    the include_* options and the `_framework_*` data of cookiecutter.json, never the framework's name."""
    branching = {}
    for path in shared_template_files():
        found = framework_branches(parse(path))
        if found:
            branching[str(path.relative_to(ROOT))] = found
    assert not branching, f"move these into _frameworks/<framework>/ (blocks): {branching}"


def blocks(tree: jinja2.nodes.Template) -> set[str]:
    return {block.name for block in tree.find_all(jinja2.nodes.Block)}


def framework_overrides() -> list[tuple[str, Path]]:
    return sorted(
        (path.relative_to(FRAMEWORKS_DIR).parts[0], path)
        for path in FRAMEWORKS_DIR.rglob("*")
        if path.is_file()
    )


def test_framework_files_extend_their_shared_file_and_fill_only_its_blocks() -> None:
    """A file under _frameworks/<framework>/ either replaces the shared file of its path, or
    extends it (or one of the partials in templates/) and fills only blocks declared there."""
    assert {framework for framework, _ in framework_overrides()} == set(FRAMEWORKS)
    extending = 0
    for framework, path in framework_overrides():
        tree = parse(path)
        extends = list(tree.find_all(jinja2.nodes.Extends))
        own = str(path.relative_to(FRAMEWORKS_DIR / framework))
        if not extends:
            assert not blocks(tree), f"{path.relative_to(ROOT)}: blocks without {{% extends %}}"
            # A copy of a shared file would drift from it: extend it and fill its blocks.
            assert not (TEMPLATE / own).exists(), f"{path.relative_to(ROOT)} forks the shared {own}"
            continue
        extending += 1
        # Jinja drops a child's text outside its blocks: only extends, set and blocks belong there.
        stray = [
            node.lineno
            for node in tree.body
            if not isinstance(node, (jinja2.nodes.Extends, jinja2.nodes.Assign, jinja2.nodes.Block))
            and not (
                isinstance(node, jinja2.nodes.Output)
                and all(isinstance(n, jinja2.nodes.TemplateData) and not n.data.strip() for n in node.nodes)
            )
        ]
        assert not stray, f"{path.relative_to(ROOT)}: text outside any block (lines {stray}) is dropped"
        [parent_node] = extends
        assert path.read_text(encoding="utf-8").startswith("{% extends "), path
        assert isinstance(parent_node.template, jinja2.nodes.Const), path
        parent = parent_node.template.value
        allowed = {own: TEMPLATE / own, **{p.name: p for p in PARTIALS.glob("*.j2")}}
        assert parent in allowed, f"{path.relative_to(ROOT)} extends {parent!r}, not its own {own!r}"
        assert allowed[parent].is_file(), f"{path.relative_to(ROOT)}: no shared {parent!r} to extend"
        undeclared = blocks(tree) - blocks(parse(allowed[parent]))
        assert not undeclared, (
            f"{path.relative_to(ROOT)} fills blocks {parent!r} does not declare: {undeclared}"
        )
    assert extending, "no framework file extends a shared one"


# --- refusals ---------------------------------------------------------------------------------


def assert_refused(refuse, capfd, answers: dict, refused_by: type[Exception], *expected: str) -> None:
    """Generation fails (`refuse`: exit code not 0, nothing left behind) with a `refused_by`
    exception and the expected message."""
    result = refuse(**answers)
    assert isinstance(result.exception, refused_by), repr(result.exception)
    message = str(result.exception) + capfd.readouterr().err
    for text in expected:
        assert text in message, message


@pytest.mark.parametrize(("python", "framework"), REFUSED)
def test_unsupported_pairs_are_refused_naming_what_works(refuse, capfd, python: str, framework: str) -> None:
    assert_refused(
        refuse,
        capfd,
        {"python_version": python, "framework": framework},
        FailedHookException,
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
def test_invalid_answers_fail_in_the_hook_and_leave_nothing(refuse, capfd, field: str, value: str) -> None:
    assert_refused(refuse, capfd, {field: value}, FailedHookException, f"ERROR: {field}: {value!r}")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("python_version", "3.9"),
        ("python_version", "3.10"),
        ("python_version", "4.0"),
        ("framework", "rails"),
    ],
)
def test_values_outside_a_choice_list_are_refused(refuse, capfd, field: str, value: str) -> None:
    # cookiecutter itself refuses these before any hook runs, naming the field and the choices.
    assert_refused(refuse, capfd, {field: value}, ValueError, field, value, "choices are")


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
        (
            "framework",
            "rails",
            f"ERROR: framework: 'rails' is not offered; choose one of {', '.join(FRAMEWORKS)}",
        ),
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
    default_lock = FRAMEWORKS_DIR / FRAMEWORKS[0] / "requirements.txt"
    assert (project / "requirements.txt").read_text(encoding="utf-8") == default_lock.read_text(
        encoding="utf-8"
    )
    assert "docker run --rm -p 127.0.0.1:8000:8000 acme-service" in result.stdout
    for label in ("Python version", "Web framework", "(recommended"):
        assert label in result.stdout


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_every_variable_config_reads_is_in_the_readme(baked, framework: str) -> None:
    """The README's Configuration table is complete: the docker tier gives each row a bad value."""
    project = baked(framework=framework, python_version=newest_supported(framework))
    config_py = (project / "acme_service" / "config.py").read_text(encoding="utf-8")
    read = set(re.findall(r'environ(?:, |\.get\()"([A-Z][A-Z0-9_]*)"', config_py))
    assert {"PORT", "HOST", "LOG_LEVEL"} <= read, "the pattern no longer finds config.py's variables"
    missing = read - set(readme_settings(project))
    assert not missing, f"config.py reads {sorted(missing)}, which the README's table does not list"


# Where the template may name itself in a project: the weekly drift check (cruft) is about it.
TEMPLATE_WORD = re.compile(r"(?<![-\w])template(?![-:\w])", re.IGNORECASE)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_project_speaks_only_of_itself(baked, framework: str) -> None:
    """No file talks about the template's own tests or cites its docs, and the generated
    tests assert behaviour, not the answers: the name and port appear in none of them."""
    answers = {"project_name": "Billing API", "port": "8123", "python_version": newest_supported(framework)}
    project = baked(framework=framework, **answers)
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        name = str(path.relative_to(project))
        text = path.read_text(encoding="utf-8")
        assert "benchmarks.md" not in text, f"{name} cites a page the project does not have"
        if name == ".github/workflows/template-update.yml":
            continue
        about = [line for line in text.splitlines() if TEMPLATE_WORD.search(line) and "drift" not in line]
        assert not about, f"{name} speaks of the template: {about}"
    for path in sorted((project / "tests").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        for answer in ("Billing API", "billing-api", "8123"):
            assert answer not in text, f"tests/{path.name} asserts the answer {answer!r}"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_readme_says_where_an_endpoint_and_its_test_go(baked, framework: str) -> None:
    project = baked(framework=framework, python_version=newest_supported(framework))
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "\n### Add an endpoint\n" in readme.split("\n## Develop and test\n", 1)[1].split("\n## ", 1)[0]
    section = readme.split("\n### Add an endpoint\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    assert "{" + "%" not in section and "TODO" not in section
    files = set(re.findall(r"`([\w/]+\.py)`", section))
    assert "tests/test_app.py" in files and any(f.startswith("acme_service/") for f in files), files
    for relative in files:
        assert (project / relative).is_file(), f"the README names {relative}, which the project lacks"
    for name, relative in re.findall(r"`(\w+)` in `([\w/]+\.py)`", section):
        assert name in (project / relative).read_text(encoding="utf-8"), f"no {name} in {relative}"
    assert "client" in (project / "tests" / "test_app.py").read_text(encoding="utf-8")


def test_gitignore_keeps_local_state_out_and_the_env_example_in(bake) -> None:
    project = bake()
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull}
    subprocess.run(["git", "init", "--quiet"], cwd=project, check=True, env=env)

    def ignored(relative: str) -> bool:
        check = subprocess.run(["git", "check-ignore", "-q", relative], cwd=project, env=env, check=False)
        assert check.returncode in (0, 1), relative
        return check.returncode == 0

    for relative in (".env", ".env.local", ".python-version", ".venv/bin/python", ".tools/uv"):
        assert ignored(relative), f"{relative} would be committed"
    for relative in (".env.example", "Makefile", "scripts/pythons.py", "requirements.txt"):
        assert (project / relative).is_file() and not ignored(relative), f"{relative} is ignored"
