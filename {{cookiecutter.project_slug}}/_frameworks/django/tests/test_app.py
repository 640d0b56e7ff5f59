import pytest
from django.test import Client

from {{ cookiecutter.__package }} import SERVICE_NAME, __version__
from {{ cookiecutter.__package }}.headers import SECURITY_HEADERS

client = Client()
{% set json = "response.json()" %}
{% set body = "content" %}
{% include "client_tests.py.j2" %}
