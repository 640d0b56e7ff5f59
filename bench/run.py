#!/usr/bin/env python3
"""Benchmark each framework's generated image against two baselines, on one machine, in one run.

Every framework in cookiecutter.json is baked once (its default answers; the newest of the
default Python and every framework's minimum), and three images are built from that directory:
the project's own Dockerfile, and bench/baselines/<kind>.Dockerfile.j2 (tutorial, docker-init)
rendered from cookiecutter.json's _framework_interface and _framework_target. Each phase runs
every variant in turn (A, B, C, A, B, C, ...), --runs times. bench/README.md says what is
measured; the results go to bench/results/latest.json, then through bench/report.py to
docs/benchmarks.md and docs/benchmarks.png.

  .venv/bin/python bench/run.py            # the full run (5 runs, wrk 10 s)
  .venv/bin/python bench/run.py --quick    # 1 run, wrk 3 s: to check that it works

Everything it creates is named bench-<id>-... and removed at the end. The only cache it touches
is BuildKit's cache mounts (pip's and uv's downloads), emptied before each cold build.
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
from datetime import UTC, datetime
from pathlib import Path

import jinja2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from measure import build_steps, parse_memory, parse_wrk, step_counts, uv_version, wrk_command

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DEFAULT_OUT = BENCH / "results" / "latest.json"
OPTIONS = json.loads((ROOT / "cookiecutter.json").read_text(encoding="utf-8"))
FRAMEWORKS: list[str] = OPTIONS["framework"]
VARIANTS = ["template", "tutorial", "docker-init"]
PHASES = ["cold", "rebuild", "runtime"]
# One Python that every framework supports: the default answer, or a newer framework minimum.
PYTHON = max([OPTIONS["python_version"][0], *OPTIONS.get("_framework_min_python", {}).values()],
             key=lambda version: tuple(map(int, version.split("."))))  # fmt: skip
PORT = int(OPTIONS["port"])
BASE_IMAGE = f"python:{PYTHON}-slim"

WRK = {"threads": 2, "connections": 64, "timeout": "5s"}
POLL_INTERVAL = 0.020  # seconds between GET /health polls while a container starts
START_LIMIT = 60.0  # seconds a container gets to answer 200 before the run is marked failed
STOP_TIMEOUT = 10  # docker stop's default grace period, given explicitly
IDLE_WAIT = 3.0  # seconds between the first 200 and the first idle-memory sample
IDLE_SAMPLES = 3  # `docker stats --no-stream` readings per container (each takes about 2 s)
DOCKER_ENV = {**os.environ, "DOCKER_BUILDKIT": "1"}
# An env entry of the project's Deployment that reads a Secret: the service needs it set.
SECRET_ENV = re.compile(r"- name: (\w+)\s+valueFrom:\s+secretKeyRef:")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def sh(*args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=DOCKER_ENV)
    if check and result.returncode != 0:
        output = f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        raise RuntimeError(f"`{shlex.join(args)}` exited {result.returncode}:\n{output}")
    return result


def first_line(*args: str) -> str:
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=120, env=DOCKER_ENV)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"
    lines = (result.stdout or result.stderr).strip().splitlines()
    return lines[0].strip() if lines else ""


# ---- the projects and their three images ---------------------------------------------------


def bake(output_dir: Path, **answers: str) -> Path:
    """The project cookiecutter generates from this repository with `answers`, without prompting
    (its replay file goes to output_dir/replay, not to the home directory)."""
    from cookiecutter.main import cookiecutter

    output_dir.mkdir(parents=True, exist_ok=True)
    config = output_dir / "cookiecutter-config.yaml"
    config.write_text(f"replay_dir: {json.dumps(str(output_dir / 'replay'))}\n", encoding="utf-8")
    return Path(
        cookiecutter(str(ROOT), no_input=True, output_dir=str(output_dir), config_file=str(config),
                     extra_context=answers)
    )  # fmt: skip


# The server the tutorials and `docker init` name for each interface, with its defaults
# (uvicorn: one process; gunicorn: one sync worker), pinned: (pip arguments, CMD for the app).
UVICORN = "uvicorn==0.54.0 httptools==0.9.0"
BASELINE_SERVERS = {
    "asgi": (UVICORN, lambda app: ["uvicorn", app, "--host=0.0.0.0", f"--port={PORT}"]),
    "wsgi": ("gunicorn==27.0.1", lambda app: ["gunicorn", f"--bind=0.0.0.0:{PORT}", app]),
}


class Variant:
    """One image: the template's Dockerfile or a baseline rendered for the project."""

    def __init__(self, framework: str, name: str, project: Path, prefix: str) -> None:
        self.framework, self.name, self.project = framework, name, project
        self.package = next(project.glob("*/__main__.py")).parent.name  # python -m <package>
        self.tag = f"{prefix}-{framework}-{name}:latest"
        self.image_ids: set[str] = set()
        self.dockerfile = project / "Dockerfile"
        if name != "template":  # written next to the project, outside its build context
            self.dockerfile = project.parent / f"{name}.Dockerfile"
            self.dockerfile.write_text(self.render(), encoding="utf-8")
            # BuildKit reads <Dockerfile>.dockerignore in place of the context's .dockerignore.
            ignore = BENCH / "baselines" / f"{name}.dockerignore"
            ignored = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
            Path(f"{self.dockerfile}.dockerignore").write_text(ignored, encoding="utf-8")

    def render(self) -> str:
        source = (BENCH / "baselines" / f"{self.name}.Dockerfile.j2").read_text(encoding="utf-8")
        server, command = BASELINE_SERVERS[OPTIONS["_framework_interface"][self.framework]]
        app = f"{self.package}.{OPTIONS['_framework_target'][self.framework]}"
        return jinja2.Template(source, keep_trailing_newline=True).render(
            base_image=BASE_IMAGE, port=PORT, server=server, command=json.dumps(command(app))
        )

    def build(self, *options: str) -> tuple[float, str]:
        """`docker build`; returns (wall seconds, BuildKit's plain progress log)."""
        iidfile = self.project.parent / f"iid-{self.name}"
        started = time.monotonic()
        result = sh("docker", "build", "--progress=plain", "--tag", self.tag, "--iidfile", str(iidfile),
                    "--file", str(self.dockerfile), *options, str(self.project))  # fmt: skip
        seconds = time.monotonic() - started
        self.image_ids.add(iidfile.read_text().strip())
        return seconds, result.stderr


