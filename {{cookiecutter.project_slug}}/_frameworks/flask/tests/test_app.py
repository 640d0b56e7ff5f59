from {{ cookiecutter.__package }} import SERVICE_NAME, __version__
from {{ cookiecutter.__package }}.app import app

client = app.test_client()


def test_index_names_the_service() -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.get_json() == {"service": SERVICE_NAME, "version": __version__}
    assert SERVICE_NAME == "{{ cookiecutter.project_slug }}"


def test_health_is_ok() -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unknown_path_is_404() -> None:
    assert client.get("/no-such-page").status_code == 404
