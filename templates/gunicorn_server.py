{#- Shared by the WSGI frameworks (Flask, Django): how gunicorn serves the app. #}
"""How the container serves the app: gunicorn with threaded workers."""

{% if cookiecutter.framework == "django" %}
import logging
import os
import secrets
import sys

from .config import TRUE_VALUES, Settings

log = logging.getLogger(__name__)
{% else %}
import os
import sys

from .config import Settings
{% endif %}


def default_workers(cpus: int) -> int:
    # gunicorn's advice, (2 x cores) + 1: a worker blocked on I/O leaves the core to another.
    return 2 * cpus + 1


def command(settings: Settings) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
{% if cookiecutter.framework == "django" %}
        "{{ cookiecutter.__package }}.wsgi:application",
{% else %}
        "{{ cookiecutter.__package }}.app:app",
{% endif %}
        f"--bind=0.0.0.0:{settings.port}",
        f"--workers={settings.workers}",
        "--worker-class=gthread",
        f"--threads={settings.threads}",
        f"--log-level={settings.log_level}",
        f"--graceful-timeout={settings.graceful_timeout}",
        # The heartbeat file lives in memory: works with a read-only root file system.
        "--worker-tmp-dir=/dev/shm",
        # gunicorn logs no requests unless given an access log file; "-" is stdout.
        *(["--access-logfile=-"] if settings.access_log else []),
    ]
{% if cookiecutter.framework == "django" %}


def prepare_environment(environ: dict[str, str]) -> None:
    """Settings Django needs before start-up that the deployment may not have given."""
    environ.setdefault("DJANGO_SETTINGS_MODULE", f"{__package__}.settings")
    debug = environ.get("DJANGO_DEBUG", "").lower() in TRUE_VALUES
    if not debug and not environ.get("DJANGO_SECRET_KEY"):
        # One random key for all workers of this container. Nothing in the
        # template signs data yet; once something does, set a stable key.
        environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
        log.warning("DJANGO_SECRET_KEY is not set: using a random key for this container only")


def migrate() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False)


def run(settings: Settings) -> int:
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    prepare_environment(os.environ)
    if os.environ.get("RUN_MIGRATIONS", "").lower() in TRUE_VALUES:
        migrate()
    argv = command(settings)
    os.execv(argv[0], argv)  # noqa: S606 - gunicorn replaces this process, as PID 1
    return 1  # not reached
{% else %}


def run(settings: Settings) -> int:
    argv = command(settings)
    os.execv(argv[0], argv)  # noqa: S606 - gunicorn replaces this process, as PID 1
    return 1  # not reached
{% endif %}
