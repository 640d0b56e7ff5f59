"""Docker tier: build the generated images unmodified, run them, and probe them from the host.

The matrix (engine.VARIANTS) is derived from cookiecutter.json, so a new choice is built
automatically: every framework at the default Python (or the newest one it supports), every
framework at the newest offered Python, and every offered Python with the framework of the
fewest dependencies (engine.SWEEP_FRAMEWORK). Bakes away from the default Python use a
non-default port, so the port plumbing is exercised with every framework.

Each xdist worker bakes and builds an image once per session (a repeat build in the other
worker is a BuildKit cache hit). Without a reachable engine the module is skipped; with
REQUIRE_DOCKER=1 it fails instead.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from engine import (
    BUILD_TIMEOUT,
    DEFAULT_VARIANTS,
    DOCKER_ENV,
    HARDENED,
    HEALTHY_WITHIN,
    MIGRATING_VARIANTS,
    Container,
    Image,
    Scratch,
    build,
    docker,
    every_image,
    http_get,
    published,
    require_engine,
)
from helpers import OPTIONS
from measure import build_steps, uv_version

pytestmark = pytest.mark.docker
require_engine()

MB = 1_000_000
# Bytes an image may add over its python:X-slim base, per framework: cookiecutter.json's
# _framework_size_budget_mb, about 25 % above what this tier measured when the budget was set
# (the test prints each size). A framework without a budget fails the test.
SIZE_BUDGETS = {framework: round(mb * MB) for framework, mb in OPTIONS["_framework_size_budget_mb"].items()}

OVERRIDE_PORT = "9090"  # given at run time with -e PORT=...
APP_UID = "10001"
STOP_WITHIN = 2.0  # seconds for `docker stop -t 10` to return
PROJECT_TESTS_TIMEOUT = 300

# A throwaway image on top of the built one: the project's dev requirements go into the
# image's own venv, and the project's tests run against the code the image carries.
TEST_DOCKERFILE = """\
ARG APP_IMAGE
ARG UV_IMAGE
FROM ${UV_IMAGE} AS uv
FROM ${APP_IMAGE}
USER 0
COPY --from=uv /uv /usr/local/bin/uv
RUN --mount=type=cache,target=/root/.cache/uv \\
    --mount=type=bind,source=requirements.txt,target=/tmp/req/requirements.txt \\
    --mount=type=bind,source=requirements-dev.txt,target=/tmp/req/requirements-dev.txt \\
    UV_LINK_MODE=copy uv pip install --python /opt/venv/bin/python --require-hashes \\
        --requirement /tmp/req/requirements-dev.txt
COPY pyproject.toml ./
COPY tests/ tests/
USER 10001:10001
ENTRYPOINT ["python", "-m", "pytest", "-p", "no:cacheprovider"]
CMD []
"""


# ---- helpers ---------------------------------------------------------------------------------


def inspect_image(image: str, template: str) -> str:
    return docker("image", "inspect", "--format", template, image).stdout.strip()


def layers(image: str) -> list[str]:
    return json.loads(inspect_image(image, "{{json .RootFS.Layers}}"))


def size(image: str) -> int:
    return int(inspect_image(image, "{{.Size}}"))


def base_image(python: str) -> str:
    return f"python:{python}-slim"


def assert_serves(container: Container, port: int | str, slug: str) -> int:
    """GET / and GET /health answer 200 on the published port; returns that host port."""
    host_port = container.host_port(port)
    status, body = http_get(host_port, "/")
    assert status == 200, body
    assert json.loads(body)["service"] == slug
    status, body = http_get(host_port, "/health")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    return host_port


def assert_stops_cleanly(container: Container) -> float:
    seconds = container.stop()
    exit_code = container.state()["ExitCode"]
    assert seconds < STOP_WITHIN, f"docker stop took {seconds:.2f} s:\n{container.logs()}"
    assert exit_code == 0, f"exit code {exit_code} after docker stop:\n{container.logs()}"
    return seconds


def runtime_layer_steps(dockerfile: str) -> list[str]:
    """The final stage's instructions that add an image layer, in order."""
    instructions, pending = [], ""
    for line in dockerfile.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        pending += stripped
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        instructions.append(pending)
        pending = ""
    last_from = max(i for i, text in enumerate(instructions) if text.upper().startswith("FROM "))
    return [
        text
        for text in instructions[last_from + 1 :]
        if text.split(maxsplit=1)[0].upper() in {"RUN", "COPY", "ADD", "WORKDIR"}
    ]


