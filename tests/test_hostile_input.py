"""No answer can break or hijack generation (property-based tests with hypothesis).

Free text lands in TOML, Markdown, Dockerfile labels and the hooks. Every
example must either give a project in which every file parses with a real
parser and the linters pass, or be refused by the pre-generation hook with one
line, leaving nothing behind; and no example may run anything.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import tempfile
import tomllib
from pathlib import Path
from unittest import mock

import jinja2
import pytest
import yaml
from cookiecutter.exceptions import CookiecutterException, FailedHookException
from cookiecutter.main import cookiecutter
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from slugify import slugify

from helpers import (
    DEFAULT_PYTHON,
    FRAMEWORKS,
    OPTIONS,
    ROOT,
    answer_prompts,
    newest_supported,
    pre,
    shell_scripts,
    tool,
)

MARKER = Path(tempfile.gettempdir()) / "template-hijack-marker"
FREE_TEXT = pre.FREE_TEXT  # the pre-generation hook's list
FRAGMENTS = [
    '"',
    "'",
    '"""',
    "'''",
    "\\",
    "\\n",
    "\\u00e9",
    "\n",
    "\t",
    "\r",
    "\x00",
    "\x7f",
    "\u2028",
    "\u202e",
    "{{ 7*7 }}",
    "{{ cookiecutter.port }}",
    "{% if x %}",
    "{%",
    "{#",
    "}}",
    "%}",
    "${{ github.token }}",
    "{{.State}}",
    f"$(touch {MARKER})",
    f"`touch {MARKER}`",
    f'"; touch {MARKER}; echo "',
    f'"""; __import__(\'os\').system(\'touch {MARKER}\'); """',
    "$HOME",
    "${PATH}",
    "#",
    ": ",
    "- ",
    "? ",
    "&anchor",
    "*alias",
    "!!python/object",
    "[",
    "]",
    "[[x]]",
    "=",
    "~",
    "null",
    "yes",
    "0x1F",
    "1e5",
    "<script>",
    "&amp;",
    "**",
    "|",
    "é",
    "Ünïcödé",
    "中文服务",
    "😀",
    "👩‍💻",
    "مرحبا",
    "\u200d",
    " ",
    "  ",
]
PRINTABLE = st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"])
PRINTABLE_FRAGMENTS = [f for f in FRAGMENTS if not any(ch in f for ch in "\n\t\r\x00\x7f\u2028")]


def weighted(*choices: tuple[st.SearchStrategy, int]) -> st.SearchStrategy:
    """Pick a strategy with the given weights (one_of merges repeated branches, so it cannot weight)."""
    return st.sampled_from([strategy for strategy, weight in choices for _ in range(weight)]).flatmap(
        lambda strategy: strategy
    )


def free_text(limit: int) -> st.SearchStrategy[str]:
    """Mostly answers a person could mean (printable, within the limit), some wild ones."""
    piece = st.one_of(st.sampled_from(PRINTABLE_FRAGMENTS), st.text(PRINTABLE, max_size=4))
    tame = st.lists(piece, min_size=1, max_size=5).map("".join).filter(lambda text: text.strip())
    named = tame.map(lambda text: "Acme " + text)  # starts with a letter: a usable slug
    wild = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)), min_size=1, max_size=10)
    boundary = st.text(PRINTABLE, min_size=limit - 2, max_size=limit + 2)
    return weighted((named, 5), (tame, 3), (wild.map("".join), 1), (boundary, 1))


def no_space(text: str) -> bool:
    return text != "" and not any(ch.isspace() or ch == "@" for ch in text)


