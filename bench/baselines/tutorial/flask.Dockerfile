# Benchmark baseline "tutorial" (flask), used by bench/run.py; not part of the template.
# It models the classic tutorial Dockerfile: one stage on the template's base
# image, the whole project copied in BEFORE the dependencies are installed (so
# every code change reinstalls them), pip with --no-cache-dir into the system
# interpreter, running as root, one server process.
# Server: gunicorn with its defaults (one sync worker), as tutorials that deploy
# Flask write it; docs/benchmarks.md says why not `flask run`.
# The tutorial has no .dockerignore: flask.Dockerfile.dockerignore (empty) replaces
# the project's own, so the whole baked project reaches the build context.
# The template serves with granian; the baseline installs the classic server its tutorial names,
# in a second pip command: requirements.txt carries hashes, so pip would demand them for it too.
FROM python:3.14-slim

WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -r requirements.txt \
    && pip install --no-cache-dir gunicorn==27.0.1

EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "acme_service.app:app"]
