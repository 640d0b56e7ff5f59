"""The Docker HEALTHCHECK probe: exit 0 if GET /health on $PORT answers 200.

Python rather than curl because slim images ship no curl, and reading PORT here
keeps the probe on the same port as the server when PORT is overridden.
"""

import os
import sys
import urllib.request

from .config import DEFAULT_PORT

# Ignore HTTP(S)_PROXY: the probe must reach this container, not a proxy.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def probe(port: int, timeout: float = 2.0) -> bool:
    try:
        with _OPENER.open(f"http://127.0.0.1:{port}/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:  # refused, timed out, or an HTTP error status
        return False


def main() -> int:
    port = os.environ.get("PORT", "").strip() or DEFAULT_PORT
    return 0 if probe(int(port)) else 1


if __name__ == "__main__":
    sys.exit(main())
