{% extends "{{cookiecutter.__package}}/server.py" %}
{% block imports %}
import logging
import multiprocessing
import os
import secrets
from collections.abc import MutableMapping

from . import config
from .config import Settings

log = logging.getLogger(__name__)
{% endblock %}
{% block helpers %}
def prepare_environment(environ: MutableMapping[str, str], django: config.DjangoSettings) -> None:
    """Settings Django needs before start-up that the deployment may not have given."""
    environ.setdefault("DJANGO_SETTINGS_MODULE", f"{__package__}.settings")
    if not django.debug and not django.secret_key:
        # One random key for all workers of this container. Nothing in the
        # service signs data yet; once something does, set a stable key.
        environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
        log.warning("DJANGO_SECRET_KEY is not set: using a random key for this container only")


def migrate() -> bool:
    """Apply the migrations; on failure, log one line saying why and return False."""
    import django
    from django.core.management import call_command
    from django.db import connections

    try:
        django.setup()
        call_command("migrate", interactive=False)
        connections.close_all()  # the workers are forked from this process: no shared connection
    except Exception as error:  # any failure stops the start, in one line
        log.error("RUN_MIGRATIONS: migrate failed: %s: %s", type(error).__name__, error)
        return False
    return True


{% endblock %}
{% block before_exec %}
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    django = settings.django or config.django_from_env()  # from_env() always sets it
    prepare_environment(os.environ, django)
    if django.run_migrations and not migrate():
        return 1
{% endblock %}
