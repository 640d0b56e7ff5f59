"""Django settings, all read from the environment.

DEBUG is off unless DJANGO_DEBUG=1. With DEBUG off, DJANGO_SECRET_KEY must be
set: the container entrypoint generates a per-container key when it is not, and
anything else (manage.py, a bare gunicorn) refuses to start without one.
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .config import TRUE_VALUES

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = os.environ.get("DJANGO_DEBUG", "").lower() in TRUE_VALUES
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "insecure-development-only-key"  # noqa: S105 - DEBUG only, never in production

# Loopback stays allowed so the container's own health check always works.
ALLOWED_HOSTS = [
    *(host.strip() for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if host.strip()),
    "localhost",
    "127.0.0.1",
    "[::1]",
]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
ROOT_URLCONF = "{{ cookiecutter.__package }}.urls"
WSGI_APPLICATION = "{{ cookiecutter.__package }}.wsgi.application"

# SQLite by default; point DJANGO_DATABASE_PATH at a volume to keep the data.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_DATABASE_PATH", str(BASE_DIR / "db.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "info").upper()},
}
