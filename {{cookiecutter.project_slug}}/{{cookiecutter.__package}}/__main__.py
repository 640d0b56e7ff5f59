"""Container entrypoint: validate the environment, then hand over to the server.

Running this package (``python -m``) is the image's ENTRYPOINT. The server then
runs in this very process, PID 1, and gets ``docker stop``'s SIGTERM directly,
with no shell in between to swallow it.
"""

import sys

from . import config, server


def main() -> int:
    cpus, memory_limit = config.cpu_count(), config.memory_limit()
    workers = server.default_workers(cpus, memory_limit)
    try:
        settings = config.from_env(default_workers=workers)
        if memory_limit is not None and settings.workers == workers < server.default_workers(cpus, None):
            print(
                f"WEB_CONCURRENCY defaults to {workers}, not {cpus} (one per CPU): "
                f"the {memory_limit >> 20} MiB memory limit holds no more workers",
                file=sys.stderr,
            )
        return server.run(settings)
    except config.ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
