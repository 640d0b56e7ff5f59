"""Development server: the service from .venv, restarted whenever a .py file changes.

    make dev    # serves http://127.0.0.1:$PORT; Ctrl-C stops it

It runs the image's own launcher (`python -m <package>`) with one worker, the access
log on and loopback only, so what you try is what ships. It polls the
package's .py files twice a second; on a change it stops the server with SIGTERM, as
`docker stop` does, and starts it again. One mechanism for every framework, and only
the standard library: nothing to install, no framework-specific reloader.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "{{ cookiecutter.__package }}"
POLL_SECONDS = 0.5
STOP_SECONDS = 10  # then SIGKILL, as Docker does


def snapshot() -> dict[Path, int]:
    """Every .py file of the package with its modification time."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        try:  # an editor's lock file (.#app.py) or a file saved by rename may be gone already
            found[path] = path.stat().st_mtime_ns
        except OSError:
            continue
    return found


def start() -> subprocess.Popen[bytes]:
    defaults = {
        "WEB_CONCURRENCY": "1",
        "ACCESS_LOG": "1",
{% block defaults %}{% endblock %}
    }
    # What you export wins, except HOST: the development server stays on loopback.
    env = {**defaults, **os.environ, "HOST": "127.0.0.1"}
    # The same interpreter and launcher as `make install` set up: no outside input.
    return subprocess.Popen([sys.executable, "-m", PACKAGE.name], cwd=PACKAGE.parent, env=env)  # noqa: S603


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def main() -> int:
    seen = snapshot()
    server = start()
    try:
        while True:
            time.sleep(POLL_SECONDS)
            now = snapshot()
            if now != seen:
                changed = sorted(p.name for p in now.keys() | seen.keys() if now.get(p) != seen.get(p))
                print(f"dev: {', '.join(changed)} changed; restarting", file=sys.stderr, flush=True)
                seen = now
                stop(server)
                server = start()
    except KeyboardInterrupt:
        return 0
    finally:
        if server.poll() is None:
            stop(server)


if __name__ == "__main__":
    sys.exit(main())
