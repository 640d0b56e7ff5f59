{% extends "scripts/dev.py" %}
{% block defaults %}
        # Django refuses to start without DJANGO_SECRET_KEY unless in debug mode.
        "DJANGO_DEBUG": "1",
{% endblock %}