def image_size(image: str) -> int:
    return int(sh("docker", "image", "inspect", "--format", "{{.Size}}", image).stdout.strip())


def image_facts(image: str) -> tuple[list[str], list[str]]:
    """What the image carries in /app (what reached its build context and was copied in), and
    what it runs (ENTRYPOINT, then CMD)."""
    listing = sh("docker", "run", "--rm", "--entrypoint", "ls", image, "-A", "-p", "/app", check=False)
    config = json.loads(sh("docker", "image", "inspect", "--format", "{{json .Config}}", image).stdout)
    return sorted(listing.stdout.split()), (config.get("Entrypoint") or []) + (config.get("Cmd") or [])


def secret_env(project: Path) -> dict[str, str]:
    """A random value for each Secret the project's Deployment reads (none without its manifest);
    every variant of the project gets the same, the template's launcher would otherwise make one."""
    manifest = project / "deploy" / "kubernetes" / "deployment.yaml"
    names = SECRET_ENV.findall(manifest.read_text(encoding="utf-8")) if manifest.exists() else []
    return {name: secrets.token_urlsafe(50) for name in names}


def pins(requirements: Path) -> dict[str, str]:
    text = requirements.read_text(encoding="utf-8")
    return {name.lower(): version for name, version in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", text, re.M)}


# ---- one container ---------------------------------------------------------------------------


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


def first_200(port: int) -> tuple[float | None, int]:
    """GET /health every POLL_INTERVAL s until a 200: (when the first 200 arrived, polls sent).

    Each poll has its own connection and thread, so polls overlap on purpose: a connection can
    hang for a while (Docker's port proxy accepts it, then waits for the container), and waiting
    for it would report readiness late. The earliest 200 to arrive counts."""
    arrivals: list[float] = []
    done = threading.Event()

    def poll() -> None:
        if get_status(port, "/health", timeout=5.0) == 200:
            arrivals.append(time.monotonic())
            done.set()

    polls, deadline = 0, time.monotonic() + START_LIMIT
    while not done.is_set() and time.monotonic() < deadline:
        polls += 1
        threading.Thread(target=poll, daemon=True).start()
        done.wait(POLL_INTERVAL)
    return (min(arrivals) if arrivals else None), polls


def wrk(port: int, seconds: int) -> dict:
    """One wrk run against GET /, under the keys the results have always used."""
    command = wrk_command(port, seconds, **WRK)
    numbers = dataclasses.asdict(parse_wrk(sh(*command, timeout=seconds + 60).stdout))
    del numbers["output"]
    return {"rps": numbers.pop("requests_per_second"), **numbers}


def lifecycle(variant: Variant, name: str, env: dict[str, str], warmup: int, duration: int) -> dict:
    """Start to the first 200, idle memory, warm-up, load, stop: one container's numbers."""
    port = free_port()
    env_args = [arg for key, value in env.items() for arg in ("--env", f"{key}={value}")]
    try:
        started = time.monotonic()
        sh("docker", "run", "--detach", "--name", name, "--publish", f"127.0.0.1:{port}:{PORT}", *env_args,
           variant.tag)  # fmt: skip
        record: dict = {"docker_run_return_s": time.monotonic() - started}
        # Polling starts once `docker run -d` has returned (the clock started before it). A poll
        # sent earlier reaches Docker's port proxy before the container's network is up; the
        # proxy's connection then waits for the kernel's ARP retry, one second later, and every
        # variant would measure that second instead of its own start-up.
        arrived, record["health_polls"] = first_200(port)
        if arrived is None:
            state = sh("docker", "inspect", "--format", "{{json .State}}", name).stdout
            logs = sh("docker", "logs", "--tail", "30", name, check=False).stderr
            raise RuntimeError(f"no 200 from /health within {START_LIMIT:.0f} s; state {state}\n{logs}")
        record["start_to_200_s"] = arrived - started
        time.sleep(IDLE_WAIT)  # idle memory: after the first 200, before any load
        stats = ("docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", name)
        samples = [parse_memory(sh(*stats).stdout) for _ in range(IDLE_SAMPLES)]
        record.update(idle_memory_bytes=statistics.median(samples), idle_memory_samples=samples)
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


# ---- the run ---------------------------------------------------------------------------------


class Run:
    """One run: its id, clock and work directory, the variants it builds, what it measured."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.id = f"bench-{uuid.uuid4().hex[:8]}"
        self.started_at, self.started = datetime.now(UTC), time.monotonic()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.id}-"))
        self.variants: list[Variant] = []
        self.env: dict[str, dict[str, str]] = {}
        self.results: dict = {}
        self.sequence: list[dict] = []

    def bake(self, framework: str) -> None:
        """The framework's project, once; all three variants build from it."""
        project = bake(self.workdir / framework, framework=framework, python_version=PYTHON, port=str(PORT))
        self.variants += [Variant(framework, name, project, self.id) for name in VARIANTS]
        self.env[framework] = secret_env(project)
        self.results[framework] = {
            "project": project.name,
            "versions": pins(project / "requirements.txt"),
            "variants": {name: {} for name in VARIANTS},
        }

    def rounds(self):
        """(run, variant) in the alternating order: every variant once, then the next run."""
        for number in range(1, self.args.runs + 1):
            for variant in self.variants:
                yield number, variant

    def note(self, phase: str, number: int, variant: Variant, **values: object) -> None:
        entry = {"phase": phase, "run": number, "framework": variant.framework, "variant": variant.name}
        self.sequence.append({**entry, "at_s": round(time.monotonic() - self.started, 3), **values})
        self.results[variant.framework]["variants"][variant.name].setdefault(phase, []).append(values)
        shown = {k: f"{v:.3f}" if isinstance(v, float) else v for k, v in values.items() if k != "error"}
        log(f"{phase:7} run {number} {variant.framework} {variant.name}: {values.get('error') or shown}")


def builds(run: Run, phase: str, base_size: int) -> None:
    """Cold builds (no layer cache, cache mounts emptied), or rebuilds after a one-line code
    change with the layer cache warm; each image is also sized."""
    for number, variant in run.rounds():
        if phase == "cold":
            sh("docker", "builder", "prune", "--force", "--filter", "type=exec.cachemount")
        else:
            with (variant.project / variant.package / "__init__.py").open("a", encoding="utf-8") as init:
                init.write(f"# bench: a one-line code change, {secrets.token_hex(8)}\n")
        seconds, progress = variant.build(*(["--no-cache"] if phase == "cold" else []))
        values: dict = {"seconds": seconds}
        if phase == "rebuild":
            values["steps_run"], values["steps_cached"] = step_counts(build_steps(progress))
        run.note(phase, number, variant, **values, bytes_added=image_size(variant.tag) - base_size)


def runtimes(run: Run) -> None:
    for number, variant in run.rounds():
        name = f"{run.id}-{variant.framework}-{variant.name}-{number}"
        try:
            record = lifecycle(variant, name, run.env[variant.framework], run.args.warmup, run.args.duration)
        except (RuntimeError, ValueError) as error:
            record = {"error": str(error)[-2000:]}
        run.note("runtime", number, variant, **record)


def measure(run: Run, base_size: int) -> None:
    """The phases asked for, in order; without the cold phase the images are built once, warm."""
    if "cold" in run.args.phases:
        builds(run, "cold", base_size)
    else:
        for variant in run.variants:
            variant.build()
    for variant in run.variants:
        found = run.results[variant.framework]
        listing, command = image_facts(variant.tag)
        found.setdefault("app_dir", {})[variant.name] = listing
        found.setdefault("command", {})[variant.name] = command
    if "rebuild" in run.args.phases:
        builds(run, "rebuild", base_size)
    if "runtime" in run.args.phases:
        runtimes(run)


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    models = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    mem_kib = int(re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)[1])
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": models[0].strip() if models else platform.processor() or "unknown",
        "memory_bytes": mem_kib * 1024,
        "kernel": platform.release(),
        "os": first_line("sh", "-c", '. /etc/os-release && echo "$PRETTY_NAME"'),
    }


