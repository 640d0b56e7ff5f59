"""The fixtures every tier uses by name: `bake` for a generated project, and the docker tiers'
`images` (built once per session), `image` (indirect, by Variant) and `scratch` (containers
and images of one test). Shared helpers are plain modules: helpers.py and engine.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import helpers
from engine import Image, Images, Scratch, require_engine


@pytest.fixture
def bake(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Bake with the given answers (in a directory of its own); the project's path."""

    def _bake(**answers: str) -> Path:
        return helpers.bake(tmp_path_factory.mktemp("bake"), **answers)

    return _bake


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Images]:
    """Every image of the session; skips (or, with REQUIRE_DOCKER=1, fails) without an engine."""
    require_engine()
    built = Images(tmp_path_factory)
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
