import dataclasses
{% if cookiecutter.framework == "none" %}
import logging
{% endif %}

from {{ cookiecutter.__package }} import server
from {{ cookiecutter.__package }}.config import Settings

SETTINGS = Settings(port=9123, workers=3, threads=2, log_level="debug", graceful_timeout=5)


def test_default_workers_grow_with_cpus() -> None:
    assert 1 <= server.default_workers(1) <= server.default_workers(4)
{% if cookiecutter.framework != "none" %}


def test_command_carries_every_setting() -> None:
    argv = server.command(SETTINGS)
    assert any(arg.endswith("9123") for arg in argv)
    assert "--workers=3" in argv
    assert "--log-level=debug" in argv
    assert any(arg.endswith("-timeout=5") or arg.endswith("-shutdown=5") for arg in argv)


def test_access_log_only_when_asked_for() -> None:
    quiet = server.command(SETTINGS)
    loud = server.command(dataclasses.replace(SETTINGS, access_log=True))
    assert not any(arg.startswith("--access-log") for arg in quiet)
    assert any(arg.startswith("--access-log") for arg in loud)
{% else %}


def test_access_log_only_when_asked_for() -> None:
    server.configure_logging(SETTINGS)
    assert not server.access_log.isEnabledFor(logging.INFO)
    server.configure_logging(dataclasses.replace(SETTINGS, access_log=True))
    assert server.access_log.isEnabledFor(logging.INFO)
{% endif %}