local_parts = st.lists(st.sampled_from(PRINTABLE_FRAGMENTS), min_size=1, max_size=3).map("".join)
domains = st.sampled_from(["example.com", "ü.example", "x.co"])
address = st.tuples(local_parts.filter(no_space), domains).map("@".join)
emails = weighted((address, 8), (free_text(254), 2))
answers_strategy = st.fixed_dictionaries(
    {
        "project_name": free_text(100),
        "description": free_text(300),
        "author_name": free_text(100),
        "author_email": emails,
    }
)
REGRESSIONS = [
    # Emoji were once written as JSON \ud83d escapes, which TOML rejects.
    {"description": "Fun 😀 service", "author_name": "Zoë 👩‍💻"},
    # Typed braces are text, not template code.
    {"project_name": "Acme {{ API }}", "description": "{% raw %} {{ x }} {#"},
    {"description": f'$(touch {MARKER}) `touch {MARKER}` "; touch {MARKER}; "', "author_name": "$HOME"},
    # hadolint misreads an escaped backslash before a quote: refused; elsewhere it is fine.
    {"description": "ends with a backslash \\", "author_name": '"""quoted"""'},
    {"description": 'C:\\path\\to "x"', "author_email": "a\\b@example.com"},
    {"project_name": "x" * 100, "description": "y" * 300},
    {"project_name": "x" * 101},
    {"description": "tab\there"},
    {"description": "line\u2028separator"},
    {"project_name": "😀"},  # slugifies to nothing: refused with the slug rule
]


def typed_bake(answers: dict[str, str], framework: str, out: Path) -> Path:
    """Generate as if a person typed `answers` at the real prompts (taken literally, not as Jinja)."""

    def read_user_variable(var_name, default_value, prompts=None, prefix=""):
        return answers.get(var_name, default_value)

    def read_user_choice(var_name, options, prompts=None, prefix=""):
        wanted = {"framework": framework, "python_version": newest_supported(framework)}
        return wanted.get(var_name, options[0])

    def read_user_yes_no(var_name, default_value, prompts=None, prefix=""):
        return default_value

    with mock.patch.multiple(
        "cookiecutter.prompt",
        read_user_variable=read_user_variable,
        read_user_choice=read_user_choice,
        read_user_yes_no=read_user_yes_no,
    ):
        return Path(cookiecutter(str(ROOT), output_dir=str(out)))


def expected_refusal(answers: dict[str, str], framework: str) -> str | None:
    """What the pre-generation hook must say about these answers, or None to accept them."""
    full = {key: (value[0] if isinstance(value, list) else value) for key, value in OPTIONS.items()}
    full.update(answers, framework=framework, python_version=newest_supported(framework))
    full["project_slug"] = slugify(full["project_name"])
    try:
        pre.validate(full, OPTIONS)
    except pre.Invalid as error:
        return f"ERROR: {error}"
    return None


def docker_label(dockerfile: str, name: str) -> str:
    match = re.search(rf'org\.opencontainers\.image\.{name}="((?:[^"\\]|\\.)*)"', dockerfile)
    assert match, f"no {name} label"
    return re.sub(r"\\(.)", r"\1", match.group(1))


def check_project(project: Path, answers: dict[str, str]) -> None:
    """Every file parses with a real parser, the linters pass, and the answers arrive intact."""
    for path in project.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            ast.parse(text, str(path))
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix in {".yml", ".yaml"}:
            yaml.safe_load(text)
        elif path.suffix == ".json":
            json.loads(text)

    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert pyproject["description"] == answers["description"]
    assert pyproject["authors"] == [{"name": answers["author_name"], "email": answers["author_email"]}]
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8")
    assert docker_label(dockerfile, "description") == answers["description"]
    assert docker_label(dockerfile, "authors") == f"{answers['author_name']} <{answers['author_email']}>"
    readme = (project / "README.md").read_text(encoding="utf-8").splitlines()
    assert readme[0] == f"# {answers['project_name']}"
    assert answers["description"] in readme

    scripts = project.parent / "scripts"
    scripts.mkdir()
    for number, body in enumerate(shell_scripts(project).values()):
        (scripts / f"{number}.sh").write_text(body, encoding="utf-8")
    for argv in (
        [tool("hadolint"), "--no-color", "Dockerfile"],
        [tool("ruff"), "check", "--no-cache", "."],
        [tool("ruff"), "format", "--check", "--no-cache", "."],
        [tool("shellcheck"), *map(str, sorted(scripts.glob("*.sh")))],
    ):
        result = subprocess.run(argv, cwd=project, capture_output=True, text=True, timeout=60, check=False)
        assert result.returncode == 0, f"{argv[0]}: {result.stdout}{result.stderr}"


