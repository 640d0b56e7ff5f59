#!/usr/bin/env python3
"""Benchmark the template's generated images against two baselines, on one machine, in one run.

For every framework (fastapi, flask, django, none; Python 3.14, port 8000) the project is
baked once with cookiecutter, and three images are built from that same directory:

  template     the generated project's own Dockerfile
  tutorial     bench/baselines/tutorial/<framework>.Dockerfile (the classic tutorial)
  docker-init  bench/baselines/docker-init/<framework>.Dockerfile (docker init's practices)

Measured, each variant in turn (A, B, C, A, B, C, ...), --runs times:

  cold build     `docker build --no-cache` after emptying BuildKit's cache mounts
  rebuild        `docker build` after a one-line change to the package's __init__.py
  bytes added    image size minus the python:3.14-slim base
  start -> 200   from just before `docker run -d` to the first 200 from GET /health
  idle memory    `docker stats` MemUsage, 3 s after that first 200 and before any load
                 (median of 3 samples)
  stop           `docker stop` wall time, and the container's exit code
  requests/s     wrk on GET / (after a warm-up), with its p50 and p99 latency

Results go to bench/results/latest.json; bench/report.py turns them into docs/benchmarks.md
and docs/benchmarks.png (run at the end unless --no-report). Not part of the test suite.

Usage (from the repository root):
  .venv/bin/python bench/run.py                 # the full run (5 runs, wrk 10 s)
  .venv/bin/python bench/run.py --quick         # 1 run, wrk 3 s: to check that it works

Everything it creates is named bench-<id>-...: containers, images, the temporary project.
It removes them at the end. It does NOT prune the build cache; the only cache it touches is
BuildKit's cache mounts (pip/uv download caches), which it empties before each cold build.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import http.client
import json
import os
import platform
import re
import secrets
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from measure import build_steps, parse_memory, parse_wrk, step_counts, uv_version, wrk_command

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BASELINES = BENCH / "baselines"
DEFAULT_OUT = BENCH / "results" / "latest.json"

FRAMEWORKS = ["fastapi", "flask", "django", "none"]
VARIANTS = ["template", "tutorial", "docker-init"]
PHASES = ["cold", "rebuild", "runtime"]
PYTHON = "3.14"
PORT = 8000
BASE_IMAGE = f"python:{PYTHON}-slim"
SLUG = "acme-service"  # cookiecutter's default; the baselines name its package
PACKAGE = SLUG.replace("-", "_")

WRK_THREADS = 2
WRK_CONNECTIONS = 64
WRK_TIMEOUT = "5s"
POLL_INTERVAL = 0.020  # seconds between GET /health polls while a container starts
START_LIMIT = 60.0  # seconds a container gets to answer 200 before the run is marked failed
STOP_TIMEOUT = 10  # docker stop's default grace period, given explicitly
IDLE_WAIT = 3.0  # seconds between the first 200 and the first idle-memory sample
IDLE_SAMPLES = 3  # `docker stats --no-stream` readings per container (each takes about 2 s)
DOCKER_ENV = {**os.environ, "DOCKER_BUILDKIT": "1"}
# The app needs this and nothing else; every variant gets the same (the template would
# otherwise make a random one and log a warning, the baselines would refuse to start).
RUN_ENV = {"django": {"DJANGO_SECRET_KEY": "bench-" + "k" * 50}}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def sh(
    *args: str, check: bool = True, timeout: float = 900, env: dict | None = None
) -> subprocess.CompletedProcess:
    result = subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, check=False, env=env or DOCKER_ENV
    )
    if check and result.returncode != 0:
        raise RuntimeError(
            f"`{shlex.join(args)}` exited {result.returncode}:\n"
            f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result


# ---- the variants --------------------------------------------------------------------------


class Variant:
    def __init__(self, framework: str, name: str, project: Path, prefix: str) -> None:
        self.framework = framework
        self.name = name
        self.project = project
        self.tag = f"{prefix}-{framework}-{name}:latest"
        self.image_ids: set[str] = set()

    @property
    def dockerfile(self) -> Path:
        if self.name == "template":
            return self.project / "Dockerfile"
        return BASELINES / self.name / f"{self.framework}.Dockerfile"

    def build(self, *options: str) -> tuple[float, str]:
        """`docker build`; returns (wall seconds, BuildKit's plain progress log)."""
        iidfile = self.project.parent / f"iid-{self.name}"
        args = [
            "docker", "build", "--progress=plain", "--tag", self.tag, "--iidfile", str(iidfile),
            "--file", str(self.dockerfile), *options, str(self.project),
        ]  # fmt: skip
        started = time.monotonic()
        result = sh(*args)
        seconds = time.monotonic() - started
        self.image_ids.add(iidfile.read_text().strip())
        return seconds, result.stderr


def image_size(image: str) -> int:
    return int(sh("docker", "image", "inspect", "--format", "{{.Size}}", image).stdout.strip())


def clear_cache_mounts() -> None:
    """Empty BuildKit's cache mounts (pip's and uv's download caches) and nothing else."""
    sh("docker", "builder", "prune", "--force", "--filter", "type=exec.cachemount")


# ---- running one container -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_status(port: int, path: str, timeout: float = 2.0) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


class Poller(threading.Thread):
    """Sends GET /health every POLL_INTERVAL seconds, each attempt in its own thread, until a 200.

    Attempts overlap on purpose: a connection can hang for a while (Docker's port proxy accepts
    it, then waits for the container), and a poller that waited for it would report readiness
    late. The earliest 200 to arrive is the one recorded.
    """

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.first_200: float | None = None
        self.attempts = 0
        self.done = threading.Event()
        self.lock = threading.Lock()

    def attempt(self) -> None:
        if get_status(self.port, "/health", timeout=5.0) == 200:
            arrived = time.monotonic()
            with self.lock:
                if self.first_200 is None or arrived < self.first_200:
                    self.first_200 = arrived
            self.done.set()

    def run(self) -> None:
        deadline = time.monotonic() + START_LIMIT
        while not self.done.is_set() and time.monotonic() < deadline:
            self.attempts += 1
            threading.Thread(target=self.attempt, daemon=True).start()
            self.done.wait(POLL_INTERVAL)


def wrk(port: int, seconds: int) -> dict:
    """One wrk run against GET /, under the keys the results have always used."""
    command = wrk_command(
        port, seconds, connections=WRK_CONNECTIONS, threads=WRK_THREADS, timeout=WRK_TIMEOUT
    )
    numbers = dataclasses.asdict(parse_wrk(sh(*command, timeout=seconds + 60).stdout))
    del numbers["output"]
    return {"rps": numbers.pop("requests_per_second"), **numbers}


def idle_memory(name: str) -> dict:
    """The container's memory at rest: IDLE_WAIT s after its first 200, before any load."""
    time.sleep(IDLE_WAIT)
    samples = [
        parse_memory(sh("docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", name).stdout)
        for _ in range(IDLE_SAMPLES)
    ]
    return {"idle_memory_bytes": statistics.median(samples), "idle_memory_samples": samples}


def start(variant: Variant, name: str, port: int) -> dict:
    """`docker run -d`, then GET /health until the first 200: the start-up numbers."""
    env_args = [
        arg for key, value in RUN_ENV.get(variant.framework, {}).items() for arg in ("-e", f"{key}={value}")
    ]
    poller = Poller(port)
    started = time.monotonic()
    sh("docker", "run", "--detach", "--name", name, "--publish", f"127.0.0.1:{port}:{PORT}", *env_args,
       variant.tag)  # fmt: skip
    run_returned = time.monotonic() - started
    # Polling starts once `docker run -d` has returned (the clock started before it). A poll
    # sent earlier reaches Docker's port proxy before the container's network is up; the proxy's
    # connection to the container then waits for the kernel's ARP retry, one second later, and
    # every variant would measure that second instead of its own start-up.
    poller.start()
    poller.join(START_LIMIT + 1)
    poller.done.set()
    if poller.first_200 is None:
        state = sh("docker", "inspect", "--format", "{{json .State}}", name).stdout
        logs = sh("docker", "logs", "--tail", "30", name, check=False)
        raise RuntimeError(f"no 200 from /health within {START_LIMIT:.0f} s; state {state}\n{logs.stderr}")
    return {
        "docker_run_return_s": run_returned,
        "start_to_200_s": poller.first_200 - started,
        "health_polls": poller.attempts,
    }


def lifecycle(variant: Variant, name: str, warmup: int, duration: int) -> dict:
    """Start, first 200, idle memory, warm-up, load, stop: one container's numbers."""
    port = free_port()
    try:
        record = start(variant, name, port)
        record.update(idle_memory(name))
        if get_status(port, "/") != 200:
            raise RuntimeError("GET / did not answer 200")
        if warmup:
            wrk(port, warmup)
        record.update(wrk(port, duration))
        stop_started = time.monotonic()
        sh("docker", "stop", "--time", str(STOP_TIMEOUT), name, timeout=STOP_TIMEOUT + 60)
        record["stop_s"] = time.monotonic() - stop_started
        record["exit_code"] = int(sh("docker", "inspect", "--format", "{{.State.ExitCode}}", name).stdout)
    finally:
        sh("docker", "rm", "--force", name, check=False)
    return record


# ---- facts about the machine and the tools ------------------------------------------------


def first_line(*args: str) -> str:
    try:
        result = subprocess.run(
            args, capture_output=True, text=True, timeout=120, check=False, env=DOCKER_ENV
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0].strip() if lines else ""


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    models = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    meminfo = Path("/proc/meminfo").read_text(encoding="utf-8")
    mem_kib = int(re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.M)[1])
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": models[0].strip() if models else platform.processor() or "unknown",
        "memory_bytes": mem_kib * 1024,
        "kernel": platform.release(),
        "os": first_line("sh", "-c", '. /etc/os-release && echo "$PRETTY_NAME"'),
    }


