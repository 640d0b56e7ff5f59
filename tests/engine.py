"""The docker-backed tiers' machinery: the engine check, the image matrix, docker commands,
images and containers, and what several of those modules measure. Their fixtures (`images`,
`image`, `scratch`) are in conftest.py; each docker-backed module starts with
`require_engine()`, which skips it without an engine or fails it with REQUIRE_DOCKER=1.

Every container and image gets a unique ``cctest-`` name (per xdist worker) and is removed by a
fixture finalizer; the shared build cache is left alone.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import statistics
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import measure
from helpers import (
    DEFAULT_PYTHON,
    FRAMEWORKS,
    OPTIONS,
    PYTHONS,
    newest_supported,
    offering,
    runtime_pins,
    skip_or_fail,
    supported,
    version,
)

# The framework with the fewest dependencies (the smallest runtime lock): the cheapest image to
# build on every offered Python.
SWEEP_FRAMEWORK = min(FRAMEWORKS, key=lambda framework: len(runtime_pins(framework)))
DEFAULT_PORT = OPTIONS["port"]
OTHER_PORT = "8080"  # baked into every image away from the default Python
HEALTHY_WITHIN = 30.0  # seconds from `docker run` to a `healthy` health status
BUILD_TIMEOUT = 600
COMMAND_TIMEOUT = 60
PREFIX = f"cctest-{uuid.uuid4().hex[:10]}"  # per worker: names never collide under xdist
DOCKER_ENV = {**os.environ, "DOCKER_BUILDKIT": "1"}
# Test traffic goes to 127.0.0.1 only, never through a proxy.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))
MIB = 2**20

# A route that only the tests add: GET /slow/<seconds> sleeps, then answers {"slept": seconds}.
# Images.slow() builds a throwaway image on top of a built one, with this code appended to the
# module granian serves (cookiecutter.json's _framework_target): it wraps the app and answers
# /slow/ itself, so it needs to know only the interface. The product has no such route.
SLOW_ROUTES = {
    "asgi": """

import asyncio as _slow_asyncio

_slow_inner = {attribute}


async def {attribute}(scope, receive, send):
    path = scope.get("path", "") if scope["type"] == "http" else ""
    if not (path.startswith("/slow/") and path[6:].isdigit()):
        return await _slow_inner(scope, receive, send)
    await _slow_asyncio.sleep(int(path[6:]))
    body = b'{{"slept": %d}}' % int(path[6:])
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({{"type": "http.response.start", "status": 200, "headers": headers}})
    await send({{"type": "http.response.body", "body": body}})
""",
    "wsgi": """

import time as _slow_time

_slow_inner = {attribute}


