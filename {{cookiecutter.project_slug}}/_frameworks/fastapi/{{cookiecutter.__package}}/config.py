{% extends "{{cookiecutter.__package}}/config.py" %}
{% block fields %}
    api_docs: bool = False
{% endblock %}
{% block values %}
        api_docs=api_docs_from_env(environ),
{% endblock %}
{% block parsers %}


def api_docs_from_env(environ: Mapping[str, str] = os.environ) -> bool:
    """API_DOCS=1 serves /docs, /redoc and /openapi.json. Off by default: they publish every
    route and model, and their pages load scripts from a CDN. app.py reads only this."""
    return env_flag(environ, "API_DOCS", False)
{% endblock %}