def versions(uv: str) -> dict:
    import cookiecutter

    uv_image = f"ghcr.io/astral-sh/uv:{uv}"
    with tempfile.TemporaryDirectory(prefix="bench-uv-") as tmp:  # a FROM scratch image: run /uv here
        container = first_line("docker", "create", uv_image, "/uv")
        sh("docker", "cp", f"{container}:/uv", f"{tmp}/uv", check=False)
        sh("docker", "rm", container, check=False)
        uv_reported = first_line(f"{tmp}/uv", "--version")
    return {
        "docker_server": first_line("docker", "version", "--format", "{{.Server.Version}}"),
        "docker_client": first_line("docker", "version", "--format", "{{.Client.Version}}"),
        "buildx": first_line("docker", "buildx", "version"),
        "wrk": first_line("wrk", "-v"),
        "base_image": BASE_IMAGE,
        "base_image_id": first_line("docker", "image", "inspect", "--format", "{{.Id}}", BASE_IMAGE),
        "base_python": first_line("docker", "run", "--rm", BASE_IMAGE, "python", "-V"),
        "base_pip": first_line("docker", "run", "--rm", BASE_IMAGE, "python", "-m", "pip", "--version"),
        "uv_image": uv_image,
        "uv": uv_reported,
        "cookiecutter": cookiecutter.__version__,
        "host_python": platform.python_version(),
    }