def pins(requirements: Path) -> dict[str, str]:
    found = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^([A-Za-z0-9._-]+)==(\S+)", line.strip()):
            found[match[1].lower()] = match[2]
    return found


def versions(uv: str) -> dict:
    import cookiecutter

    return {
        "docker_server": first_line("docker", "version", "--format", "{{.Server.Version}}"),
        "docker_client": first_line("docker", "version", "--format", "{{.Client.Version}}"),
        "buildx": first_line("docker", "buildx", "version"),
        "wrk": first_line("wrk", "-v"),
        "base_image": BASE_IMAGE,
        "base_image_id": first_line("docker", "image", "inspect", "--format", "{{.Id}}", BASE_IMAGE),
        "base_python": first_line("docker", "run", "--rm", BASE_IMAGE, "python", "-V"),
        "base_pip": first_line("docker", "run", "--rm", BASE_IMAGE, "python", "-m", "pip", "--version"),
        "uv_image": f"ghcr.io/astral-sh/uv:{uv}",
        "uv": uv_reported_version(f"ghcr.io/astral-sh/uv:{uv}"),
        "cookiecutter": cookiecutter.__version__,
        "host_python": platform.python_version(),
    }  # fmt: skip


def uv_reported_version(image: str) -> str:
    """`uv --version` of the uv binary in the image (a FROM scratch image: run the binary here)."""
    with tempfile.TemporaryDirectory(prefix="bench-uv-") as tmp:
        container = first_line("docker", "create", image, "/uv")
        try:
            sh("docker", "cp", f"{container}:/uv", f"{tmp}/uv", check=False)
            return first_line(f"{tmp}/uv", "--version")
        finally:
            sh("docker", "rm", container, check=False)


