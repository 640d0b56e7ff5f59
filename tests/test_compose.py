"""Compose tier: the generated compose.yaml, run with Docker Compose as the generated README says.

For every framework at its default Python, a project baked with ``include_compose`` on goes
through ``docker compose up --build --wait``: the service must become ``healthy``, answer on
the loopback port the compose file publishes, carry the file's hardening and restart policy,
and ``docker compose down --volumes --rmi local --remove-orphans`` must leave nothing behind.

Parallel runs (pytest-xdist) never collide:

- each test bakes its own slug and uses it as the Compose project name (``cctest-compose-<hex>``),
  so the image tag (``<slug>:latest``), the containers and the network are its own; a
  developer's ``acme-service:latest`` is never touched;
- compose.yaml publishes a fixed host port (``127.0.0.1:<port>:<port>``), which two projects
  cannot hold at once. Each test writes a ``compose.override.yaml`` next to it, the file Compose
  merges by default, that replaces only the host side with a free loopback port
  (``127.0.0.1::<port>``). The test first proves that the merged configuration is the generated
  one with nothing but that host port changed.

Teardown runs in a finalizer, also when an assertion fails: ``down``, then anything still
carrying the project's label is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine import DEFAULT_VARIANTS, DOCKER_ENV, Variant, command_problem, docker, http_get, require_engine

pytestmark = [pytest.mark.docker, pytest.mark.compose]

UP_TIMEOUT = 720  # seconds for `up --build --wait`: a cold build (600) and the wait (120)
WAIT_TIMEOUT = 120  # --wait-timeout: seconds for the service to become healthy once started
DOWN_TIMEOUT = 120
COMMAND_TIMEOUT = 60
LABEL = "com.docker.compose.project"
# Compose reads these from the environment; the test decides the project, the files and the name.
COMPOSE_ENV = {key: value for key, value in DOCKER_ENV.items() if not key.startswith("COMPOSE_")}

OVERRIDE = """\
# Written by the template's compose tier: the generated service, published on a free
# loopback port instead of the fixed one, so that parallel test runs do not compete for it.
services:
  {service}:
    ports: !override
      - "127.0.0.1::{port}"
"""


def compose_problem() -> str | None:
    """Why `docker compose` cannot be used here, or None."""
    return command_problem(
        ["docker", "compose", "version", "--short"], "the docker compose plugin is not installed", COMPOSE_ENV
    )


require_engine("compose", also=compose_problem)


class ComposeProject:
    """One baked project under its own Compose project name."""

    def __init__(self, name: str, port: int) -> None:
        self.name = name  # the Compose project name, also the slug and the service name
        self.directory: Path | None = None  # set once baked
        self.port = port  # the container port compose.yaml publishes
        self.down_succeeded = False

    @property
    def service(self) -> str:
        return self.name

    def run(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """`docker compose --project-name <name> <args>` in the project directory."""
        argv = ["docker", "compose", "--project-name", self.name, *args]
        try:
            return subprocess.run(
                argv,
                cwd=self.directory,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
                env=COMPOSE_ENV,
            )
        except subprocess.TimeoutExpired as expired:
            output = expired.stderr or b""
            if isinstance(output, bytes):
                output = output.decode(errors="replace")
            pytest.fail(f"`{' '.join(argv)}` did not finish within {timeout:.0f} s:\n{output[-4000:]}")

    def ok(self, *args: str, timeout: float = COMMAND_TIMEOUT) -> str:
        """Run a compose command that must exit 0; its stdout."""
        result = self.run(*args, timeout=timeout)
        assert result.returncode == 0, (
            f"`docker compose {' '.join(args)}` exited {result.returncode}:\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
        return result.stdout

    def config(self, *files: str) -> dict:
        """The resolved configuration: of the given files, or of what `docker compose` finds by default."""
        options = [arg for name in files for arg in ("--file", name)]
        return json.loads(self.ok(*options, "config", "--format", "json"))

    def logs(self) -> str:
        result = self.run("logs", "--no-color")
        return result.stdout[-4000:] + result.stderr[-4000:]

    def containers(self) -> list[dict]:
        """`docker compose ps --all --format json`: one object per line (or one list, before 2.21)."""
        output = self.ok("ps", "--all", "--format", "json").strip()
        if output.startswith("["):
            return json.loads(output)
        return [json.loads(line) for line in output.splitlines() if line.strip()]

    def publish_on_a_free_port(self) -> None:
        """Write the override that moves the fixed host port to a free loopback port."""
        (self.directory / "compose.override.yaml").write_text(
            OVERRIDE.format(service=self.service, port=self.port), encoding="utf-8"
        )

    def published_port(self) -> int | None:
        """The host port Docker published for the service, or None while it has none."""
        result = self.run("port", self.service, str(self.port))
        output = result.stdout.strip()
        return int(output.rpartition(":")[2]) if result.returncode == 0 and output else None

    def host_port(self) -> tuple[str, int]:
        """`docker compose port <service> <port>`: the host address and port Docker published."""
        output = self.ok("port", self.service, str(self.port)).strip()
        host, _, port = output.rpartition(":")
        assert host and port.isdigit(), f"`docker compose port` printed {output!r}"
        return host, int(port)

    def down(self) -> subprocess.CompletedProcess[str]:
        result = self.run("down", "--volumes", "--rmi", "local", "--remove-orphans", timeout=DOWN_TIMEOUT)
        self.down_succeeded = result.returncode == 0
        return result


def labelled(name: str) -> dict[str, list[str]]:
    """Everything in the engine that carries <name>'s Compose project label, by kind."""
    found = {}
    for kind, listing in {
        "containers": ["ps", "--all", "--quiet"],
        "networks": ["network", "ls", "--quiet"],
        "volumes": ["volume", "ls", "--quiet"],
        "images": ["image", "ls", "--quiet"],
    }.items():
        found[kind] = docker(*listing, "--filter", f"label={LABEL}={name}").stdout.split()
    found["images"] += docker("image", "ls", "--quiet", "--filter", f"reference={name}").stdout.split()
    return found


