import pytest

from {{ cookiecutter.__package }} import SERVICE_NAME, __version__
from {{ cookiecutter.__package }}.app import app
from {{ cookiecutter.__package }}.headers import SECURITY_HEADERS

client = app.test_client()
{% set json = "response.get_json()" %}
{% set body = "data" %}
{% include "client_tests.py.j2" %}
