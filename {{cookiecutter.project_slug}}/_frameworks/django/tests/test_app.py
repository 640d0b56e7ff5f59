import time

import pytest
from django.test import Client

from {{ cookiecutter.__package }} import SERVICE_NAME, __version__

client = Client()
{% include "client_tests.py" %}