def sweep(name: str) -> None:
    """Remove whatever `down` left of project <name>; never fails."""
    try:
        left = labelled(name)
    except (Exception, pytest.fail.Exception):  # a failed listing must not mask the test's result
        return
    removals = {
        "containers": ["rm", "--force", "--volumes"],
        "networks": ["network", "rm"],
        "volumes": ["volume", "rm", "--force"],
        "images": ["image", "rm", "--force"],
    }
    for kind, command in removals.items():
        if left[kind]:
            with contextlib.suppress(subprocess.TimeoutExpired):
                docker(*command, *sorted(set(left[kind])), check=False)


@pytest.fixture
def compose_project(bake: Callable[..., Path]) -> Iterator[Callable[[Variant], ComposeProject]]:
    """Bakes a variant under a unique slug, ready for `docker compose`; tears it all down afterwards."""
    made: list[ComposeProject] = []

    def make(variant: Variant) -> ComposeProject:
        name = f"cctest-compose-{uuid.uuid4().hex[:8]}"
        project = ComposeProject(name, int(variant.port))
        made.append(project)  # before the bake: teardown sweeps by name even if the bake fails
        project.directory = bake(
            project_slug=name,
            python_version=variant.python,
            framework=variant.framework,
            port=variant.port,
        )
        return project

    yield make

    for project in made:
        baked = project.directory is not None and (project.directory / "compose.yaml").is_file()
        if baked and not project.down_succeeded:
            # A failure here (a timeout, say) must not stop the sweep.
            with contextlib.suppress(Exception, pytest.fail.Exception):
                project.down()
        sweep(project.name)


def published_ports(config: dict, service: str) -> list[dict]:
    return config["services"][service].get("ports", [])


def without_ports(config: dict) -> dict:
    """The configuration with the host side of every published port removed."""
    stripped = json.loads(json.dumps(config))
    for service in stripped["services"].values():
        for port in service.get("ports", []):
            port.pop("published", None)
    return stripped


def assert_ports_and_override(project: ComposeProject) -> None:
    """The generated file publishes the port on loopback only, at a fixed host port; the
    override changes that host port and nothing else."""
    generated = project.config("compose.yaml")
    ports = published_ports(generated, project.service)
    assert [(p["host_ip"], str(p["published"]), p["target"], p["protocol"]) for p in ports] == [
        ("127.0.0.1", str(project.port), project.port, "tcp")
    ], ports
    project.publish_on_a_free_port()
    merged = project.config()
    ports = published_ports(merged, project.service)
    assert len(ports) == 1 and "published" not in ports[0], (
        f"compose.override.yaml did not replace the fixed host port (`!override` needs Compose 2.24.4+): "
        f"{ports}"
    )
    assert without_ports(merged) == without_ports(generated)


