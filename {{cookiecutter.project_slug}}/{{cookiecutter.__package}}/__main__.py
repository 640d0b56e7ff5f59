"""Container entrypoint: validate the environment, then hand over to the server.

Running this package (``python -m``) is the image's ENTRYPOINT. Servers that
run as their own program replace this process (``exec``), so they are PID 1 and
get ``docker stop``'s SIGTERM directly, with no shell in between to swallow it.
"""

import sys

from . import config, server


def main() -> int:
    try:
        settings = config.from_env(default_workers=server.default_workers(config.cpu_count()))
    except config.ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    return server.run(settings)


if __name__ == "__main__":
    sys.exit(main())
