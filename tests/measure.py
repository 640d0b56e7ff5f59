"""What the test suite and the bench both read: wrk's command and output, BuildKit's log,
`docker stats` memory, a project's uv release.

One definition of each: the tests own it, and bench/run.py imports it from here. Standard
library only, and every function is a pure function of its arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# wrk's latency units, in milliseconds.
WRK_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass(frozen=True)
class Wrk:
    """One wrk run: its totals, its --latency percentiles in ms, its errors, and its output."""

    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    socket_errors: int  # connect + read + write + timeout
    timeouts: int
    non_2xx: int  # wrk's "Non-2xx or 3xx responses"
    output: str


def wrk_command(
    port: int, seconds: int, *, connections: int, threads: int = 2, timeout: str = "5s", path: str = "/"
) -> list[str]:
    """wrk with --latency against http://127.0.0.1:{port}{path}."""
    return [
        "wrk", f"--threads={threads}", f"--connections={connections}", f"--duration={seconds}s",
        f"--timeout={timeout}", "--latency", f"http://127.0.0.1:{port}{path}",
    ]  # fmt: skip


def latency_ms(output: str, percentile: int) -> float | None:
    """A percentile from wrk's --latency distribution, in ms; None if the line is missing."""
    match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    return float(match[1]) * WRK_UNITS_MS[match[2]] if match else None


def parse_wrk(output: str) -> Wrk:
    """wrk's stdout; ValueError (with the output) if it has no totals or no 99th percentile."""
    requests = re.search(r"(\d+) requests in", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = latency_ms(output, 99)
    if not (requests and rps and p99 is not None):
        raise ValueError(f"not the output of wrk --latency:\n{output}")
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    counts = [int(number) for number in errors.groups()] if errors else [0, 0, 0, 0]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Wrk(
        requests=int(requests[1]),
        requests_per_second=float(rps[1]),
        p50_ms=latency_ms(output, 50) or 0.0,
        p99_ms=p99,
        socket_errors=sum(counts),
        timeouts=counts[3],
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        output=output,
    )


def build_steps(progress: str) -> dict[str, bool]:
    """BuildKit plain progress: each step's name ("[stage 2/4] RUN ...") -> whether it was CACHED."""
    names: dict[str, str] = {}
    cached: set[str] = set()
    for line in progress.splitlines():
        if match := re.match(r"#(\d+) (\[.*)", line):
            names[match[1]] = match[2]
        elif match := re.match(r"#(\d+) CACHED\s*$", line):
            cached.add(match[1])
    return {name: number in cached for number, name in names.items()}


def step_counts(steps: dict[str, bool]) -> tuple[int, int]:
    """(steps executed, steps cached) among the Dockerfile's own: no [internal] step counts,
    and a FROM that was not cached is not counted as executed (it only names the base)."""
    own = {name: cached for name, cached in steps.items() if not name.startswith("[internal]")}
    executed = [name for name, cached in own.items() if not cached and " FROM " not in name]
    return len(executed), sum(own.values())


# The units `docker stats` prints memory in (binary ones, and decimal ones in some versions).
MEMORY_UNITS = {
    "B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40,
    "kB": 10**3, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
}  # fmt: skip


def parse_memory(text: str) -> int:
    """Bytes in `docker stats`' MemUsage ("45.3MiB / 7.6GiB": the part before the slash)."""
    match = re.fullmatch(r"([\d.]+)\s*([A-Za-z]+)", text.split("/")[0].strip())
    if not match or match[2] not in MEMORY_UNITS:
        raise ValueError(f"unknown docker stats memory {text!r}")
    return round(float(match[1]) * MEMORY_UNITS[match[2]])


def uv_version(project: Path) -> str:
    """The uv release a generated project's Dockerfile builds with (its `ARG UV_VERSION=`)."""
    found = re.search(r"^ARG UV_VERSION=(\S+)$", (project / "Dockerfile").read_text(encoding="utf-8"), re.M)
    if not found:
        raise ValueError(f"{project / 'Dockerfile'} has no ARG UV_VERSION")
    return found[1]
