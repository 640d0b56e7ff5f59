# Benchmark baseline "docker init" (django), used by bench/run.py; not part of the template.
# It models a Dockerfile written to the Python practices `docker init` documents
# and generates: one stage on the template's base image; no .pyc written at run
# time and unbuffered output; pip installs requirements.txt through a bind mount
# (so the layer depends on that file alone) with pip's download cache in a
# BuildKit cache mount; an unprivileged user with UID 10001; the code copied
# AFTER the install; the same server command as the tutorial baseline.
# django.Dockerfile.dockerignore stands in for the .dockerignore `docker init` writes.
# The template serves with granian; the baseline installs the classic server its tutorial names,
# in a second pip command: requirements.txt carries hashes, so pip would demand them for it too.
FROM python:3.14-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /app

# docker init's user: UID 10001, no password, no home, no login shell. It uses
# adduser, which this base (the machine's python:3.14-slim stand-in) lacks, so
# useradd, which adduser runs underneath, gets the same options directly.
ARG UID=10001
RUN useradd --no-create-home --home-dir /nonexistent --shell /sbin/nologin \
    --uid "${UID}" --user-group appuser

RUN --mount=type=cache,target=/root/.cache/pip \
    --mount=type=bind,source=requirements.txt,target=requirements.txt \
    python -m pip install -r requirements.txt \
    && python -m pip install gunicorn==27.0.1

USER appuser
COPY . .

EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "acme_service.wsgi:application"]