def the_step(steps: dict[str, bool], needle: str) -> bool:
    found = [name for name in steps if needle in name]
    assert len(found) == 1, f"expected one build step with {needle!r}, found {found}"
    return steps[found[0]]


# ---- tests: every image -----------------------------------------------------------------------


@every_image
def test_serves_healthy_as_uid_10001_and_stops_cleanly(image: Image, scratch: Scratch) -> None:
    container = scratch.start(image.tag, *published(image.port))
    healthy_after = container.wait_healthy()
    assert_serves(container, image.port, image.project.name)

    assert docker("exec", container.name, "id", "-u").stdout.strip() == APP_UID
    processes = docker("top", container.name, "-o", "uid,pid,args").stdout.splitlines()[1:]
    assert processes
    assert {line.split()[0] for line in processes} == {APP_UID}, processes

    stopped_after = assert_stops_cleanly(container)
    print(f"{image.variant}: healthy after {healthy_after:.1f} s, docker stop took {stopped_after:.2f} s")


@every_image
def test_port_variable_moves_the_listener_and_the_health_check(image: Image, scratch: Scratch) -> None:
    assert image.variant.port != OVERRIDE_PORT
    container = scratch.start(
        image.tag, "--env", f"PORT={OVERRIDE_PORT}", *published(OVERRIDE_PORT), *published(image.port)
    )
    container.wait_healthy()  # the probe follows PORT: on the baked port it would find nothing
    assert_serves(container, OVERRIDE_PORT, image.project.name)
    with pytest.raises(OSError):  # moved, not added: nothing answers on the baked port
        http_get(container.host_port(image.port), "/health")


@every_image
def test_runs_healthy_read_only_without_capabilities(image: Image, scratch: Scratch) -> None:
    container = scratch.start(image.tag, *HARDENED, *published(image.port))
    container.wait_healthy()
    assert_serves(container, image.port, image.project.name)
    assert_stops_cleanly(container)


@every_image
def test_project_tests_pass_inside_the_image(image: Image, scratch: Scratch, tmp_path: Path) -> None:
    for name in ("pyproject.toml", "requirements.txt", "requirements-dev.txt"):
        shutil.copy2(image.project / name, tmp_path / name)
    shutil.copytree(image.project / "tests", tmp_path / "tests")
    (tmp_path / "Dockerfile.test").write_text(TEST_DOCKERFILE, encoding="utf-8")
    uv = uv_version(image.project)
    test_image = scratch.tag("tests")
    build(
        tmp_path,
        test_image,
        "--file",
        str(tmp_path / "Dockerfile.test"),
        "--build-arg",
        f"APP_IMAGE={image.tag}",
        "--build-arg",
        f"UV_IMAGE=ghcr.io/astral-sh/uv:{uv}",
    )
    result = scratch.run("--network=none", "--no-healthcheck", test_image, timeout=PROJECT_TESTS_TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"{image.variant}: {result.stdout.strip().splitlines()[-1].strip('= ')}")


@every_image
def test_image_stays_within_its_size_budget(image: Image) -> None:
    added = size(image.tag) - size(base_image(image.variant.python))
    framework = image.variant.framework
    print(f"{image.variant}: {added:,} bytes over {base_image(image.variant.python)}")
    assert framework in SIZE_BUDGETS, f"no size budget for {framework!r}: measured {added:,} bytes; add one"
    assert 0 < added <= SIZE_BUDGETS[framework], f"{added:,} bytes > budget {SIZE_BUDGETS[framework]:,}"


@pytest.mark.parametrize("image", MIGRATING_VARIANTS, ids=str, indirect=True)
def test_run_migrations_applies_them_at_start(image: Image, scratch: Scratch) -> None:
    # Read-only with /tmp in memory, as in production: the image's database lives in /tmp.
    container = scratch.start(image.tag, "--env", "RUN_MIGRATIONS=1", *HARDENED, *published(image.port))
    container.wait_healthy()
    logs = container.logs()
    assert "Applying" in logs, logs
    assert_serves(container, image.port, image.project.name)


# ---- tests: once per framework ----------------------------------------------------------------