def generate_and_check(capfd, framework: str, typed: dict[str, str]) -> str:
    """Bake typed answers; check the project or the refusal; return which one happened."""
    answers = {**{field: OPTIONS[field] for field in FREE_TEXT}, **typed}
    MARKER.unlink(missing_ok=True)
    capfd.readouterr()
    refusal = expected_refusal(answers, framework)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        if refusal is None:
            check_project(typed_bake(answers, framework, out), answers)
        else:
            with pytest.raises(FailedHookException):
                typed_bake(answers, framework, out)
            err = capfd.readouterr().err
            assert [line for line in err.splitlines() if line.startswith("ERROR: ")] == [refusal]
            assert not out.exists() or list(out.iterdir()) == []
    assert not MARKER.exists(), "an answer ran a command"
    return "accepted" if refusal is None else "refused: " + refusal.split(":")[1].strip()


@pytest.mark.parametrize("framework", FRAMEWORKS)
@settings(
    max_examples=80,  # x 4 frameworks: 320 generated projects per run
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(typed=answers_strategy)
@example(typed={})
def test_typed_answers_never_break_or_hijack_generation(capfd, framework: str, typed: dict) -> None:
    event(generate_and_check(capfd, framework, typed))


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("typed", REGRESSIONS, ids=range(len(REGRESSIONS)))
def test_regressions(capfd, framework: str, typed: dict) -> None:
    """Inputs that once failed, or that mark the line between accepted and refused."""
    generate_and_check(capfd, framework, typed)


def test_the_real_prompts_take_typed_text_literally(tmp_path: Path) -> None:
    MARKER.unlink(missing_ok=True)
    typed = ["Acme {{ API }}", "", f"Runs $(touch {MARKER}) {{% if %}} literally", 'O\'Brien "OB"']
    result = answer_prompts(typed, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    project = tmp_path / "acme-api"
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Acme {{ API }}\n")
    assert f"Runs $(touch {MARKER}) {{% if %}} literally" in readme
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["authors"][0]["name"] == 'O\'Brien "OB"'
    assert not MARKER.exists()


def test_extra_context_is_rendered_by_cookiecutter_as_documented(baked, refuse) -> None:
    """With --no-input / extra context, cookiecutter renders values as Jinja before the template sees them."""
    project = baked(description="{{ 7*7 }}")
    assert tomllib.loads((project / "pyproject.toml").read_text())["project"]["description"] == "49"
    broken = refuse(description="{% if %}")  # and nothing is left behind
    assert isinstance(broken.exception, (CookiecutterException, jinja2.TemplateError)), repr(broken.exception)


@settings(max_examples=500)
@given(
    st.one_of(st.text(max_size=8), st.integers().map(str), st.sampled_from(["80", " 80", "080", "+80", "٨٠"]))
)
def test_port_accepts_exactly_plain_integers_in_range(value: str) -> None:
    valid = re.fullmatch(r"[0-9]+", value) is not None and 1 <= int(value) <= 65535
    try:
        port, _ = pre.check_port(value)
    except pre.Invalid as error:
        assert not valid
        assert str(error).startswith("port: ") and "\n" not in str(error)
    else:
        assert valid and port == int(value)


@settings(max_examples=500)
@given(st.one_of(st.text(max_size=20), st.text(alphabet="abcz019-_./ A", max_size=20)))
def test_an_accepted_slug_is_a_valid_image_name_and_package(value: str) -> None:
    try:
        pre.check_slug(value)
    except pre.Invalid as error:
        assert str(error).startswith("project_slug: ") and "\n" not in str(error)
        return
    assert re.fullmatch(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*", value)  # Docker's name component grammar
    assert value.replace("-", "_").isidentifier()
    assert len(value) <= 63


@given(st.sampled_from(["python_version", "framework"]), st.text(max_size=10))
def test_choices_accept_only_what_is_offered(field: str, value: str) -> None:
    checker = pre.check_python if field == "python_version" else lambda v, c: pre.check_choice(field, v, c)
    try:
        checker(value, OPTIONS[field])
    except pre.Invalid as error:
        assert value not in OPTIONS[field]
        assert str(error).startswith(f"{field}: ")
    else:
        assert value in OPTIONS[field]


def test_default_python_is_offered() -> None:
    assert DEFAULT_PYTHON in OPTIONS["python_version"]
