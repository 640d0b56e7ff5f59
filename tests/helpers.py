"""What several test modules share: the template's facts and plain helpers.

Each rule comes from where the template defines it: the choices from cookiecutter.json, the
validation rules from the hooks (loaded here from their unrendered source, as `pre` and
`post`). Nothing here restates them. Baking goes through pytest-cookies: `Bakery` bakes each
set of answers once per session on its `cookies_session`, and conftest.py's `baked`, `bake`
and `refuse` fixtures use it. The docker tier's machinery is in engine.py, the fixtures in
conftest.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import traceback
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from cookiecutter.environment import StrictEnvironment
from cookiecutter.generate import generate_context
from cookiecutter.prompt import prompt_for_config
from pytest_cookies.plugin import Cookies, Result

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "{{cookiecutter.project_slug}}"
FRAMEWORKS_DIR = TEMPLATE / "_frameworks"
OPTIONS = json.loads((ROOT / "cookiecutter.json").read_text(encoding="utf-8"))
PYTHONS: list[str] = OPTIONS["python_version"]
FRAMEWORKS: list[str] = OPTIONS["framework"]
MIN_PYTHON: dict[str, str] = OPTIONS["_framework_min_python"]
DEFAULT_PYTHON = PYTHONS[0]
PROMPTS = sum(1 for key in OPTIONS if not key.startswith("_"))  # questions cookiecutter asks


def load_hook(name: str) -> ModuleType:
    """A hook as a module, from its unrendered source (its rules are plain functions)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre = load_hook("pre_gen_project")
post = load_hook("post_gen_project")

version = pre.version_tuple
FLAGS: list[str] = pre.flags(OPTIONS)


def supported(python: str, framework: str) -> bool:
    return pre.supports(framework, python, MIN_PYTHON)


COMBINATIONS = [(py, fw) for py in PYTHONS for fw in FRAMEWORKS if supported(py, fw)]
REFUSED = [(py, fw) for py in PYTHONS for fw in FRAMEWORKS if not supported(py, fw)]


def newest_supported(framework: str) -> str:
    return max((py for py in PYTHONS if supported(py, framework)), key=version)


def shared_files() -> set[str]:
    """The template's own files outside _frameworks/, relative to the template directory."""
    return {
        str(path.relative_to(TEMPLATE))
        for path in TEMPLATE.rglob("*")
        if path.is_file() and FRAMEWORKS_DIR not in path.parents
    }


def option_files() -> dict[str, set[str]]:
    """Each yes/no option's files: the template's files under the paths the post-generation
    hook removes when that option is off (its OPTIONAL_FILES)."""
    files = shared_files()
    return {
        option: {f for f in files for p in paths if f == p or f.startswith(p + "/")}
        for option, paths in post.OPTIONAL_FILES.items()
    }


OPTION_FILES = option_files()
ALL_OPTION_FILES: set[str] = set().union(*OPTION_FILES.values())


class Bakery:
    """The session's baked projects: each set of answers baked once, through pytest-cookies.

    The cache is keyed by the answers as cookiecutter reads them: the context they render
    (cookiecutter.json with the answers applied, sorted), so `baked()` and `baked(port="8000")`,
    or "yes" and a default of true, share one project. A failed bake is kept too: every test
    that asks for it fails with its error.
    """

    def __init__(self, cookies: Cookies) -> None:
        self.cookies = cookies  # pytest-cookies' session-scoped `cookies_session`
        self.results: dict[str, Result] = {}
        self.hits = 0  # projects handed out from the cache
        self.refusals = 0  # bakes that must fail (conftest's `refuse`), never cached

    @staticmethod
    def key(answers: dict[str, str]) -> str:
        try:
            context = prompt_for_config(
                generate_context(str(ROOT / "cookiecutter.json"), extra_context=answers), no_input=True
            )
        except Exception:  # answers cookiecutter refuses: the bake itself says why
            context = answers
        return json.dumps(context, sort_keys=True, default=str)

    def baked(self, **answers: str) -> Path:
        """The project these answers give, shared by the whole session: read it, never change it."""
        key = self.key(answers)
        if key in self.results:
            self.hits += 1
        else:
            self.results[key] = self.cookies.bake(extra_context=answers)
        result = self.results[key]
        if result.exit_code != 0 or result.exception is not None:
            error = "".join(traceback.format_exception(result.exception)) if result.exception else ""
            pytest.fail(
                f"baking {answers} failed (exit code {result.exit_code}; a hook's own message is in "
                f"the captured stderr of the first test that asked for it):\n{error}",
                pytrace=False,
            )
        return result.project_path

    def copy(self, into: Path, **answers: str) -> Path:
        """A private copy of the project these answers give, in `into`, for a test that changes it."""
        project = self.baked(**answers)
        return Path(shutil.copytree(project, into / project.name, symlinks=True))

    def counts(self) -> dict[str, int]:
        return {"bakes": len(self.results), "hits": self.hits, "refusals": self.refusals}


