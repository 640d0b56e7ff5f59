{#- The app tests shared by the frameworks with a test client (FastAPI, Flask, Django);
    each framework's tests/test_app.py defines `client` and includes this. -#}
{% set json = "response.get_json()" if cookiecutter.framework == "flask" else "response.json()" %}


def test_index_names_the_service() -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert {{ json }} == {"service": SERVICE_NAME, "version": __version__}
    assert SERVICE_NAME == "{{ cookiecutter.project_slug }}"


def test_health_is_ok() -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert {{ json }} == {"status": "ok"}


def test_unknown_path_is_404() -> None:
    assert client.get("/no-such-page").status_code == 404


def test_debug_sleep_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEBUG_ENDPOINTS", raising=False)
    assert client.get("/debug/sleep?seconds=0").status_code == 404


def test_debug_sleep_answers_after_the_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEBUG_ENDPOINTS", "1")
    started = time.monotonic()
    response = client.get("/debug/sleep?seconds=0.2")
    assert response.status_code == 200
    assert {{ json }} == {"slept": 0.2}
    assert time.monotonic() - started >= 0.2
    assert client.get("/debug/sleep?seconds=soon").status_code in {400, 422}