def {attribute}(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if not (path.startswith("/slow/") and path[6:].isdigit()):
        return _slow_inner(environ, start_response)
    _slow_time.sleep(int(path[6:]))
    body = b'{{"slept": %d}}' % int(path[6:])
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
""",
}


def slow_route(framework: str) -> tuple[str, str]:
    """(the served module's file, the code to append to it) for the framework's interface."""
    module, attribute = OPTIONS["_framework_target"][framework].split(":")
    code = SLOW_ROUTES[OPTIONS["_framework_interface"][framework]].format(attribute=attribute)
    return f"{module.replace('.', '/')}.py", code


def command_problem(argv: list[str], failure: str, env: dict[str, str] | None = None) -> str | None:
    """None if the command answers (exit 0 within 30 s), else why not, in one line."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False, env=env)
    except subprocess.TimeoutExpired:
        return f"`{' '.join(argv)}` did not answer within 30 s"
    if result.returncode != 0:
        return f"{failure} (`{' '.join(argv)}`: {result.stderr.strip()[-300:]})"
    return None


@functools.cache
def engine_problem() -> str | None:
    """Why no Docker engine can be used here, or None if one answers."""
    if shutil.which("docker") is None:
        return "the docker CLI is not installed"
    return command_problem(["docker", "info", "--format", "{{.ServerVersion}}"], "no Docker engine reachable")


def require_engine(tier: str = "docker", also: Callable[[], str | None] | None = None) -> None:
    """Skip the calling module without a Docker engine (or, once one answers, when `also` names
    a problem), or fail it instead with REQUIRE_DOCKER=1, as CI sets."""
    problem = engine_problem()
    if problem is None and also is not None:
        problem = also()
    skip_or_fail(tier, problem, "REQUIRE_DOCKER")


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
    """Every framework at the default Python (or the newest it supports) and at the newest
    offered Python, and every offered Python with the framework of the fewest dependencies
    (SWEEP_FRAMEWORK). Bakes away from the default Python use a non-default port, so the port
    plumbing meets every framework."""
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
MIGRATING_VARIANTS = [v for v in VARIANTS if v.framework in offering("RUN_MIGRATIONS")]

every_image = pytest.mark.parametrize("image", VARIANTS, ids=str, indirect=True)
every_framework = pytest.mark.parametrize("image", DEFAULT_VARIANTS, ids=str, indirect=True)


# ---- docker -----------------------------------------------------------------------------------


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


def http_get(port: int, path: str, timeout: float = 5) -> tuple[int, str]:
    """GET http://127.0.0.1:<port><path>; the status and body, also for error statuses."""
    try:
        with HTTP.open(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def published(port: int | str) -> list[str]:
    return ["--publish", f"127.0.0.1::{port}"]


HARDENED = ["--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"]


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


class Images:
    """Builds each variant once per session (per xdist worker) from the session's baked
    project, and its slow-route image once too; removes the tags at the end."""

    def __init__(self, bake: Callable[..., Path], tmp: pytest.TempPathFactory) -> None:
        self.bake = bake  # the session's shared projects (conftest's `baked`): read, never changed
        self.tmp = tmp
        self.built: dict[Variant, Image] = {}
        self.slow_built: dict[Variant, Image] = {}
        self.tags: list[str] = []

    def project(self, variant: Variant) -> Path:
        """The variant's baked project, from the session's cache, unmodified."""
        return self.bake(python_version=variant.python, framework=variant.framework, port=variant.port)

    def get(self, variant: Variant) -> Image:
        if variant not in self.built:
            project = self.project(variant)
            tag = f"{PREFIX}:{variant}"
            self.tags.append(tag)
            build(project, tag)
            self.built[variant] = Image(variant, tag, project)
        return self.built[variant]

    def slow(self, variant: Variant) -> Image:
        """The variant's image plus GET /slow/<seconds> (SLOW_ROUTES): one more layer, one file."""
        if variant not in self.slow_built:
            image = self.get(variant)
            module, code = slow_route(variant.framework)
            context = self.tmp.mktemp(f"slow-{variant}")
            original = (image.project / image.package / module).read_text(encoding="utf-8")
            (context / module).write_text(original + code, encoding="utf-8")
            (context / "Dockerfile").write_text(
                f"FROM {image.tag}\nCOPY {module} /app/{image.package}/{module}\n", encoding="utf-8"
            )
            tag = f"{PREFIX}:{variant}-slow"
            self.tags.append(tag)
            build(context, tag)
            self.slow_built[variant] = Image(variant, tag, image.project)
        return self.slow_built[variant]

    def remove(self) -> None:
        for tag in self.tags:
            docker("rmi", "--force", tag, check=False)


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


def start(scratch: Scratch, image: Image, *options: str) -> tuple[Container, int]:
    """Run the image published on 127.0.0.1, wait until healthy; the container and its host port."""
    container = scratch.start(image.tag, *options, *published(image.port))
    container.wait_healthy()
    return container, container.host_port(image.port)


def slow_get(port: int, seconds: int, into: dict, timeout: float = 60) -> None:
    """GET /slow/<seconds> from an Images.slow() image; the status and JSON body (or the error)
    go into `into`. Meant for a thread, while the test signals the container."""
    try:
        with HTTP.open(f"http://127.0.0.1:{port}/slow/{seconds}", timeout=timeout) as response:
            into["status"], into["body"] = response.status, json.loads(response.read())
    except (OSError, ValueError) as error:
        into["error"] = repr(error)


# ---- measurements -----------------------------------------------------------------------------


def memory_bytes(container: Container) -> int:
    """Memory the container keeps once a load is over, as `docker stats` reports it (page cache
    excluded): the median of three samples taken after the connections have closed, so that
    threads still finishing their last request do not count."""
    time.sleep(2)
    samples = []
    for _ in range(3):
        usage = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container.name).stdout
        samples.append(measure.parse_memory(usage))
    return statistics.median(samples)


def worker_pids(container: Container) -> list[int]:
    """Server worker processes: children of PID 1 (not multiprocessing's resource tracker)."""
    script = (
        "import os\n"
        "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "    try:\n"
        "        stat = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()\n"
        "        cmd = open(f'/proc/{pid}/cmdline').read()\n"
        "    except OSError:\n"
        "        continue\n"
        "    if stat[1] == '1' and 'resource_tracker' not in cmd:\n"
        "        print(pid)\n"
    )
    return sorted(int(pid) for pid in docker("exec", container.name, "python", "-c", script).stdout.split())


def wrk_command(port: int, seconds: int, *, connections: int, path: str = "/") -> list[str]:
    """measure.py's wrk command line; fails the test if wrk is not installed."""
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed (apt-get install wrk; .ci/run does this)", pytrace=False)
    return measure.wrk_command(port, seconds, connections=connections, path=path)


def wrk(port: int, seconds: int, *, connections: int, path: str = "/") -> measure.Wrk:
    """Run wrk against 127.0.0.1:<port><path>; its parsed output (measure.py)."""
    argv = wrk_command(port, seconds, connections=connections, path=path)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return measure.parse_wrk(result.stdout)
