from pathlib import Path

import pytest

from {{ cookiecutter.__package }} import config


def test_defaults() -> None:
    settings = config.from_env({}, default_workers=3)
    assert settings.port == config.DEFAULT_PORT
    assert 1 <= config.DEFAULT_PORT <= 65535
    assert settings.workers == 3
    assert settings.log_level == "info"
    assert settings.host == "0.0.0.0"  # noqa: S104 - a container listens on all interfaces


def test_environment_overrides_defaults() -> None:
    env = {
        "PORT": "9000",
        "WEB_CONCURRENCY": "5",
{% if cookiecutter._framework_interface[cookiecutter.framework] == "wsgi" %}
        "THREADS": "2",
{% endif %}
        "LOG_LEVEL": "DEBUG",
        "GRACEFUL_TIMEOUT": "3",
        "HEADER_TIMEOUT": "20",
        "HOST": "127.0.0.1",
    }
    settings = config.from_env(env, default_workers=1)
    assert (settings.port, settings.workers) == (9000, 5)
{% if cookiecutter._framework_interface[cookiecutter.framework] == "wsgi" %}
    assert settings.threads == 2
{% endif %}
    assert (settings.log_level, settings.graceful_timeout, settings.header_timeout) == ("debug", 3, 20)
    assert settings.host == "127.0.0.1"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "0"),
        ("PORT", "65536"),
        ("PORT", "eighty"),
        ("WEB_CONCURRENCY", "0"),
        ("WEB_CONCURRENCY", "many"),
{% if cookiecutter._framework_interface[cookiecutter.framework] == "wsgi" %}
        ("THREADS", "0"),
{% endif %}
        ("LOG_LEVEL", "loud"),
        ("GRACEFUL_TIMEOUT", "0"),
        ("HEADER_TIMEOUT", "0"),
        ("HEADER_TIMEOUT", "61"),
        ("HOST", "localhost"),
        ("HOST", "::1"),
        ("HOST", "10.0.0.5"),
        ("ACCESS_LOG", "sometimes"),
{# A framework's test_config.py (_frameworks/<framework>/tests/) extends this one and adds
   its own variables' bad values here. #}
{% block bad_values %}{% endblock %}
    ],
)
def test_bad_values_are_refused_with_the_variable_name(name: str, value: str) -> None:
    with pytest.raises(config.ConfigError, match=name):
        config.from_env({name: value})


def test_cpu_count_honours_a_cgroup_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("150000 100000\n")  # docker run --cpus=1.5
    assert config.cpu_count(tmp_path) == min(2, config.cpu_count(tmp_path / "missing"))


def test_cpu_count_honours_a_cgroup_v1_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")  # docker run --cpus=1
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert config.cpu_count(tmp_path) == 1
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")  # no quota
    assert config.cpu_count(tmp_path) == config.cpu_count(tmp_path / "missing")


@pytest.mark.parametrize(
    ("files", "limit"),
    [
        ({"memory.max": "134217728\n"}, 128 << 20),  # cgroup v2, docker run --memory 128m
        ({"memory.max": "max\n"}, None),
        ({"memory/memory.limit_in_bytes": "67108864\n"}, 64 << 20),  # cgroup v1
        ({"memory/memory.limit_in_bytes": "9223372036854771712\n"}, None),  # v1, unlimited
        ({}, None),  # no memory controller
    ],
)
def test_memory_limit_from_cgroup_v1_and_v2(tmp_path: Path, files: dict[str, str], limit: int | None) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert config.memory_limit(tmp_path) == limit


def test_workers_fit_the_memory_limit() -> None:
    assert config.workers_for(4, None, base_mib=30, worker_mib=40) == 4
    assert config.workers_for(4, 128 << 20, base_mib=30, worker_mib=40) == 2
    assert config.workers_for(4, 64 << 20, base_mib=30, worker_mib=40) == 1


def test_cpu_count_without_a_quota(tmp_path: Path) -> None:
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert config.cpu_count(tmp_path) == config.cpu_count(tmp_path / "missing") >= 1


@pytest.mark.parametrize(
    ("raw", "on"), [(None, False), ("1", True), ("yes", True), ("off", False), ("0", False)]
)
def test_access_log_is_off_unless_asked_for(raw: str | None, on: bool) -> None:
    env = {} if raw is None else {"ACCESS_LOG": raw}
    assert config.from_env(env).access_log is on
{% block tests %}{% endblock %}
