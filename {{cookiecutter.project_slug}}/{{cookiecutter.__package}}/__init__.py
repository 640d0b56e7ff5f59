"""The {{ cookiecutter.project_slug }} service."""

__version__ = "0.1.0"
SERVICE_NAME = "{{ cookiecutter.project_slug }}"
