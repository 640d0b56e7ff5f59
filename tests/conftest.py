"""The fixtures every tier uses by name, and how the suite bakes.

Baking goes through pytest-cookies. Its `--template` is pinned here to this repository, so the
suite bakes the same template from any working directory and in every pytest-xdist worker. Its
user config, and so its replay directory, is in the session's temporary directory, and so is
cookiecutter's for what runs cookiecutter itself (the real prompts, a replay file, cruft):
nothing is written to the home directory or the repository.

- `baked(**answers)`: the project for these answers, baked once per session (helpers.Bakery on
  pytest-cookies' `cookies_session`) and shared by every test that asks for the same answers:
  read it, never change it.
- `bake(**answers)`: a private copy of that project, in a directory of its own, for a test that
  changes it (`make`, git, edited or added files).
- `refuse(**answers)`: a bake that must fail, with pytest-cookies' function-scoped `cookies`.
- the docker tiers' `images` (built once per session from `baked` projects), `image`
  (indirect, by Variant) and `scratch` (containers and images of one test).

"Once per session" is once per xdist worker: each worker is a session of its own, with its
own cache. The terminal summary counts the bakes ("bakes: N (M served from the session
cache)"), added up over the workers. Shared helpers are plain modules: helpers.py and
engine.py.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_cookies.plugin import Cookies, Result

import helpers
from engine import Image, Images, Scratch, require_engine

BAKERY = pytest.StashKey[helpers.Bakery]()
WORKER_COUNTS = pytest.StashKey[Counter]()  # under xdist, on the controller: every worker's counts


def pytest_configure(config: pytest.Config) -> None:
    # pytest-cookies bakes its --template, by default the working directory: always this
    # repository, whatever directory pytest starts in (each xdist worker runs this too).
    config.option.template = str(helpers.ROOT)


@pytest.fixture(scope="session", autouse=True)
def cookiecutter_user_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """cookiecutter's user config for what runs cookiecutter outside pytest-cookies (the CLI at
    the real prompts, a replay file, cruft): its replay and clone directories are the session's,
    never the home directory's, and no ~/.cookiecutterrc changes the defaults."""
    home = tmp_path_factory.mktemp("cookiecutter-user")
    config = home / "config.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(home / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(home / 'replay'))}\n",
        encoding="utf-8",
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COOKIECUTTER_CONFIG", str(config))
        yield config


@pytest.fixture(scope="session")
def bakery(cookies_session: Cookies, pytestconfig: pytest.Config) -> helpers.Bakery:
    """The session's baked projects (helpers.Bakery), on pytest-cookies' `cookies_session`."""
    made = helpers.Bakery(cookies_session)
    pytestconfig.stash[BAKERY] = made
    return made


@pytest.fixture
def baked(bakery: helpers.Bakery) -> Callable[..., Path]:
    """The project for the given answers, baked once per session and shared: read it, never change it."""
    return bakery.baked


@pytest.fixture
def bake(bakery: helpers.Bakery, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """A private copy of the project for the given answers, in a directory of its own, for a
    test that changes it."""

    def _bake(**answers: str) -> Path:
        return bakery.copy(tmp_path_factory.mktemp("bake"), **answers)

    return _bake


@pytest.fixture
def refuse(cookies: Cookies, bakery: helpers.Bakery, tmp_path: Path) -> Callable[..., Result]:
    """Bake answers that must be refused, with pytest-cookies' function-scoped `cookies` (never
    cached): asserts that the bake failed and left nothing in its output directory, and returns
    the Result, whose `exception` the test checks (a refusal by a hook is a FailedHookException;
    a value outside a choice list, cookiecutter's own ValueError)."""
    output = tmp_path / "cookies"  # where `cookies` bakes: one bakeNN directory per bake

    def _refuse(**answers: str) -> Result:
        before = set(output.iterdir())
        result = cookies.bake(extra_context=answers)
        bakery.refusals += 1
        assert result.exit_code != 0, f"{answers} were not refused: {result.project_path}"
        assert result.exception is not None, result
        made = set(output.iterdir()) - before
        left = [str(path.relative_to(output)) for new in made for path in new.iterdir()]
        assert not left, f"the refused bake left {left}"
        return result

    return _refuse


@pytest.fixture(scope="session")
def images(bakery: helpers.Bakery, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Images]:
    """Every image of the session, built from the session's baked projects; skips (or, with
    REQUIRE_DOCKER=1, fails) without an engine."""
    require_engine()
    built = Images(bakery.baked, tmp_path_factory)
    yield built
    built.remove()


@pytest.fixture
def image(request: pytest.FixtureRequest, images: Images) -> Image:
    """The built image of the Variant the test is parametrized with (indirect=True)."""
    return images.get(request.param)


@pytest.fixture
def scratch() -> Iterator[Scratch]:
    made = Scratch()
    yield made
    made.remove()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """An xdist worker hands its bake counts to the controller (pytest_testnodedown)."""
    bakery = session.config.stash.get(BAKERY, None)
    if bakery is not None and hasattr(session.config, "workeroutput"):
        session.config.workeroutput["bakes"] = bakery.counts()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    counts = getattr(node, "workeroutput", {}).get("bakes")
    if counts is not None:
        node.config.stash.setdefault(WORKER_COUNTS, Counter()).update(counts, workers=1)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """One line: the projects the session baked, and how many requests its cache served."""
    if WORKER_COUNTS in config.stash:
        counts = config.stash[WORKER_COUNTS]
        workers = f"{counts['workers']} xdist worker" + ("s" if counts["workers"] != 1 else "")
        where = f", over {workers} (a session and a cache each)"
    elif BAKERY in config.stash:
        counts, where = config.stash[BAKERY].counts(), ""
    else:
        return
    terminalreporter.write_line(
        f"bakes: {counts['bakes']} ({counts['hits']} served from the session cache); "
        f"refused bakes: {counts['refusals']}{where}"
    )
