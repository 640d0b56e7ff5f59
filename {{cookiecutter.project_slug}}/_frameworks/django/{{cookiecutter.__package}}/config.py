{% extends "{{cookiecutter.__package}}/config.py" %}
{% block imports %}
import re
{% endblock %}
{% block fields %}
    # Checked with the rest at start; settings.py reads them with django_from_env().
    django: DjangoSettings | None = None
{% endblock %}
{% block values %}
        django=django_from_env(environ),
{% endblock %}
{% block parsers %}


# What Django's deployment check (security.W009) calls a weak key.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE = 5
# An ALLOWED_HOSTS entry: a host name, a .domain (it and its subdomains), an IP address or *.
LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"
HOST = re.compile(rf"\*|\.?{LABEL}(\.{LABEL})*|\[[0-9A-Fa-f:.]+\]")
DEFAULT_DATABASE = Path(__file__).resolve().parent.parent / "db.sqlite3"


# No repr: it would print the secret key into a log or a traceback.
@dataclass(frozen=True, repr=False)
class DjangoSettings:
    debug: bool = False  # tracebacks in responses: never in production
    secret_key: str = ""  # empty: the entrypoint makes a random key for the container
    allowed_hosts: tuple[str, ...] = ()  # besides loopback
    database_path: str = str(DEFAULT_DATABASE)
    run_migrations: bool = False


def django_from_env(environ: Mapping[str, str] = os.environ) -> DjangoSettings:
    """Django's own settings alone, so manage.py and the tests do not depend on the server's."""
    return DjangoSettings(
        debug=env_flag(environ, "DJANGO_DEBUG", False),
        secret_key=env_secret_key(environ, "DJANGO_SECRET_KEY"),
        allowed_hosts=env_hosts(environ, "DJANGO_ALLOWED_HOSTS"),
        database_path=env_database_path(environ, "DJANGO_DATABASE_PATH", DEFAULT_DATABASE),
        run_migrations=env_flag(environ, "RUN_MIGRATIONS", False),
    )


def env_secret_key(environ: Mapping[str, str], name: str) -> str:
    raw = environ.get(name, "")
    if raw and (len(raw) < SECRET_KEY_MIN_LENGTH or len(set(raw)) < SECRET_KEY_MIN_UNIQUE):
        # The key itself never goes into the message: it ends up in logs.
        raise ConfigError(
            f"{name} is too weak: use {SECRET_KEY_MIN_LENGTH} or more random characters "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    return raw


def env_hosts(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    hosts = tuple(host.strip() for host in environ.get(name, "").split(",") if host.strip())
    for host in hosts:
        if not HOST.fullmatch(host):
            raise ConfigError(f"{name}: {host!r} is not a host name, .domain, IP address or *")
    return hosts


def env_database_path(environ: Mapping[str, str], name: str, default: Path) -> str:
    raw = environ.get(name, "").strip()
    path = Path(raw) if raw else default
    if not path.parent.is_dir():
        raise ConfigError(f"{name}={raw!r}: the directory {str(path.parent)!r} does not exist")
    return str(path)
{% endblock %}
