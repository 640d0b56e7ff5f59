#!/usr/bin/env python
"""Django's command-line utility, for development tasks (makemigrations, shell, ...)."""

import os
import sys

SETTINGS_MODULE = "{{ cookiecutter.__package }}.settings"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.core.management import execute_from_command_line

    from {{ cookiecutter.__package }}.config import ConfigError

    try:
        execute_from_command_line(sys.argv)
    except ConfigError as error:  # a bad setting: one line, as the container gives
        sys.exit(f"configuration error: {error}")


if __name__ == "__main__":
    main()
