{#- A framework's server.py (_frameworks/<framework>/) may extend this one and fill the
    blocks `imports`, `helpers` and `before_exec`. -#}
{% set interface = cookiecutter._framework_interface[cookiecutter.framework] %}
"""How the container serves the app: granian, one worker process per CPU.

granian reads and parses HTTP in Rust, on an event loop, and hands the app only
complete requests: a slow or half-sent request costs a buffer, never a worker
or a thread, and its head must arrive within HEADER_TIMEOUT seconds.
"""

{% block imports %}
import multiprocessing

from . import config
from .config import Settings
{% endblock %}

# Memory a container needs, measured with headroom: the supervisor (this process)
# and the health probe together, then each worker under load.
BASE_MIB = 24
WORKER_MIB = {{ cookiecutter._framework_worker_mib[cookiecutter.framework] }}
# Bytes of request head (request line and headers) granian buffers; a longer head gets 431.
HEAD_BUFFER_BYTES = 16 * 1024


def default_workers(cpus: int, memory_limit: int | None) -> int:
    # A worker's Python runs one core's worth (the GIL), so one per CPU, but no more
    # than the memory limit holds: an OOM-killed worker costs more than a missing one.
    return config.workers_for(cpus, memory_limit, BASE_MIB, WORKER_MIB)


def arguments(settings: Settings) -> list[str]:
    """granian's command line for these settings."""
    return [
        "--interface={{ interface }}",
        "{{ cookiecutter.__package }}.{{ cookiecutter._framework_target[cookiecutter.framework] }}",
        f"--host={settings.host}",
        f"--port={settings.port}",
        f"--workers={settings.workers}",
{% if interface == "wsgi" %}
        # WSGI views block: a few threads per worker keep its core busy while one waits on I/O.
        f"--blocking-threads={settings.threads}",
{% endif %}
        # Plain HTTP/1.1: the ingress or load balancer in front speaks HTTP/2 to clients.
        "--http=1",
        "--no-ws",
        f"--http1-buffer-size={HEAD_BUFFER_BYTES}",
        f"--http1-header-read-timeout={settings.header_timeout * 1000}",
        f"--log-level={settings.log_level}",
        "--access-log" if settings.access_log else "--no-access-log",
        # SIGTERM: stop accepting, let in-flight requests finish, kill what is left after this.
        f"--workers-kill-timeout={settings.graceful_timeout}",
        # A worker that dies (a crash, the OOM killer) is replaced within a second.
        "--respawn-failed-workers",
        "--respawn-interval=1",
    ]


{% block helpers %}{% endblock %}
def run(settings: Settings) -> int:
{% block before_exec %}{% endblock %}
    # granian runs in this process, PID 1, and gets SIGTERM itself. Its workers are forked,
    # as granian does on Python 3.13 and older: they share the interpreter's and granian's
    # memory with this process, and no resource-tracker process is needed (17 MiB less for
    # two workers than the spawn method that 3.14's default would make granian use).
    multiprocessing.set_start_method("fork", force=True)
    from granian.cli import cli

    cli.main(args=arguments(settings), prog_name="granian")  # exits when granian stops
    return 0
