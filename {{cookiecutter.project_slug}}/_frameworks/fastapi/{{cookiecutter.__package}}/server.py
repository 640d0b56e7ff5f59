{% extends "granian_server.py.j2" %}
{% set interface = "asgi" %}
{% set target = "app:app" %}
{% set worker_mib = cookiecutter._framework_worker_mib.fastapi %}
{% block imports %}
import multiprocessing
import os

from . import config
from .config import Settings
{% endblock %}
{% block before_exec %}
    # Checked here, once, so a bad value stops the container instead of every worker.
    config.env_flag(os.environ, "API_DOCS", False)
{% endblock %}
