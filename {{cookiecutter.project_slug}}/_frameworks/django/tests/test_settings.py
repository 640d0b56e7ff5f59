import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
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


def test_unknown_host_is_rejected_in_one_warning_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        response = Client().get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert [(record.levelname, record.exc_info) for record in caplog.records] == [("WARNING", None)]
    assert "evil.example" in caplog.records[0].getMessage()


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_probes_answer_any_host(path: str) -> None:
    # A kubelet probe names the pod's IP, which ALLOWED_HOSTS cannot list in advance.
    assert Client().get(path, HTTP_HOST="10.1.2.3:8000").status_code == 200


MANAGE = Path(__file__).resolve().parent.parent / "manage.py"


@pytest.mark.skipif(not MANAGE.exists(), reason="the image carries the package, not manage.py")
def test_manage_py_reports_a_bad_setting_in_one_line() -> None:
    env = {**os.environ, "DJANGO_DEBUG": "maybe"}
    result = subprocess.run(
        [sys.executable, str(MANAGE), "check"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "configuration error: DJANGO_DEBUG='maybe' is not one of 1, true, yes, on, 0, false, no, off"
    ]