def template_state() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
        ).stdout

    changed = [line[3:] for line in git("status", "--porcelain").splitlines()]
    return {
        "commit": git("rev-parse", "HEAD").strip(),
        "uncommitted_changes": sorted(
            path for path in changed if not path.startswith(("bench/", "docs/bench"))
        ),
    }


# ---- the run -------------------------------------------------------------------------------


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="alternating runs per timing (default 5)")
    parser.add_argument("--duration", type=int, default=10, help="wrk seconds per measurement (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="wrk warm-up seconds first (default 3)")
    parser.add_argument("--quick", action="store_true", help="1 run, wrk 3 s, warm-up 1 s")
    parser.add_argument("--frameworks", nargs="+", choices=FRAMEWORKS, default=FRAMEWORKS)
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=PHASES)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT})")
    parser.add_argument("--no-report", action="store_true", help="do not regenerate docs/benchmarks.*")
    parser.add_argument("--note", default="", help="free text stored with the results and shown in the doc")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.duration, args.warmup = 1, 3, 1
    for tool, package in (("docker", "docker.io"), ("wrk", "wrk")):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed (apt-get install -y {package})")
    return args


def bake(template: Path, output_dir: Path, **answers: str) -> Path:
    """The project cookiecutter generates from `template` with `answers`, without prompting.

    Its replay file goes to output_dir/replay, not to the home directory."""
    from cookiecutter.main import cookiecutter

    output_dir.mkdir(parents=True, exist_ok=True)
    config = output_dir / "cookiecutter-config.yaml"
    # A JSON string is a valid YAML scalar, whatever the path holds.
    config.write_text(f"replay_dir: {json.dumps(str(output_dir / 'replay'))}\n", encoding="utf-8")
    project = cookiecutter(
        str(template),
        no_input=True,
        output_dir=str(output_dir),
        config_file=str(config),
        extra_context=answers,
    )
    return Path(project)


