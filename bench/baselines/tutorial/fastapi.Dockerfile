# Benchmark baseline "tutorial" (fastapi), used by bench/run.py; not part of the template.
# It models the classic tutorial Dockerfile: one stage on the template's base
# image, the whole project copied in BEFORE the dependencies are installed (so
# every code change reinstalls them), pip with --no-cache-dir into the system
# interpreter, running as root, one server process.
# Server: one uvicorn process, the command FastAPI's own container guide uses.
# The tutorial has no .dockerignore: fastapi.Dockerfile.dockerignore (empty) replaces
# the project's own, so the whole baked project reaches the build context.
# The template serves with granian; the baseline installs the classic server its tutorial names,
# in a second pip command: requirements.txt carries hashes, so pip would demand them for it too.
FROM python:3.14-slim

WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir -r requirements.txt \
    && pip install --no-cache-dir uvicorn==0.54.0 httptools==0.9.0

EXPOSE 8000
CMD ["uvicorn", "acme_service.app:app", "--host", "0.0.0.0", "--port", "8000"]