def template_state() -> dict:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout

    changed = [line[3:] for line in git("status", "--porcelain").splitlines()]
    return {
        "commit": git("rev-parse", "HEAD").strip(),
        "uncommitted_changes": sorted(p for p in changed if not p.startswith(("bench/", "docs/bench"))),
    }


def document(run: Run, base_size: int, uv: str) -> dict:
    """The results file: the run's settings, the machine, the versions, every measurement."""
    args = run.args
    return {
        "schema": 1,
        "run_id": run.id,
        "started": run.started_at.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - run.started, 1),
        "command": shlex.join(["python", "bench/run.py", *sys.argv[1:]]),
        "note": args.note,
        "settings": {
            "runs": args.runs,
            "phases": args.phases,
            "frameworks": args.frameworks,
            "python": PYTHON,
            "port": PORT,
            "base_image": BASE_IMAGE,
            "base_image_bytes": base_size,
            "wrk": {**WRK, "duration_s": args.duration, "warmup_s": args.warmup, "path": "/"},
            "poll_interval_s": POLL_INTERVAL,
            "stop_timeout_s": STOP_TIMEOUT,
            "idle_memory": {"wait_s": IDLE_WAIT, "samples": IDLE_SAMPLES, "source": "docker stats"},
            "run_env": {fw: sorted(env) for fw, env in run.env.items() if env},
        },
        "machine": machine(),
        "versions": versions(uv),
        "template": template_state(),
        "frameworks": run.results,
        "sequence": run.sequence,
    }


