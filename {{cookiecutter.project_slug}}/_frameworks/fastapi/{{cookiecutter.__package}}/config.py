{% extends "{{cookiecutter.__package}}/config.py" %}
{% block fields %}
    # The interactive docs (/docs, /redoc, /openapi.json) publish every route and model,
    # and their pages load scripts from a CDN: off unless API_DOCS=1.
    api_docs: bool = False
{% endblock %}
{% block values %}
        api_docs=env_flag(environ, "API_DOCS", False),
{% endblock %}
