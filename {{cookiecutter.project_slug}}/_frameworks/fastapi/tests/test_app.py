import pytest
from fastapi.testclient import TestClient

from {{ cookiecutter.__package }} import SERVICE_NAME, __version__
from {{ cookiecutter.__package }}.app import app
from {{ cookiecutter.__package }}.headers import SECURITY_HEADERS

client = TestClient(app)
{% set json = "response.json()" %}
{% set body = "content" %}
{% include "client_tests.py.j2" %}
