"""Docker tier: build the generated images unmodified, run them, and probe them from the host.

The matrix is derived from cookiecutter.json, so a new choice is built automatically:
every framework at the default Python (or the newest one it supports), every framework
at the newest offered Python, and every offered Python with the dependency-free "none"
framework. Bakes away from the default Python use a non-default port, so the port
plumbing is exercised with every framework.

Each xdist worker bakes and builds an image once per session (a repeat build in the other
worker is a BuildKit cache hit). Every container and image gets a unique ``cctest-`` name
and is removed by a fixture finalizer; the shared build cache is left alone.

Without a reachable engine the module is skipped; with REQUIRE_DOCKER=1 it fails instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from conftest import (
    DEFAULT_PYTHON,
    FRAMEWORKS,
    OPTIONS,
    PYTHONS,
    ROOT,
    newest_supported,
    supported,
    version,
)

pytestmark = pytest.mark.docker

KB = 1_000
MB = 1_000_000
# Bytes an image may add over its python:X-slim base, per framework: the largest measured
# among the images below plus ~25 % headroom. A framework without a budget fails the test.
# granian's compiled server (already stripped) is 21.6 MB of each Python framework's share.
SIZE_BUDGETS = {
    "fastapi": 69 * MB,  # measured 54.9 MB
    "flask": 34_500 * KB,  # measured 27.4 MB
    "django": 58 * MB,  # measured 46.2 MB (gettext .po sources dropped from the venv)
    "none": 50 * KB,  # measured 39.7 kB: an empty venv (no activation scripts) and the package
}

SWEEP_FRAMEWORK = "none"  # no third-party dependencies: the cheapest image to build on every Python
DEFAULT_PORT = OPTIONS["port"]
OTHER_PORT = "8080"  # baked into every image away from the default Python
OVERRIDE_PORT = "9090"  # given at run time with -e PORT=...
APP_UID = "10001"
HEALTHY_WITHIN = 30.0  # seconds from `docker run` to a `healthy` health status
STOP_WITHIN = 2.0  # seconds for `docker stop -t 10` to return
BUILD_TIMEOUT = 600
COMMAND_TIMEOUT = 60
PROJECT_TESTS_TIMEOUT = 300
PREFIX = f"cctest-{uuid.uuid4().hex[:10]}"  # per worker: names never collide under xdist
DOCKER_ENV = {**os.environ, "DOCKER_BUILDKIT": "1"}
# Test traffic goes to 127.0.0.1 only, never through a proxy.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))

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


def engine_problem() -> str | None:
    """Why no Docker engine can be used here, or None if one answers."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 30 s"
    if result.returncode != 0:
        return f"no Docker engine reachable (`docker info`: {result.stderr.strip()[-300:]})"
    return None


def skip_or_fail(tier: str, problem: str | None) -> None:
    """Skip the calling module when its engine is missing, or fail it where CI requires the tier."""
    if problem is None:
        return
    if os.environ.get("REQUIRE_DOCKER") == "1":
        pytest.fail(f"REQUIRE_DOCKER=1, but {problem}", pytrace=False)
    pytest.skip(f"{tier} tier skipped: {problem} (REQUIRE_DOCKER=1 fails instead)", allow_module_level=True)


skip_or_fail("docker", engine_problem())


# ---- the matrix -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    python: str
    framework: str
    port: str

    def __str__(self) -> str:
        return f"{self.framework}-py{self.python}-port{self.port}"


def default_python(framework: str) -> str:
    return DEFAULT_PYTHON if supported(DEFAULT_PYTHON, framework) else newest_supported(framework)


def matrix() -> list[Variant]:
    newest = max(PYTHONS, key=version)
    wanted = [(default_python(fw), fw) for fw in FRAMEWORKS]
    wanted += [(newest, fw) for fw in FRAMEWORKS if supported(newest, fw)]
    wanted += [(py, SWEEP_FRAMEWORK) for py in PYTHONS if supported(py, SWEEP_FRAMEWORK)]
    variants: dict[tuple[str, str], Variant] = {}
    for python, framework in wanted:
        port = DEFAULT_PORT if python == default_python(framework) else OTHER_PORT
        variants.setdefault((python, framework), Variant(python, framework, port))
    return list(variants.values())