class Run:
    """One run: its id, clock and work directory, the variants it builds, what it measured."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.id = f"bench-{uuid.uuid4().hex[:8]}"
        self.started_at = datetime.now(UTC)
        self.started = time.monotonic()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.id}-"))
        self.variants: list[Variant] = []
        self.results: dict = {}
        self.sequence: list[dict] = []

    def bake(self, framework: str) -> None:
        """The framework's project, once; all three variants build from it."""
        project = bake(
            ROOT, self.workdir / framework, framework=framework, python_version=PYTHON, port=str(PORT)
        )
        self.variants += [Variant(framework, name, project, self.id) for name in VARIANTS]
        self.results[framework] = {
            "project": project.name,
            "versions": pins(project / "requirements.txt"),
            "variants": {name: {} for name in VARIANTS},
        }

    def rounds(self) -> Iterator[tuple[int, Variant]]:
        """(run, variant) in the alternating order: every variant once, then the next run."""
        for run in range(1, self.args.runs + 1):
            for variant in self.variants:
                yield run, variant

    def note(self, phase: str, run: int, variant: Variant, **values: object) -> None:
        entry = {"phase": phase, "run": run, "framework": variant.framework, "variant": variant.name}
        entry["at_s"] = round(time.monotonic() - self.started, 3)
        self.sequence.append({**entry, **values})
        self.results[variant.framework]["variants"][variant.name].setdefault(phase, []).append(values)


def cold_builds(run: Run, base_size: int) -> None:
    """Cold builds, alternating; the image of each is also the one that is sized."""
    for number, variant in run.rounds():
        clear_cache_mounts()
        seconds, _ = variant.build("--no-cache")
        added = image_size(variant.tag) - base_size
        run.note("cold", number, variant, seconds=seconds, bytes_added=added)
        log(f"cold    run {number} {variant.framework:8} {variant.name:12} {seconds:6.2f} s {added:>12,} B")


def rebuilds(run: Run, base_size: int) -> None:
    """Rebuilds after a one-line code change, layer cache warm."""
    for number, variant in run.rounds():
        init = variant.project / PACKAGE / "__init__.py"
        with init.open("a", encoding="utf-8") as handle:
            handle.write(f"# bench: a one-line code change, {secrets.token_hex(8)}\n")
        seconds, progress = variant.build()
        executed, cached = step_counts(build_steps(progress))
        added = image_size(variant.tag) - base_size
        run.note("rebuild", number, variant, seconds=seconds, steps_run=executed, steps_cached=cached,
                 bytes_added=added)  # fmt: skip
        log(f"rebuild run {number} {variant.framework:8} {variant.name:12} {seconds:6.2f} s "
            f"({executed} steps run, {cached} cached)")  # fmt: skip


def runtimes(run: Run) -> None:
    """Start, load, stop, alternating."""
    for number, variant in run.rounds():
        name = f"{run.id}-{variant.framework}-{variant.name}-{number}"
        try:
            record = lifecycle(variant, name, run.args.warmup, run.args.duration)
        except (RuntimeError, ValueError) as error:
            log(f"runtime run {number} {variant.framework} {variant.name} FAILED: {error}")
            record = {"error": str(error)[-2000:]}
        run.note("runtime", number, variant, **record)
        if "error" not in record:
            log(
                f"runtime run {number} {variant.framework:8} {variant.name:12} "
                f"start {record['start_to_200_s']:.2f} s, "
                f"idle {record['idle_memory_bytes'] / 2**20:.1f} MiB, {record['rps']:8.0f} req/s, "
                f"p99 {record['p99_ms']:.1f} ms, "
                f"stop {record['stop_s']:.2f} s (exit {record['exit_code']})"
            )


