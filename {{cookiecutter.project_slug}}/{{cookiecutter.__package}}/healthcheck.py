"""The Docker HEALTHCHECK probe: exit 0 if GET /health on $PORT answers 200.

The probe runs every few seconds beside the server, inside the same memory
limit, so it must be cheap: the image starts it as a script with ``python -I -S``
(no site-packages, no package import) and it uses a bare socket rather than
urllib, which would import http.client, email and ssl. Slim images have no curl.
"""

import os
import socket
import sys

DEFAULT_PORT = {{ cookiecutter.port }}
REQUEST = b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"


def probe(port: int, timeout: float = 2.0) -> bool:
    """True if the status line of GET /health on 127.0.0.1:<port> says 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
            connection.sendall(REQUEST)
            status_line = connection.makefile("rb").readline(256)
    except OSError:  # refused, reset or timed out
        return False
    return status_line.split(b" ", 2)[1:2] == [b"200"]


def main() -> int:
    # PORT as the server reads it, so `-e PORT=...` moves both; the image always sets it.
    port = os.environ.get("PORT", "").strip() or DEFAULT_PORT
    return 0 if probe(int(port)) else 1


if __name__ == "__main__":
    sys.exit(main())
