import dataclasses

from {{ cookiecutter.__package }} import server
from {{ cookiecutter.__package }}.config import Settings

SETTINGS = Settings(port=9123, workers=3, log_level="debug", graceful_timeout=5, header_timeout=7)
MIB = 1 << 20


def test_one_worker_per_cpu_without_a_memory_limit() -> None:
    assert [server.default_workers(cpus, None) for cpus in (1, 2, 8)] == [1, 2, 8]


def test_a_memory_limit_caps_the_workers() -> None:
    room_for_two = (server.BASE_MIB + 2 * server.WORKER_MIB) * MIB
    assert server.default_workers(8, room_for_two) == 2
    assert server.default_workers(8, room_for_two - MIB) == 1
    assert server.default_workers(1, 64 * server.WORKER_MIB * MIB) == 1  # never more than the CPUs
    assert server.default_workers(4, 16 * MIB) == 1  # always at least one


def test_arguments_carry_every_setting() -> None:
    argv = server.arguments(SETTINGS)
    assert "--port=9123" in argv
    assert "--host=0.0.0.0" in argv
    assert "--host=127.0.0.1" in server.arguments(dataclasses.replace(SETTINGS, host="127.0.0.1"))
    assert "--workers=3" in argv
    assert "--log-level=debug" in argv
    assert "--workers-kill-timeout=5" in argv
    assert "--http1-header-read-timeout=7000" in argv
    assert "--respawn-failed-workers" in argv
{% if cookiecutter._framework_interface[cookiecutter.framework] == "wsgi" %}
    assert "--blocking-threads=4" in argv
    assert "--blocking-threads=2" in server.arguments(dataclasses.replace(SETTINGS, threads=2))
{% endif %}


def test_access_log_only_when_asked_for() -> None:
    assert "--no-access-log" in server.arguments(SETTINGS)
    assert "--access-log" in server.arguments(dataclasses.replace(SETTINGS, access_log=True))