def files_of(project: Path) -> set[str]:
    return {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}


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


def render_hook(name: str, answers: dict, tmp_path: Path) -> Path:
    """Render a hook with Jinja exactly as cookiecutter does, so quoting is tested too."""
    context = {"cookiecutter": answers, "_cookiecutter": {k: v for k, v in OPTIONS.items() if k[0] != "_"}}
    env = StrictEnvironment(context=context, keep_trailing_newline=True)
    source = (ROOT / "hooks" / f"{name}.py").read_text(encoding="utf-8")
    script = tmp_path / f"{name}.py"
    script.write_text(env.from_string(source).render(**context), encoding="utf-8")
    return script


def interpreter(python: str) -> str | None:
    """A CPython of this minor version on this machine (pyenv or PATH), if any."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(root.glob(f"{python}.*"), reverse=True):
        exe = candidate / "bin" / f"python{python}"
        if exe.exists():
            return str(exe)
    return shutil.which(f"python{python}")


def answer_prompts(typed: list[str], output_dir: Path) -> subprocess.CompletedProcess:
    """Run the real interactive cookiecutter, typing `typed` and then Enter at every other prompt."""
    return subprocess.run(
        [sys.executable, "-m", "cookiecutter", str(ROOT), "-o", str(output_dir)],
        input="\n".join(typed + [""] * (PROMPTS - len(typed) + 1)),
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


def skip_or_fail(tier: str, problem: str | None, required_by: str) -> None:
    """Skip the calling module when what its tier needs is missing, or fail it where CI requires
    the tier (the environment variable `required_by` is 1)."""
    if problem is None:
        return
    if os.environ.get(required_by) == "1":
        pytest.fail(f"{required_by}=1, but {problem}", pytrace=False)
    pytest.skip(f"{tier} tier skipped: {problem} ({required_by}=1 fails instead)", allow_module_level=True)


SETTING_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \|", re.MULTILINE)


def readme_settings(project: Path) -> list[str]:
    """The variables the generated README's Configuration table lists (rows "| `NAME` |")."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration", 1)[1].split("\n## ", 1)[0]
    return SETTING_ROW.findall(section)


def runtime_pins(framework: str) -> list[str]:
    """The framework's runtime lock (`name==version`), read with the post-generation hook's rule."""
    lock = FRAMEWORKS_DIR / framework / "requirements.txt"
    return post.check_requirements(lock.read_text(encoding="utf-8"), str(lock))


def framework_settings(framework: str) -> set[str]:
    """The settings only this framework has: the rows its own README adds to the Configuration
    table. Tests of a framework's own behaviour select it by these, never by its name."""
    readme = FRAMEWORKS_DIR / framework / "README.md"
    return set(SETTING_ROW.findall(readme.read_text(encoding="utf-8"))) if readme.is_file() else set()


def offering(setting: str) -> list[str]:
    """The frameworks whose own README documents `setting`."""
    return [framework for framework in FRAMEWORKS if setting in framework_settings(framework)]


# The framework with the most files of its own: the update tests' hardest case.
LARGEST = max(FRAMEWORKS, key=lambda framework: sum(1 for _ in (FRAMEWORKS_DIR / framework).rglob("*")))
