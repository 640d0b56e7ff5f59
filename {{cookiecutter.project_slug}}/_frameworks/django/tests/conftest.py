"""Configure Django once for the whole test session, with test-only settings."""

import os

import django
from django.test.utils import setup_test_environment

SETTINGS_MODULE = "{{ cookiecutter.__package }}.settings"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-not-a-secret")
django.setup()
setup_test_environment()  # allows the test client's "testserver" host