@pytest.mark.parametrize("image", DEFAULT_VARIANTS, ids=str, indirect=True)
def test_local_files_stay_out_of_the_image(image: Image, scratch: Scratch, tmp_path: Path) -> None:
    project = shutil.copytree(image.project, tmp_path / image.project.name)
    marker = f"cctest-marker-{uuid.uuid4().hex}"
    for where in (project, project / image.package):
        (where / ".env").write_text(f"SECRET={marker}\n", encoding="utf-8")
        for directory in (".git", ".venv"):
            (where / directory).mkdir()
            (where / directory / marker).write_text(marker, encoding="utf-8")
    tag = scratch.tag("context")
    build(project, tag)

    listing = scratch.run("--entrypoint", "sh", tag, "-c", "ls -a /app")
    assert listing.returncode == 0, listing.stderr
    assert sorted(listing.stdout.split()) == sorted([".", "..", image.package])
    found = scratch.run(
        "--entrypoint",
        "sh",
        tag,
        "-c",
        f"find /app -name .env -o -name .git -o -name .venv -o -name {marker}",
    )
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == ""


@pytest.mark.parametrize("image", DEFAULT_VARIANTS, ids=str, indirect=True)
def test_code_change_reuses_the_dependency_layers(image: Image, scratch: Scratch, tmp_path: Path) -> None:
    project = shutil.copytree(image.project, tmp_path / image.project.name)
    with (project / image.package / "__init__.py").open("a", encoding="utf-8") as init:
        init.write(f"# a one-line code change, new in every run: {uuid.uuid4().hex}\n")
    tag = scratch.tag("changed")
    progress = build(project, tag)

    steps = build_steps(progress)
    assert the_step(steps, "uv pip install"), f"the dependency install ran again:\n{progress}"
    assert the_step(steps, "COPY --from=builder /opt/venv"), f"the venv was copied again:\n{progress}"
    assert not the_step(steps, f"COPY {image.package}/"), f"the code change was not seen:\n{progress}"

    base = layers(base_image(image.variant.python))
    before, after = layers(image.tag), layers(tag)
    own = runtime_layer_steps((project / "Dockerfile").read_text(encoding="utf-8"))
    assert len(before) == len(after) == len(base) + len(own), (base, own, before)
    venv = len(base) + next(
        i for i, step in enumerate(own) if step.startswith("COPY --from=builder /opt/venv")
    )
    assert after[: venv + 1] == before[: venv + 1], "a layer up to the venv copy was rebuilt"
    assert after[venv + 1 :] != before[venv + 1 :], "no layer after the venv copy changed"


@pytest.mark.parametrize("image", DEFAULT_VARIANTS[:1], ids=str, indirect=True)
def test_make_build_and_make_run_work_as_written(image: Image, scratch: Scratch) -> None:
    """The generated Makefile's `build` and `run` targets, as the README gives them."""
    make = shutil.which("make")
    assert make, "GNU make is needed for the generated Makefile"
    tag, name = scratch.tag("make"), scratch.name()
    scratch.containers.append(name)
    source = "https://example.com/acme/service"
    built = subprocess.run(
        [make, "build", f"IMAGE={tag}", f"SOURCE_URL={source}"],
        cwd=image.project,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
        env=DOCKER_ENV,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    labels = json.loads(docker("image", "inspect", "--format", "{{json .Config.Labels}}", tag).stdout)
    assert labels["org.opencontainers.image.source"] == source
    default = json.loads(docker("image", "inspect", "--format", "{{json .Config.Labels}}", image.tag).stdout)
    assert default["org.opencontainers.image.source"] == ""  # empty-safe without SOURCE_URL
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    run = subprocess.Popen(
        [make, "run", f"IMAGE={tag}", f"NAME={name}", f"PORT={port}"],
        cwd=image.project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        container = Container(name)
        deadline = time.monotonic() + HEALTHY_WITHIN
        while True:
            try:
                if http_get(port, "/health")[0] == 200:
                    break
            except OSError:
                pass
            assert run.poll() is None, run.stdout.read()
            assert time.monotonic() < deadline, "make run: nothing answered on 127.0.0.1"
            time.sleep(0.2)
        assert container.host_port(port) == port
        container.stop()
        output, _ = run.communicate(timeout=30)
        assert run.returncode == 0, output
    finally:
        run.kill()
