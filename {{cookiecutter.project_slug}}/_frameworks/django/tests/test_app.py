import os
import subprocess
import sys
import time

import pytest
from django.test import Client

from {{ cookiecutter.__package }} import SERVICE_NAME, __version__

SETTINGS_MODULE = "{{ cookiecutter.__package }}.settings"

client = Client()


def test_index_names_the_service() -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"service": SERVICE_NAME, "version": __version__}
    assert SERVICE_NAME == "{{ cookiecutter.project_slug }}"


def test_health_is_ok() -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unknown_path_is_404() -> None:
    assert client.get("/no-such-page").status_code == 404


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
    assert client.get("/health", HTTP_HOST="evil.example").status_code == 400


def test_debug_sleep_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEBUG_ENDPOINTS", raising=False)
    assert client.get("/debug/sleep?seconds=0").status_code == 404


def test_debug_sleep_answers_after_the_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG_ENDPOINTS", "1")
    started = time.monotonic()
    response = client.get("/debug/sleep?seconds=0.2")
    assert response.status_code == 200
    assert response.json() == {"slept": 0.2}
    assert time.monotonic() - started >= 0.2
    assert client.get("/debug/sleep?seconds=soon").status_code in {400, 422}