VARIANTS = matrix()
DEFAULT_VARIANTS = [v for v in VARIANTS if v.python == default_python(v.framework)]
DJANGO_VARIANTS = [v for v in VARIANTS if v.framework == "django"]


# ---- docker helpers ---------------------------------------------------------------------------


def docker(
    *args: str, timeout: float = COMMAND_TIMEOUT, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False, env=DOCKER_ENV
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"`docker {' '.join(args)}` exited {result.returncode}:\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


def build(context: Path, tag: str, *options: str) -> str:
    """`docker build` with BuildKit; returns the plain progress log."""
    return docker(
        "build", "--progress=plain", "--tag", tag, *options, str(context), timeout=BUILD_TIMEOUT
    ).stderr


def inspect_image(image: str, template: str) -> str:
    return docker("image", "inspect", "--format", template, image).stdout.strip()


def layers(image: str) -> list[str]:
    return json.loads(inspect_image(image, "{{json .RootFS.Layers}}"))


def size(image: str) -> int:
    return int(inspect_image(image, "{{.Size}}"))


def base_image(python: str) -> str:
    return f"python:{python}-slim"


def http_get(port: int, path: str) -> tuple[int, str]:
    """GET http://127.0.0.1:<port><path>; the status and body, also for error statuses."""
    try:
        with HTTP.open(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@dataclass
class Image:
    variant: Variant
    tag: str
    project: Path  # the baked project the image was built from, unmodified

    @property
    def package(self) -> str:
        return self.project.name.replace("-", "_")

    @property
    def port(self) -> int:
        return int(self.variant.port)


class Container:
    def __init__(self, name: str) -> None:
        self.name = name
        self.started = time.monotonic()

    def state(self) -> dict:
        return json.loads(docker("inspect", "--format", "{{json .State}}", self.name).stdout)

    def logs(self) -> str:
        result = docker("logs", self.name, check=False)
        return result.stdout + result.stderr

    def wait_healthy(self, within: float = HEALTHY_WITHIN) -> float:
        """Poll the health status until `healthy`; the seconds it took since `docker run`."""
        while True:
            state = self.state()
            health = (state.get("Health") or {}).get("Status")
            elapsed = time.monotonic() - self.started
            if health == "healthy":
                return elapsed
            if not state["Running"]:
                pytest.fail(f"{self.name} exited ({state['ExitCode']}) after {elapsed:.1f} s:\n{self.logs()}")
            if health == "unhealthy":
                pytest.fail(f"{self.name} is unhealthy after {elapsed:.1f} s:\n{self.logs()}")
            if elapsed > within:
                pytest.fail(f"{self.name} is still {health!r} after {within:.0f} s:\n{self.logs()}")
            time.sleep(0.5)

    def host_port(self, port: int | str) -> int:
        """The 127.0.0.1 port that Docker published for the container's <port>/tcp."""
        mappings = docker("port", self.name, f"{port}/tcp").stdout.split()
        assert mappings, f"{port}/tcp is not published"
        host, _, host_port = mappings[0].rpartition(":")
        assert host == "127.0.0.1", mappings
        return int(host_port)

    def stop(self) -> float:
        """`docker stop -t 10`; the seconds it took to return."""
        started = time.monotonic()
        docker("stop", "--time", "10", self.name, timeout=30)
        return time.monotonic() - started


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


def build_steps(progress: str) -> dict[str, bool]:
    """BuildKit plain progress: each step's name -> whether it came from the cache."""
    names: dict[str, str] = {}
    cached: set[str] = set()
    for line in progress.splitlines():
        if match := re.match(r"#(\d+) (\[.*)", line):
            names[match[1]] = match[2]
        elif match := re.match(r"#(\d+) CACHED\s*$", line):
            cached.add(match[1])
    return {name: number in cached for number, name in names.items()}


def the_step(steps: dict[str, bool], needle: str) -> bool:
    found = [name for name in steps if needle in name]
    assert len(found) == 1, f"expected one build step with {needle!r}, found {found}"
    return steps[found[0]]


# ---- fixtures ---------------------------------------------------------------------------------


class Images:
    """Bakes and builds each variant once per session (per xdist worker); removes the tags at the end."""

    def __init__(self, tmp: pytest.TempPathFactory) -> None:
        self.tmp = tmp
        self.config = tmp.mktemp("cookiecutter-config") / "config.yaml"
        # Keeps cookiecutter's replay files out of the home directory.
        self.config.write_text(f"replay_dir: {self.config.parent / 'replay'}\n", encoding="utf-8")
        self.built: dict[Variant, Image] = {}
        self.tags: list[str] = []

    def bake(self, variant: Variant) -> Path:
        output = self.tmp.mktemp(str(variant))
        path = cookiecutter(
            str(ROOT),
            no_input=True,
            output_dir=str(output),
            config_file=str(self.config),
            extra_context={
                "python_version": variant.python,
                "framework": variant.framework,
                "port": variant.port,
            },
        )
        return Path(path)

    def get(self, variant: Variant) -> Image:
        if variant not in self.built:
            project = self.bake(variant)
            tag = f"{PREFIX}:{variant}"
            self.tags.append(tag)
            build(project, tag)
            self.built[variant] = Image(variant, tag, project)
        return self.built[variant]

    def remove(self) -> None:
        for tag in self.tags:
            docker("rmi", "--force", tag, check=False)


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Images]:
    built = Images(tmp_path_factory)
    yield built
    built.remove()


@pytest.fixture
def image(request: pytest.FixtureRequest, images: Images) -> Image:
    return images.get(request.param)


class Scratch:
    """Containers and extra images made by one test; removed when it ends."""

    def __init__(self) -> None:
        self.containers: list[str] = []
        self.tags: list[str] = []

    def name(self) -> str:
        return f"{PREFIX}-{uuid.uuid4().hex[:8]}"

    def tag(self, label: str) -> str:
        tag = f"{PREFIX}-{label}:{uuid.uuid4().hex[:8]}"
        self.tags.append(tag)
        return tag

    def start(self, image: str, *options: str) -> Container:
        """`docker run --detach` with the options (published ports, -e, hardening ...)."""
        container = Container(self.name())
        self.containers.append(container.name)
        docker("run", "--detach", "--name", container.name, *options, image)
        return container

    def run(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """A one-off container; args are `docker run` options, the image, then its arguments."""
        name = self.name()
        self.containers.append(name)
        return docker("run", "--rm", "--name", name, *args, timeout=timeout, check=False)

    def remove(self) -> None:
        for name in self.containers:
            docker("rm", "--force", "--volumes", name, check=False)
        for tag in self.tags:
            docker("rmi", "--force", tag, check=False)


@pytest.fixture
def scratch() -> Iterator[Scratch]:
    made = Scratch()
    yield made
    made.remove()


def published(port: int | str) -> list[str]:
    return ["--publish", f"127.0.0.1::{port}"]


HARDENED = ["--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"]

every_image = pytest.mark.parametrize("image", VARIANTS, ids=str, indirect=True)


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
    uv_version = re.search(r"^ARG UV_VERSION=(\S+)$", (image.project / "Dockerfile").read_text(), re.M)
    assert uv_version, "the generated Dockerfile has no ARG UV_VERSION"
    test_image = scratch.tag("tests")
    build(
        tmp_path,
        test_image,
        "--file",
        str(tmp_path / "Dockerfile.test"),
        "--build-arg",
        f"APP_IMAGE={image.tag}",
        "--build-arg",
        f"UV_IMAGE=ghcr.io/astral-sh/uv:{uv_version[1]}",
    )
    result = scratch.run("--network", "none", "--no-healthcheck", test_image, timeout=PROJECT_TESTS_TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    print(f"{image.variant}: {result.stdout.strip().splitlines()[-1].strip('= ')}")


@every_image
def test_image_stays_within_its_size_budget(image: Image) -> None:
    added = size(image.tag) - size(base_image(image.variant.python))
    framework = image.variant.framework
    print(f"{image.variant}: {added:,} bytes over {base_image(image.variant.python)}")
    assert framework in SIZE_BUDGETS, f"no size budget for {framework!r}: measured {added:,} bytes; add one"
    assert 0 < added <= SIZE_BUDGETS[framework], f"{added:,} bytes > budget {SIZE_BUDGETS[framework]:,}"


@pytest.mark.parametrize("image", DJANGO_VARIANTS, ids=str, indirect=True)
def test_django_applies_migrations_at_start(image: Image, scratch: Scratch) -> None:
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
