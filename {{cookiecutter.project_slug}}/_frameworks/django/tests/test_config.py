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
    django = config.django_from_env(env)
    assert (django.debug, django.secret_key, django.run_migrations) == (True, key, True)
    assert django.allowed_hosts == ("api.example.com", ".svc", "10.0.0.7", "[::1]")
    assert django.database_path == str(tmp_path / "db.sqlite3")
    assert config.from_env(env).django == django  # the entrypoint checks the same at start


def test_django_defaults() -> None:
    django = config.django_from_env({})
    assert (django.debug, django.secret_key, django.run_migrations) == (False, "", False)
    assert django.allowed_hosts == ()
    assert django.database_path == str(config.DEFAULT_DATABASE)


def test_django_settings_ignore_the_servers_variables() -> None:
    # manage.py and the tests load settings.py: a bad PORT is the server's business.
    assert config.django_from_env({"PORT": "eighty", "HOST": "localhost"}) == config.DjangoSettings()


def test_a_weak_secret_key_is_refused_without_showing_it() -> None:
    with pytest.raises(config.ConfigError) as refused:
        config.from_env({"DJANGO_SECRET_KEY": "hunter2-hunter2"})
    assert "hunter2" not in str(refused.value)
    assert "hunter2" not in repr(config.from_env({"DJANGO_SECRET_KEY": "hunter2" * 10}))
    assert "hunter2" not in repr(config.django_from_env({"DJANGO_SECRET_KEY": "hunter2" * 10}))
{% endblock %}
