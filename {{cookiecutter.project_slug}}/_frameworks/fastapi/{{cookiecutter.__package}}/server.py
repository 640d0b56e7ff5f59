{% extends "granian_server.py.j2" %}
{% set interface = "asgi" %}
{% set target = "app:app" %}
{% set worker_mib = cookiecutter._framework_worker_mib.fastapi %}
