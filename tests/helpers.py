"""What several test modules share: the template's facts and plain helpers.

Each rule comes from where the template defines it: the choices from cookiecutter.json, the
validation rules from the hooks (loaded here from their unrendered source, as `pre` and
`post`), baking from bench/measure.py. Nothing here restates them. The docker tier's
machinery is in engine.py, the fixtures in conftest.py.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from cookiecutter.environment import StrictEnvironment

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


def bake(output_dir: Path, **answers: str) -> Path:
    """The project the template generates with these answers, without prompting."""
    from cookiecutter.main import cookiecutter

    output_dir.mkdir(parents=True, exist_ok=True)
    config = output_dir / "cookiecutter-config.yaml"
    config.write_text(f"replay_dir: {json.dumps(str(output_dir / 'replay'))}\n", encoding="utf-8")
    project = cookiecutter(
        str(ROOT), no_input=True, output_dir=str(output_dir), config_file=str(config), extra_context=answers
    )
    return Path(project)


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