def cleanup(run: Run) -> None:
    listed = sh("docker", "ps", "--all", "--quiet", "--filter", f"name=^{run.id}-", check=False)
    if containers := listed.stdout.split():
        sh("docker", "rm", "--force", *containers, check=False)
    for variant in run.variants:
        sh("docker", "rmi", "--force", variant.tag, check=False)
        for image_id in variant.image_ids:
            # Only images nobody else has tagged: a build identical to one of the test suite's
            # (same layers, same id) must not lose the suite's tag.
            tags = sh("docker", "image", "inspect", "-f", "{{len .RepoTags}}", image_id, check=False)
            if tags.returncode == 0 and tags.stdout.strip() == "0":
                sh("docker", "rmi", image_id, check=False)
    with contextlib.suppress(OSError):
        shutil.rmtree(run.workdir)
    log(f"removed the {run.id} containers, images and {run.workdir}")


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--runs", type=int, default=5, help="alternating runs per timing (default 5)")
    add("--duration", type=int, default=10, help="wrk seconds per measurement (default 10)")
    add("--warmup", type=int, default=3, help="wrk warm-up seconds first (default 3)")
    add("--quick", action="store_true", help="1 run, wrk 3 s, warm-up 1 s")
    add("--frameworks", nargs="+", choices=FRAMEWORKS, default=FRAMEWORKS)
    add("--phases", nargs="+", choices=PHASES, default=PHASES)
    add("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT})")
    add("--no-report", action="store_true", help="do not regenerate docs/benchmarks.*")
    add("--note", default="", help="free text stored with the results and shown on the page")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.duration, args.warmup = 1, 3, 1
    for tool, package in (("docker", "docker.io"), ("wrk", "wrk")):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is not installed (apt-get install -y {package})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    base_size = image_size(BASE_IMAGE)
    run = Run(args)
    log(f"{run.id}: {args.runs} run(s), frameworks {' '.join(args.frameworks)}, work dir {run.workdir}")
    try:
        for framework in args.frameworks:
            run.bake(framework)
        measure(run, base_size)
        results = document(run, base_size, uv_version(run.variants[0].project))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        log(f"wrote {args.out} after {results['duration_s']:.0f} s")
    finally:
        cleanup(run)
    if not args.no_report:
        import report

        report.main([str(args.out)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
