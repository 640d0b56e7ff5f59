{% extends "tests/test_config.py" %}
{% block bad_values %}
        ("API_DOCS", "sure"),
{% endblock %}
{% block tests %}


def test_api_docs_are_off_unless_asked_for() -> None:
    assert config.from_env({}).api_docs is False
    assert config.from_env({"API_DOCS": "1"}).api_docs is True
{% endblock %}
