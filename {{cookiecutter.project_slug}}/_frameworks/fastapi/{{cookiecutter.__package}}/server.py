"""How the container serves the app: uvicorn, one worker process per CPU."""

import os
import sys

from .config import Settings


def default_workers(cpus: int) -> int:
    # One event loop keeps one core busy; more processes than cores only add memory.
    return cpus


def command(settings: Settings) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "{{ cookiecutter.__package }}.app:app",
        "--host=0.0.0.0",
        f"--port={settings.port}",
        f"--workers={settings.workers}",
        f"--log-level={settings.log_level}",
        f"--timeout-graceful-shutdown={settings.graceful_timeout}",
        "--access-log" if settings.access_log else "--no-access-log",
        "--no-server-header",
    ]


def run(settings: Settings) -> int:
    argv = command(settings)
    os.execv(argv[0], argv)  # noqa: S606 - uvicorn replaces this process, as PID 1
    return 1  # not reached
