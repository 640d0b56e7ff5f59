{% extends "tests/test_config.py" %}
{% block bad_values %}
        ("DJANGO_DEBUG", "maybe"),
        ("RUN_MIGRATIONS", "sometimes"),
        ("DJANGO_SECRET_KEY", "short-key"),
        ("DJANGO_SECRET_KEY", "ab" * 40),  # long, but two distinct characters
        ("DJANGO_ALLOWED_HOSTS", "api.example.com,evil host"),
        ("DJANGO_ALLOWED_HOSTS", "https://api.example.com"),
        ("DJANGO_DATABASE_PATH", "/no/such/directory/db.sqlite3"),
{% endblock %}
{% block tests %}


def test_django_settings_from_the_environment(tmp_path: Path) -> None:
    key = "k" * 40 + "0123456789"
    env = {
        "DJANGO_DEBUG": "1",
        "DJANGO_SECRET_KEY": key,
        "DJANGO_ALLOWED_HOSTS": "api.example.com, .svc,10.0.0.7,[::1],",
        "DJANGO_DATABASE_PATH": str(tmp_path / "db.sqlite3"),
        "RUN_MIGRATIONS": "yes",
    }
    settings = config.from_env(env)
    assert settings.django_debug is True
    assert settings.django_secret_key == key
    assert settings.django_allowed_hosts == ("api.example.com", ".svc", "10.0.0.7", "[::1]")
    assert settings.django_database_path == str(tmp_path / "db.sqlite3")
    assert settings.run_migrations is True


def test_django_defaults() -> None:
    settings = config.from_env({})
    assert (settings.django_debug, settings.django_secret_key, settings.run_migrations) == (False, "", False)
    assert settings.django_allowed_hosts == ()
    assert settings.django_database_path == str(config.DEFAULT_DATABASE)


def test_a_weak_secret_key_is_refused_without_showing_it() -> None:
    with pytest.raises(config.ConfigError) as refused:
        config.from_env({"DJANGO_SECRET_KEY": "hunter2-hunter2"})
    assert "hunter2" not in str(refused.value)
    assert "hunter2" not in repr(config.from_env({"DJANGO_SECRET_KEY": "hunter2" * 10}))
{% endblock %}
