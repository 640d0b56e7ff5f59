"""The settings mypy's Django plugin (django-stubs) imports: settings.py's, unchanged.

The plugin imports the settings module to learn the installed apps and each setting's
type. settings.py refuses to load without DJANGO_SECRET_KEY unless DJANGO_DEBUG=1, as it
should; this module gives it a placeholder key first, so that `make lint`, the pre-commit
hook and an editor's mypy need no environment. Nothing imports it at run time.
"""

import os

# Long enough for config.py's check (and Django's); never used outside the type check.
os.environ.setdefault("DJANGO_SECRET_KEY", "typecheck-only-" + "0123456789abcdef" * 4)

from {{ cookiecutter.__package }}.settings import *  # noqa: F403 - all of settings.py's, after the key
