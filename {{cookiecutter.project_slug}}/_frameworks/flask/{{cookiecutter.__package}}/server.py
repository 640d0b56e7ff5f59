{% include "gunicorn_server.py" %}
