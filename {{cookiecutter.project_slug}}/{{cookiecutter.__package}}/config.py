"""Runtime settings, read from the environment and validated once at start-up.

Everything a deployment tunes arrives as an environment variable, so the same
image runs unchanged on a laptop, in CI and in production.
"""

from __future__ import annotations

import math
import os
{% block imports %}{% endblock %}
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = {{ cookiecutter.port }}
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
# Docker sends SIGKILL 10 s after SIGTERM; finishing in-flight requests must fit inside that.
DEFAULT_GRACEFUL_TIMEOUT = 8
HOSTS = ("0.0.0.0", "127.0.0.1")  # noqa: S104 - all interfaces (a container), or loopback
TRUE_VALUES = ("1", "true", "yes", "on")
FALSE_VALUES = ("0", "false", "no", "off")


class ConfigError(ValueError):
    """A setting in the environment that the service cannot use."""


@dataclass(frozen=True)
class Settings:
    port: int
    workers: int
    log_level: str
    graceful_timeout: int
    # Seconds a client has to send a request's line and headers; then the connection is closed.
    header_timeout: int = 10
    # One log line per request costs about as much CPU as serving a small request; the
    # load balancer or ingress in front of the service usually logs requests already.
    access_log: bool = False
    # All interfaces in a container (Docker publishes the port); `make dev` uses loopback.
    host: str = "0.0.0.0"  # noqa: S104
{% if cookiecutter._framework_interface[cookiecutter.framework] == "wsgi" %}
    # Threads per worker that run the (blocking) views.
    threads: int = 4
{% endif %}
{# A framework's config.py (_frameworks/<framework>/) extends this one: its own settings
   go in `fields` and `values`, their parsers in `parsers`. #}
{% block fields %}{% endblock %}


def cpu_count(cgroup_root: Path = Path("/sys/fs/cgroup")) -> int:
    """CPUs this process may really use: a cgroup quota (``docker run --cpus``) wins over the host count."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    limit = cgroup_cpu_limit(cgroup_root)
    return available if limit is None else max(1, min(available, limit))


def cgroup_cpu_limit(root: Path) -> int | None:
    """The CPU quota in whole CPUs (rounded up), or None if there is none."""
    try:  # cgroup v2: "<quota> <period>", quota "max" when unlimited
        quota, period = (root / "cpu.max").read_text().split()
    except OSError:
        try:  # cgroup v1: quota -1 when unlimited
            quota = (root / "cpu" / "cpu.cfs_quota_us").read_text().strip()
            period = (root / "cpu" / "cpu.cfs_period_us").read_text().strip()
        except OSError:  # not in a cgroup with a CPU controller
            return None
    if quota in {"max", "-1"}:
        return None
    return math.ceil(int(quota) / int(period))


def memory_limit(root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """The container's memory limit in bytes (``docker run --memory``), or None if there is none."""
    for path in (root / "memory.max", root / "memory" / "memory.limit_in_bytes"):  # cgroup v2, v1
        try:
            raw = path.read_text().strip()
        except OSError:
            continue
        # v2 says "max"; v1 says a number near 2**63 (rounded to the page size) when unlimited.
        return None if raw == "max" or int(raw) >= 2**60 else int(raw)
    return None


def workers_for(cpus: int, memory_limit: int | None, base_mib: int, worker_mib: int) -> int:
    """One worker per CPU, but only as many as fit in the memory limit (at least one)."""
    if memory_limit is None:
        return cpus
    fits = ((memory_limit >> 20) - base_mib) // worker_mib
    return max(1, min(cpus, fits))


def env_int(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range; use {low}-{high}")
    return value


def env_flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in TRUE_VALUES:
        return True
    if raw in FALSE_VALUES:
        return False
    raise ConfigError(f"{name}={raw!r} is not one of {', '.join(TRUE_VALUES + FALSE_VALUES)}")


def env_host(environ: Mapping[str, str], name: str, default: str) -> str:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    # The health check and the probes connect to loopback or the pod IP, so only these two.
    if raw not in HOSTS:
        raise ConfigError(f"{name}={raw!r} is not one of {', '.join(HOSTS)}")
    return raw


def env_log_level(environ: Mapping[str, str], name: str) -> str:
    level = environ.get(name, "").strip().lower() or "info"
    if level not in LOG_LEVELS:
        raise ConfigError(f"{name}={level!r} is not one of {', '.join(LOG_LEVELS)}")
    return level


def from_env(environ: Mapping[str, str] = os.environ, *, default_workers: int = 1) -> Settings:
    """Every setting, checked: the entrypoint calls this once, before the server starts."""
    return Settings(
        port=env_int(environ, "PORT", DEFAULT_PORT, 1, 65535),
        workers=env_int(environ, "WEB_CONCURRENCY", default_workers, 1, 256),
        log_level=env_log_level(environ, "LOG_LEVEL"),
        graceful_timeout=env_int(environ, "GRACEFUL_TIMEOUT", DEFAULT_GRACEFUL_TIMEOUT, 1, 3600),
        header_timeout=env_int(environ, "HEADER_TIMEOUT", 10, 1, 60),
        access_log=env_flag(environ, "ACCESS_LOG", False),
        host=env_host(environ, "HOST", "0.0.0.0"),  # noqa: S104
{% if cookiecutter._framework_interface[cookiecutter.framework] == "wsgi" %}
        threads=env_int(environ, "THREADS", 4, 1, 256),
{% endif %}
{% block values %}{% endblock %}
    )
{% block parsers %}{% endblock %}
