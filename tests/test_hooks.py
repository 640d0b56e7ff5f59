"""Unit tests of the hooks' pure functions, and of the rendered hooks as scripts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import FRAMEWORKS, FRAMEWORKS_DIR, MIN_PYTHON, OPTIONS, PYTHONS, ROOT, post, pre, render_hook

GOOD = {
    "project_name": "Billing API",
    "project_slug": "billing-api",
    "description": "Bills.",
    "author_name": "Ada",
    "author_email": "ada@example.com",
    "python_version": PYTHONS[0],
    "framework": FRAMEWORKS[0],
    "port": "8000",
    **{key: value for key, value in OPTIONS.items() if isinstance(value, bool)},
}


# --- pre-generation -------------------------------------------------------------------------


def test_good_answers_pass() -> None:
    assert pre.validate(GOOD, OPTIONS) == []


@pytest.mark.parametrize("port", ["1", "1023", "8000", "65535"])
def test_ports_in_range_pass(port: str) -> None:
    assert pre.check_port(port)[0] == int(port)


def test_privileged_port_warns_but_passes() -> None:
    port, warnings = pre.check_port("80")
    assert port == 80
    assert len(warnings) == 1
    assert "privileged" in warnings[0]


@pytest.mark.parametrize("port", ["0", "65536", "eighty", " 80", "80 ", "-1", "8e3", "٨٠", "", "0x50"])
def test_bad_ports_are_refused(port: str) -> None:
    with pytest.raises(pre.Invalid, match=r"^port: .* 1 to 65535"):
        pre.check_port(port)


@pytest.mark.parametrize("slug", ["api", "billing-api", "svc2", "a-b-c"])
def test_good_slugs_pass(slug: str) -> None:
    assert pre.check_slug(slug) == slug


@pytest.mark.parametrize(
    "slug", ["My App", "../escape", "Billing", "2fast", "-api", "api-", "a--b", "a_b", "", "a" * 64, "api/x"]
)
def test_bad_slugs_are_refused(slug: str) -> None:
    with pytest.raises(pre.Invalid, match=r"^project_slug: "):
        pre.check_slug(slug)


SHADOWING = ["json", "email", "tests", "class", "http", "granian", "uvloop", "click"]


@pytest.mark.parametrize("slug", SHADOWING)
def test_slugs_that_shadow_modules_are_refused(slug: str) -> None:
    with pytest.raises(pre.Invalid, match="shadows"):
        pre.check_slug(slug)


def test_the_reserved_names_are_the_locked_distributions() -> None:
    """Every distribution in every framework's locks is refused as a package name, and every
    reserved name is one of them, the test package, or a module installed under another name
    (the venv tier checks those against site-packages)."""
    locked = {
        re.sub(r"[-_.]+", "_", pin.partition("==")[0]).lower()
        for lock in sorted(FRAMEWORKS_DIR.glob("*/requirements*.txt"))
        for pin in post.check_requirements(lock.read_text(encoding="utf-8"), lock.name)
    }
    assert locked <= pre.RESERVED_PACKAGES, sorted(locked - pre.RESERVED_PACKAGES)
    assert pre.RESERVED_PACKAGES - locked == {"tests", "opentelemetry", "py", "mypyc", "mypy_django_plugin"}


@pytest.mark.parametrize("python", ["3.9", "3.10", "2.7", "3.8"])
def test_end_of_life_pythons_are_refused_as_such(python: str) -> None:
    with pytest.raises(pre.Invalid, match="past end of life"):
        pre.check_python(python, PYTHONS)


@pytest.mark.parametrize("python", ["4.0", "3.99", "latest", "3"])
def test_unknown_pythons_are_refused(python: str) -> None:
    with pytest.raises(pre.Invalid, match=r"^python_version: .* not offered; choose one of"):
        pre.check_python(python, PYTHONS)


def test_unknown_framework_is_refused() -> None:
    with pytest.raises(
        pre.Invalid, match=rf"^framework: 'rails' is not offered; choose one of {FRAMEWORKS[0]}"
    ):
        pre.check_choice("framework", "rails", FRAMEWORKS)


@pytest.mark.parametrize(("framework", "minimum"), sorted(MIN_PYTHON.items()))
def test_framework_python_pairs_below_the_minimum_are_refused(framework: str, minimum: str) -> None:
    too_old = [py for py in PYTHONS if pre.version_tuple(py) < pre.version_tuple(minimum)]
    for python in too_old:
        with pytest.raises(pre.Invalid, match=rf"needs Python {minimum} or newer\); choose one of"):
            pre.check_combination(framework, python, MIN_PYTHON, PYTHONS)


def test_supports_follows_each_frameworks_minimum() -> None:
    minimums = {"new": "3.12"}
    assert pre.supports("new", "3.12", minimums)
    assert pre.supports("new", "3.13", minimums)
    assert not pre.supports("new", "3.11", minimums)
    assert pre.supports("old", "3.11", minimums)  # no minimum: every Python
    assert not pre.supports("new", "3.9", minimums)  # numbers, not strings: "3.9" > "3.12"


def test_flags_are_the_boolean_options() -> None:
    assert pre.flags(OPTIONS) == [key for key in OPTIONS if key.startswith("include_")]
    assert pre.flags({"a": True, "b": "yes", "c": False, "d": ["x"]}) == ["a", "c"]


def test_both_hooks_name_the_same_free_text_fields() -> None:
    # Each hook runs on its own (cookiecutter copies it out), so each holds the list.
    assert post.FREE_TEXT == pre.FREE_TEXT == tuple(pre.TEXT_LIMITS)
    assert set(pre.FREE_TEXT) <= {key for key, value in OPTIONS.items() if isinstance(value, str)}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("project_name", ""),
        ("project_name", "   "),
        ("project_name", "two\nlines"),
        ("description", "tab\there"),
        ("author_name", "x" * 101),
    ],
)
def test_bad_free_text_is_refused(field: str, value: str) -> None:
    with pytest.raises(pre.Invalid, match=f"^{field}: "):
        pre.validate({**GOOD, field: value}, OPTIONS)


@pytest.mark.parametrize("value", ["yes", "no", 1, 0, None, "true"])
def test_options_must_be_booleans(value: object) -> None:
    with pytest.raises(pre.Invalid, match=r"^include_compose: .* yes/no"):
        pre.validate({**GOOD, "include_compose": value}, OPTIONS)


@pytest.mark.parametrize("email", ["ada", "ada@", "@example.com", "a b@example.com", "ada@example"])
def test_bad_emails_are_refused(email: str) -> None:
    with pytest.raises(pre.Invalid, match=r"^author_email: "):
        pre.check_email(email)


def test_unicode_free_text_passes() -> None:
    answers = {**GOOD, "project_name": "Café ☕ 服务", "author_name": 'Zoë O\'Brien "Z"'}
    assert pre.validate(answers, OPTIONS) == []


def test_options_come_from_cookiecutter_when_it_passes_them() -> None:
    lists = {k: v for k, v in OPTIONS.items() if k[0] != "_"}
    assert pre.load_options(json.dumps(lists), {})["python_version"] == PYTHONS


def test_options_come_from_the_template_file_on_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    replayed = json.dumps({"python_version": "3.14"})  # replay: answers, not lists
    assert pre.load_options(replayed, {"_repo_dir": str(ROOT)})["framework"] == FRAMEWORKS
    monkeypatch.chdir(tmp_path)  # a relative _repo_dir is relative to where cookiecutter started
    relative = {"_repo_dir": ROOT.name}
    assert pre.load_options(replayed, relative, {"PWD": str(ROOT.parent)})["framework"] == FRAMEWORKS


def test_without_lists_only_the_other_checks_apply() -> None:
    # cruft passes no lists, but cookiecutter has already refused values outside them.
    assert pre.load_options("{}", {}) == {}
    assert pre.validate(GOOD, {}) == []
    with pytest.raises(pre.Invalid, match=r"needs Python 3\.12 or newer\); choose one of 3\.12 or newer"):
        pre.validate(
            {**GOOD, "framework": "new", "python_version": "3.11", "_framework_min_python": {"new": "3.12"}},
            {},
        )
    with pytest.raises(pre.Invalid, match=r"^port: "):
        pre.validate({**GOOD, "port": "0"}, {})


# --- the rendered hooks, run as cookiecutter runs them ---------------------------------------


def run_pre(answers: dict, tmp_path: Path) -> subprocess.CompletedProcess:
    full = {**GOOD, "__package": "x", "_repo_dir": str(ROOT), **answers}
    script = render_hook("pre_gen_project", full, tmp_path)
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({"port": "0"}, "port"),
        ({"port": " 80"}, "port"),
        ({"project_slug": "../escape"}, "project_slug"),
        ({"python_version": "3.10"}, "python_version"),
        ({"framework": "rails"}, "framework"),
    ],
)
def test_rendered_pre_hook_prints_one_line_and_fails(answers: dict, field: str, tmp_path: Path) -> None:
    result = run_pre(answers, tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"ERROR: {field}: ")
    assert repr(next(iter(answers.values()))) in lines[0]


def test_rendered_pre_hook_takes_hostile_text_as_data(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = f'"""; import os; os.system("touch {marker}"); """ \\ {{{{ 7*7 }}}} $(touch {marker})'
    result = run_pre({"description": hostile, "project_name": hostile[:100]}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert not marker.exists()


def test_rendered_pre_hook_warns_for_privileged_ports(tmp_path: Path) -> None:
    result = run_pre({"port": "443"}, tmp_path)
    assert result.returncode == 0
    assert "WARNING: port: 443 is a privileged port" in result.stderr


# --- post-generation ------------------------------------------------------------------------


def make_project(root: Path) -> Path:
    for framework in ("first", "second"):
        (root / "_frameworks" / framework / "pkg").mkdir(parents=True)
        (root / "_frameworks" / framework / "pkg" / "app.py").write_text(f"NAME = {framework!r}\n")
        (root / "_frameworks" / framework / "requirements.txt").write_text(f"# {framework}\n")
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    return root


def test_apply_framework_keeps_only_the_chosen_one_and_is_idempotent(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    post.apply_framework(root, "first")
    assert (root / "pkg" / "app.py").read_text() == "NAME = 'first'\n"
    assert (root / "requirements.txt").read_text() == "# first\n"
    assert not (root / "_frameworks").exists()
    post.apply_framework(root, "first")  # a second run changes nothing
    assert (root / "pkg" / "app.py").read_text() == "NAME = 'first'\n"


def test_apply_framework_refuses_an_unknown_framework(tmp_path: Path) -> None:
    with pytest.raises(post.Broken, match="rails"):
        post.apply_framework(make_project(tmp_path), "rails")


def test_leftover_jinja_is_found_but_user_braces_are_not(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text('NAME = "Acme {{ API }}"\n')
    (tmp_path / "b.toml").write_text('x = "{{ cookiecutter.port }}"\n')
    (tmp_path / "c.md").write_text("{% if x %}\n")
    answers = {"project_name": "Acme {{ API }}"}
    assert post.find_leftovers(tmp_path, answers) == ["b.toml", "c.md"]


@pytest.mark.parametrize(
    ("text", "leftover"),
    [
        ("{{ cookiecutter.port }}", True),
        ("{% if x %}", True),
        ("{# a comment #}", True),
        ("run: echo ${{ github.sha }}", False),  # GitHub Actions expressions are meant
        ("docker inspect -f '{{.State.Health.Status}}'", False),  # and docker's Go templates
        ("name = 'Acme {{ API }}'", False),  # the user's own answer
        ("no braces at all", False),
    ],
)
def test_has_leftover(text: str, leftover: bool) -> None:
    forms = post.answer_forms({"project_name": "Acme {{ API }}"})
    assert post.has_leftover(text, forms) is leftover


@pytest.mark.parametrize(
    ("text", "leftover"),
    [
        ("run: echo ${{ github.sha }}  # by }}", False),  # removing the answer first broke this
        ("{{ cookiecutter.port }} by }}", True),
        ("a{}}{ b", False),  # the answer between two braces does not make an opener
        ("{{}}", True),  # an opener outside any answer
    ],
)
def test_has_leftover_with_answers_made_of_braces(text: str, leftover: bool) -> None:
    # Hypothesis found an author named "}}": the answer sits inside GitHub's ${{ ... }}.
    assert post.has_leftover(text, post.answer_forms({"author_name": "}}"})) is leftover


def test_python_that_does_not_compile_is_reported(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("def (:\n")
    with pytest.raises(post.Broken, match=r"bad\.py: does not compile"):
        post.check_python_compiles(tmp_path)


HASH = "--hash=sha256:" + "0" * 64


@pytest.mark.parametrize(
    "line",
    ["click", "click>=8", "click==", "click == 8.1", "git+https://x/y", "-e .", "click==8.1 x", "-r x.txt"],
)
def test_requirements_must_be_exact_pins(line: str) -> None:
    with pytest.raises(post.Broken, match="not an exact pin"):
        post.check_requirements(f"# ok\n{line} \\\n    {HASH}\n", "requirements.txt")


@pytest.mark.parametrize("hashes", ["", " \\\n    --hash=sha256:abc", " \\\n    --hash=md5:" + "0" * 32])
def test_requirements_need_sha256_hashes(hashes: str) -> None:
    with pytest.raises(post.Broken, match=r"flask==3\.1\.3 has no sha256 hash"):
        post.check_requirements(f"flask==3.1.3{hashes}\n", "requirements.txt")


def test_compiled_requirements_pass() -> None:
    text = (
        "# This file was autogenerated by uv via the following command:\n#    make lock\n"
        f"flask==3.1.3 \\\n    {HASH} \\\n    {HASH}\n    # via -r requirements.in\n"
        f"colorama==0.4.6 ; sys_platform == 'win32' \\\n    {HASH}\n"
    )
    assert post.check_requirements(text, "r.txt") == ["flask==3.1.3", "colorama==0.4.6"]


def test_pin_re_separates_the_pin_from_its_marker() -> None:
    match = post.PIN_RE.fullmatch("colorama==0.4.6 ; sys_platform == 'win32'")
    assert (match["pin"], match["marker"]) == ("colorama==0.4.6", "sys_platform == 'win32'")
    assert post.PIN_RE.fullmatch("flask==3.1.3")["marker"] is None


def test_the_runtime_lock_must_pin_the_server() -> None:
    post.check_runtime_packages(["granian==2.8.9"])
    post.check_runtime_packages(["flask==3.1.3", "Granian==2.8.9"])
    with pytest.raises(
        post.Broken, match=r"^requirements\.txt: granian, which serves the app, is not pinned"
    ):
        post.check_runtime_packages(["flask==3.1.3"])
    with pytest.raises(post.Broken, match=r"^requirements\.txt: granian"):
        post.check_runtime_packages([])


def test_the_shipped_locks_pass_for_every_framework() -> None:
    for framework in FRAMEWORKS:
        staging = ROOT / "{{cookiecutter.project_slug}}" / "_frameworks" / framework
        for name in ("requirements.txt", "requirements-dev.txt"):
            post.check_requirements((staging / name).read_text(encoding="utf-8"), f"{framework}/{name}")


def dockerfile(python: str = "3.14", port: str = "8000", package: str = "pkg") -> str:
    return "\n".join(
        [
            f"ARG PYTHON_VERSION={python}",
            "FROM python:${PYTHON_VERSION}-slim",
            f"ENV PORT={port}",
            "USER 10001:10001",
            f"EXPOSE {port}",
            f'HEALTHCHECK CMD ["python", "-I", "-S", "/app/{package}/healthcheck.py"]',
            f'ENTRYPOINT ["python", "-m", "{package}"]',
        ]
    )


def test_consistent_dockerfile_passes() -> None:
    post.check_dockerfile(dockerfile(), "3.14", "8000", "pkg")
    post.check_dockerfile(dockerfile().replace("PORT=8000", "PORT=8000 \\"), "3.14", "8000", "pkg")


def test_a_port_that_is_a_prefix_of_the_real_one_is_reported() -> None:
    with pytest.raises(post.Broken, match="EXPOSE 80'"):
        post.check_dockerfile(dockerfile(port="8000"), "3.14", "80", "pkg")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (dockerfile(python="3.13"), "ARG PYTHON_VERSION=3.14"),
        (dockerfile(port="9000"), "EXPOSE 8000"),
        (dockerfile(port="80000"), "EXPOSE 8000"),  # a longer port is not the chosen one
        (dockerfile(python="3.145"), "ARG PYTHON_VERSION=3.14"),
        (dockerfile(package="other"), "healthcheck"),
        (dockerfile().replace("USER 10001:10001", ""), "USER"),
    ],
)
def test_inconsistent_dockerfile_is_reported(text: str, needle: str) -> None:
    with pytest.raises(post.Broken, match=needle):
        post.check_dockerfile(text, "3.14", "8000", "pkg")


def test_next_steps_name_the_real_commands() -> None:
    steps = post.next_steps(
        {"project_slug": "svc", "port": "9000", "framework": FRAMEWORKS[-1], "python_version": "3.13"}
    )
    assert "docker run --rm -p 127.0.0.1:9000:9000 svc" in steps
    assert "curl http://127.0.0.1:9000/health" in steps


def test_hooks_use_only_the_standard_library() -> None:
    for hook in ("pre_gen_project", "post_gen_project"):
        source = (ROOT / "hooks" / f"{hook}.py").read_text(encoding="utf-8")
        imports = {
            line.split()[1].split(".")[0]
            for line in source.splitlines()
            if line.startswith(("import ", "from ")) and not line.startswith("from __future__")
        }
        assert imports <= set(sys.stdlib_module_names), imports - set(sys.stdlib_module_names)


def test_a_framework_without_a_lock_bakes_only_for_its_first_lock(tmp_path: Path) -> None:
    """scripts/update-pins bakes a new framework with FIRST_LOCK=1: empty locks for `make lock`."""
    assert not post.first_lock(tmp_path, {})  # a user's bake: the missing lock stays an error
    assert post.first_lock(tmp_path, {post.FIRST_LOCK: "1"})
    assert all((tmp_path / name).read_text() == "" for name in post.LOCKS)
    assert not post.first_lock(tmp_path, {post.FIRST_LOCK: "1"})  # a lock exists: checked as usual