def up_and_wait(project: ComposeProject) -> float:
    """`docker compose up --build --wait`; the seconds it took until healthy."""
    started = time.monotonic()
    result = project.run("up", "--build", "--wait", "--wait-timeout", str(WAIT_TIMEOUT), timeout=UP_TIMEOUT)
    seconds = time.monotonic() - started
    assert result.returncode == 0, (
        f"`docker compose up --build --wait` exited {result.returncode} after {seconds:.1f} s:\n"
        f"{result.stderr[-4000:]}\n{project.logs()}"
    )
    return seconds


def assert_serves_hardened(project: ComposeProject) -> None:
    """One healthy container answers on loopback, with what compose.yaml asks of the engine."""
    containers = project.containers()
    assert [(c["Service"], c["State"], c["Health"]) for c in containers] == [
        (project.service, "running", "healthy")
    ], f"{containers}\n{project.logs()}"
    host, port = project.host_port()
    assert host == "127.0.0.1", f"published on {host}:{port}, not on loopback"
    status, body = http_get(port, "/")
    assert status == 200, body
    assert json.loads(body)["service"] == project.service, body
    status, body = http_get(port, "/health")
    assert (status, json.loads(body)) == (200, {"status": "ok"}), body
    state = json.loads(docker("inspect", "--format", "{{json .HostConfig}}", containers[0]["ID"]).stdout)
    assert state["ReadonlyRootfs"] is True
    assert state["CapDrop"] == ["ALL"]
    assert state["SecurityOpt"] == ["no-new-privileges:true"]
    assert state["RestartPolicy"]["Name"] == "unless-stopped"
    assert "/tmp" in (state.get("Tmpfs") or {})


@pytest.mark.parametrize("variant", DEFAULT_VARIANTS, ids=str)
def test_compose_up_serves_healthy_and_down_leaves_nothing(
    variant: Variant, compose_project: Callable[[Variant], ComposeProject]
) -> None:
    project = compose_project(variant)
    assert project.directory is not None
    assert (project.directory / "compose.yaml").is_file(), "include_compose is on, but no compose.yaml"
    assert_ports_and_override(project)
    up_seconds = up_and_wait(project)
    assert_serves_hardened(project)

    started = time.monotonic()
    result = project.down()
    down_seconds = time.monotonic() - started
    assert result.returncode == 0, (
        f"`docker compose down` exited {result.returncode}:\n{result.stderr[-4000:]}"
    )
    assert labelled(project.name) == {"containers": [], "networks": [], "volumes": [], "images": []}
    print(f"{variant}: up --build --wait healthy after {up_seconds:.1f} s, down took {down_seconds:.1f} s")


WATCH_TIMEOUT = 180  # seconds for `docker compose watch` to build, start, and rebuild once


def served_version(port: int) -> str | None:
    try:
        status, body = http_get(port, "/")
        return json.loads(body).get("version") if status == 200 else None
    except (OSError, ValueError):
        return None


@pytest.mark.parametrize("variant", DEFAULT_VARIANTS, ids=str)
def test_compose_watch_serves_a_saved_change_without_a_manual_restart(
    variant: Variant, compose_project: Callable[[Variant], ComposeProject]
) -> None:
    project = compose_project(variant)
    project.publish_on_a_free_port()
    watch = subprocess.Popen(
        ["docker", "compose", "--project-name", project.name, "watch"],
        cwd=project.directory, env=COMPOSE_ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + WATCH_TIMEOUT
    try:
        port = None
        while time.monotonic() < deadline and port is None:
            port = project.published_port()
            time.sleep(1)
        assert port, "docker compose watch never published the service"
        while time.monotonic() < deadline and served_version(port) != "0.1.0":
            time.sleep(0.5)
        assert served_version(port) == "0.1.0", project.logs()
        package = project.directory / project.name.replace("-", "_") / "__init__.py"
        package.write_text(
            package.read_text(encoding="utf-8").replace('"0.1.0"', '"0.1.1"'), encoding="utf-8"
        )
        changed = time.monotonic()
        while time.monotonic() < deadline:
            port = project.published_port() or port  # a new container may get a new port
            if served_version(port) == "0.1.1":
                break
            time.sleep(0.5)
        assert served_version(port) == "0.1.1", f"the change was not served:\n{project.logs()}"
        seconds = time.monotonic() - changed
        print(f"{variant}: docker compose watch served the change {seconds:.1f} s after saving")
    finally:
        os.killpg(watch.pid, signal.SIGINT)
        try:
            watch.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(watch.pid, signal.SIGKILL)
            watch.communicate()
    assert project.down().returncode == 0
