import os
import subprocess
import sys

from django.test import Client

SETTINGS_MODULE = "{{ cookiecutter.__package }}.settings"


def test_settings_refuse_to_start_without_a_secret_key_in_production() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    result = subprocess.run(
        [sys.executable, "-c", f"import {SETTINGS_MODULE}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_unknown_host_is_rejected() -> None:
    assert Client().get("/health", HTTP_HOST="evil.example").status_code == 400
