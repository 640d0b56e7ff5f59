{% extends "tests/test_config.py" %}
{% block bad_values %}
        ("API_DOCS", "sure"),
{% endblock %}
{% block tests %}


def test_api_docs_are_off_unless_asked_for() -> None:
    assert config.from_env({}).api_docs is False
    assert config.from_env({"API_DOCS": "1"}).api_docs is True


def test_the_app_reads_api_docs_alone() -> None:
    # app.py reads only API_DOCS: importing it does not depend on the server's variables.
    assert config.api_docs_from_env({"API_DOCS": "yes", "PORT": "eighty"}) is True
{% endblock %}