def measure_all(run: Run, base_size: int) -> None:
    """The phases asked for, in order; without the cold phase the images are built once, warm."""
    if "cold" in run.args.phases:
        cold_builds(run, base_size)
    else:  # the later phases need images and a warm layer cache
        for variant in run.variants:
            variant.build()
    for variant in run.variants:
        found = run.results[variant.framework]
        found.setdefault("app_dir", {})[variant.name] = app_listing(variant.tag)
        found.setdefault("command", {})[variant.name] = image_command(variant.tag)
    if "rebuild" in run.args.phases:
        rebuilds(run, base_size)
    if "runtime" in run.args.phases:
        runtimes(run)


def settings(args: argparse.Namespace, base_size: int) -> dict:
    return {
        "runs": args.runs,
        "phases": args.phases,
        "frameworks": args.frameworks,
        "python": PYTHON,
        "port": PORT,
        "base_image": BASE_IMAGE,
        "base_image_bytes": base_size,
        "wrk": {
            "threads": WRK_THREADS,
            "connections": WRK_CONNECTIONS,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "timeout": WRK_TIMEOUT,
            "path": "/",
        },
        "poll_interval_s": POLL_INTERVAL,
        "stop_timeout_s": STOP_TIMEOUT,
        "idle_memory": {"wait_s": IDLE_WAIT, "samples": IDLE_SAMPLES, "source": "docker stats"},
        "run_env": {fw: sorted(env) for fw, env in RUN_ENV.items()},
    }


def document(run: Run, base_size: int, uv: str) -> dict:
    """The results file: the run's settings, the machine, the versions, every measurement."""
    return {
        "schema": 1,
        "run_id": run.id,
        "started": run.started_at.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - run.started, 1),
        "command": shlex.join(["python", "bench/run.py", *sys.argv[1:]]),
        "note": run.args.note,
        "settings": settings(run.args, base_size),
        "machine": machine(),
        "versions": versions(uv),
        "template": template_state(),
        "frameworks": run.results,
        "sequence": run.sequence,
    }


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    sh("docker", "image", "inspect", BASE_IMAGE)
    run = Run(args)
    log(f"{run.id}: {args.runs} run(s), frameworks {' '.join(args.frameworks)}, work dir {run.workdir}")
    try:
        for framework in args.frameworks:
            run.bake(framework)
        uv = uv_version(run.variants[0].project)
        base_size = image_size(BASE_IMAGE)
        measure_all(run, base_size)
        results = document(run, base_size, uv)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        log(f"wrote {args.out} after {results['duration_s']:.0f} s")
    finally:
        cleanup(run)
    if not args.no_report:
        import report

        report.main([str(args.out)])
    return 0


def app_listing(image: str) -> list[str]:
    """What the image carries in /app: what reached its build context and was copied in."""
    result = sh("docker", "run", "--rm", "--entrypoint", "ls", image, "-A", "-p", "/app", check=False)
    return sorted(result.stdout.split())


def image_command(image: str) -> list[str]:
    """What the image runs: its ENTRYPOINT followed by its CMD."""
    result = sh("docker", "image", "inspect", "--format", "{{json .Config}}", image)
    config = json.loads(result.stdout)
    return (config.get("Entrypoint") or []) + (config.get("Cmd") or [])


def cleanup(run: Run) -> None:
    containers = sh(
        "docker", "ps", "--all", "--quiet", "--filter", f"name=^{run.id}-", check=False
    ).stdout.split()
    if containers:
        sh("docker", "rm", "--force", *containers, check=False)
    for variant in run.variants:
        sh("docker", "rmi", "--force", variant.tag, check=False)
        for image_id in variant.image_ids:
            # Only images nobody else has tagged: a build identical to one of the test
            # suite's (same layers, same id) must not lose the suite's tag.
            tags = sh("docker", "image", "inspect", "-f", "{{len .RepoTags}}", image_id, check=False)
            if tags.returncode == 0 and tags.stdout.strip() == "0":
                sh("docker", "rmi", image_id, check=False)
    with contextlib.suppress(OSError):
        shutil.rmtree(run.workdir)
    log(f"removed the {run.id} containers, images and {run.workdir}")


if __name__ == "__main__":
    sys.exit(main())
