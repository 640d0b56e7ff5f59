"""Django settings, from the environment as config.py reads and checks it.

DEBUG is off unless DJANGO_DEBUG=1. With DEBUG off, DJANGO_SECRET_KEY must be
set: the container entrypoint generates a per-container key when it is not, and
anything else (manage.py, a bare granian) refuses to start without one.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from . import config

SETTINGS = config.django_from_env()

DEBUG = SETTINGS.debug
SECRET_KEY = SETTINGS.secret_key
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-development-only-key"  # noqa: S105 - DEBUG only, never in production

# /health and /ready answer any Host (see middleware.py); every other path needs one of these.
ALLOWED_HOSTS = [*SETTINGS.allowed_hosts, "localhost", "127.0.0.1", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
]
# The security headers come from headers.py, the one list every response carries;
# HSTS and the HTTPS redirect (SecurityMiddleware) belong to the TLS-terminating ingress.
MIDDLEWARE = [
    "{{ cookiecutter.__package }}.middleware.security_headers",
    "{{ cookiecutter.__package }}.middleware.json_errors",
    "{{ cookiecutter.__package }}.middleware.probes_and_hosts",
    "django.middleware.common.CommonMiddleware",
]
# The app takes no request bodies: anything larger than this is refused with 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
ROOT_URLCONF = "{{ cookiecutter.__package }}.urls"
WSGI_APPLICATION = "{{ cookiecutter.__package }}.wsgi.application"

# SQLite by default; point DJANGO_DATABASE_PATH at a volume to keep the data.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": SETTINGS.database_path,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": config.env_log_level(os.environ, "LOG_LEVEL").upper()},
    # One line per 4xx ("Not Found: /x") is the access log's job (ACCESS_LOG=1), not an
    # application warning: a scanner would otherwise fill the log. 5xx errors still log.
    "loggers": {"django.request": {"level": "ERROR"}},
}
