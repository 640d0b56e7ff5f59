"""Configure Django once for the whole test session, with test-only settings."""

import os

import django
from django.test.utils import setup_test_environment

SETTINGS_MODULE = "{{ cookiecutter.__package }}.settings"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
# Long enough for config.py's check (and Django's); never used outside the tests.
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-" + "0123456789abcdef" * 4)
django.setup()
setup_test_environment()  # allows the test client's "testserver" host
