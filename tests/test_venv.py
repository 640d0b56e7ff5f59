"""Venv tier: each framework's generated project, installed for real, passes its own test suite.

Runs on every offered Python version this machine has an interpreter for (pyenv
or PATH); 3.14 and 3.15 are exercised inside containers by the docker tier. Every
framework needs at least two of them here: with fewer the module is skipped with the
reason, and with REQUIRE_VENV=1 (as .ci/run sets) it fails instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import FRAMEWORKS, PYTHONS, interpreter, post, pre, skip_or_fail, supported, version, without_uv

pytestmark = pytest.mark.venv

LOCAL_PYTHONS_NEEDED = 2  # per framework, so that a version-specific break shows
AVAILABLE = [py for py in PYTHONS if interpreter(py)]
CASES = [(py, fw) for fw in FRAMEWORKS for py in AVAILABLE if supported(py, fw)]


def too_few_pythons() -> str | None:
    """Why this machine cannot run the tier, or None: the frameworks with fewer than two Pythons."""
    short = {fw: [py for py, f in CASES if f == fw] for fw in FRAMEWORKS}
    short = {fw: found for fw, found in short.items() if len(found) < LOCAL_PYTHONS_NEEDED}
    if not short:
        return None
    offered = ", ".join(PYTHONS)
    return (
        f"each framework needs {LOCAL_PYTHONS_NEEDED} of the offered Pythons ({offered}) on this machine "
        f"(pyenv or PATH); found {AVAILABLE or 'nothing'}, too few for {', '.join(short)}"
    )


skip_or_fail("venv", too_few_pythons(), "REQUIRE_VENV")


def normalize(pin: str) -> str:
    """`Pydantic_Core==2.0` and `pydantic-core==2.0` name the same pin (PEP 503)."""
    name, _, version = pin.partition("==")
    return re.sub(r"[-_.]+", "-", name).lower() + "==" + version.strip()


def sh(argv: list[str], cwd: Path, timeout: int = 600, env: dict | None = None) -> str:
    result = subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False, env=env
    )
    assert result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def make(*args: str) -> list[str]:
    path = shutil.which("make")
    assert path, "GNU make is needed for the generated Makefile"
    return [path, "--no-print-directory", *args]


def locked(project: Path) -> tuple[set[str], set[str]]:
    """requirements-dev.txt's pins: all of them, and those without an environment marker."""
    entries = [entry for _, entry in post.requirement_entries((project / "requirements-dev.txt").read_text())]
    # The post-generation hook's own reading of a locked line: the pin, then an optional marker.
    matches = [post.PIN_RE.fullmatch(entry.split(" --hash=")[0].strip()) for entry in entries]
    pins = {normalize(match["pin"]) for match in matches}
    unconditional = {normalize(match["pin"]) for match in matches if match["marker"] is None}
    return pins, unconditional


@pytest.mark.parametrize(("python", "framework"), CASES)
def test_make_install_test_and_lint_pass(bake, python: str, framework: str) -> None:
    """The README's own commands: `make install`, `make test`, `make lint`, with no uv on PATH."""
    project = bake(python_version=python, framework=framework)
    sh(make("install", f"PYTHON={interpreter(python)}"), project, env=without_uv())
    venv_python = str(project / ".venv" / "bin" / "python")
    version = sh([venv_python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], project)
    assert version.strip() == python
    output = sh(make("test"), project)
    assert " passed" in output and "failed" not in output and " error" not in output.lower()
    sh(make("lint"), project)
    # What is installed is exactly what the lock pins for this platform and Python.
    uv = next((project / ".tools").glob("uv-*/bin/uv"))
    frozen = {
        normalize(line) for line in sh([str(uv), "pip", "freeze", "--python", venv_python], project).split()
    }
    pins, unconditional = locked(project)
    assert frozen <= pins, frozen - pins
    assert unconditional <= frozen, unconditional - frozen
    # Nothing installed can be shadowed by a project's package: the pre-generation hook refuses
    # every top-level module name site-packages holds (private ones, "_name", are no slug; nor
    # are names no import spells: stub-only django-stubs, mypyc's hash-named extension).
    site = next((project / ".venv" / "lib").glob("python*/site-packages"))
    modules = {
        name
        for entry in site.iterdir()
        if not entry.name.endswith((".dist-info", ".data", ".pth"))
        # a package, a module, or an extension (name.cpython-...so); ".lock" gives ""
        and (name := entry.name.split(".")[0]).isidentifier()
        and not name.startswith("_")
    }
    assert modules <= pre.RESERVED_PACKAGES, sorted(modules - pre.RESERVED_PACKAGES)


# Each framework once, on the newest Python this machine has for it.
NEWEST_CASES = {fw: max((py for py, f in CASES if f == fw), key=version) for fw in FRAMEWORKS}


def runtime_lock(project: Path) -> dict[str, str]:
    """requirements.txt as {name: version}, read with the post-generation hook's rule."""
    pins = post.check_requirements((project / "requirements.txt").read_text(), "requirements.txt")
    return dict(normalize(pin).split("==") for pin in pins)


def lock_date(project: Path) -> str:
    return re.search(r"^LOCK_DATE := (\S+)$", (project / "Makefile").read_text(), re.MULTILINE)[1]


@pytest.mark.parametrize(("framework", "python"), NEWEST_CASES.items())
def test_make_lock_on_a_fresh_project_changes_nothing(bake, framework: str, python: str) -> None:
    project = bake(python_version=python, framework=framework)
    before = {name: (project / name).read_text() for name in ("requirements.txt", "requirements-dev.txt")}
    sh(make("lock"), project, env=without_uv())
    assert {name: (project / name).read_text() for name in before} == before
    # `make lock UPGRADE=<package>` moves that one package, here down and back up.
    package, pinned, date = "granian", runtime_lock(project)["granian"], lock_date(project)
    sh(make("lock", f"UPGRADE={package}<{pinned}"), project, env=without_uv())
    assert version(runtime_lock(project)[package]) < version(pinned)
    assert lock_date(project) > date  # moved to now, so that a newer release is visible
    sh(make("lock", f"UPGRADE={package}"), project, env=without_uv())
    assert version(runtime_lock(project)[package]) >= version(pinned)
    assert "UPGRADE=<package>" in sh(make("help"), project)


def failed_install(project: Path, *args: str) -> list[str]:
    """`make install` that must fail: its own lines (make's "Error 1" and pip's warnings dropped)."""
    env = {**without_uv(), "UV_PYTHON_DOWNLOADS": "never"}
    failure = subprocess.run(
        make("install", *args), cwd=project, capture_output=True, text=True, timeout=300, env=env
    )
    assert failure.returncode != 0, failure.stdout + failure.stderr
    assert not (project / ".venv").exists() and not (project / ".venv.partial").exists()
    assert not (project / ".python-version").exists(), "a Python that failed was remembered"
    return [line for line in failure.stderr.splitlines() if line.startswith("make install:")]


def suggestion(found: str, python: str) -> str:
    """What the "Pythons found here" line says to pass as PYTHON for `python`."""
    named = re.search(rf"(?<![\d.]){re.escape(python)}(?: at (\S+?))?[,;]", found)
    assert named, f"{python} is on this machine, but not named: {found}"
    return named[1] or python


@pytest.mark.parametrize(("framework", "python"), NEWEST_CASES.items())
def test_a_failed_make_install_explains_itself_and_a_chosen_python_is_remembered(
    bake, framework: str, python: str
) -> None:
    # The image's Python is one this machine lacks, where there is one (3.14 and 3.15, here).
    missing = [py for py in PYTHONS if supported(py, framework) and not interpreter(py)]
    image = missing[0] if missing else next(py for py, f in CASES if f == framework and py != python)
    project = bake(python_version=image, framework=framework)
    for target in ("test", "lint", "dev"):  # before `make install`: one line saying so
        early = subprocess.run(make(target), cwd=project, capture_output=True, text=True, timeout=60)
        lines = (early.stdout + early.stderr).strip().splitlines()
        assert early.returncode != 0 and len(lines) == 1, lines
        assert "run `make install` first" in lines[0], lines
    # No such Python: uv's reason in one line, then the Pythons this machine has.
    failures = [("PYTHON=/nowhere/python3.99", "No interpreter found at path `/nowhere/python3.99`")]
    if missing:  # plain `make install`, without the image's Python and with no download allowed
        failures.append(("", f"No interpreter found for Python {image}"))
    for argument, reason in failures:
        ours = failed_install(project, *filter(None, [argument]))
        assert len(ours) == 2, ours
        requested = argument.removeprefix("PYTHON=") or image
        assert ours[0].startswith(f"make install: no Python {requested}; uv: "), ours
        assert reason in ours[0], ours
        assert ours[1].startswith("make install: Pythons found here: "), ours
        chosen = suggestion(ours[1], python)
    too_old = [py for py in AVAILABLE if not supported(py, framework)]
    if too_old:  # e.g. Django on 3.11: one line naming what the lock needs, then what is here
        ours = failed_install(project, f"PYTHON={interpreter(too_old[0])}")
        assert len(ours) == 2 and "is too old" in ours[0] and "or newer" in ours[0], ours
        assert suggestion(ours[1], python) == chosen
    # The suggestion works, is remembered, and the difference from the image is one warning.
    for args in ([f"PYTHON={chosen}"], []):
        result = subprocess.run(
            make("install", *args), cwd=project, capture_output=True, text=True, timeout=300,
            env={**without_uv(), "UV_PYTHON_DOWNLOADS": "never"},
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert (project / ".python-version").read_text().strip() == chosen
        venv_python = str(project / ".venv" / "bin" / "python")
        venv_version = sh([venv_python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], project)
        assert venv_version.strip() == python
        warnings = [line for line in result.stderr.splitlines() if line.startswith("make install: warning:")]
        assert warnings == [
            f"make install: warning: .venv has Python {python}, the image {image} (ARG PYTHON_VERSION in the "
            "Dockerfile): what passes here may fail in the image"
        ], result.stderr
    assert (project / ".venv" / "bin" / "pytest").exists()
    # `make lock` uses the remembered Python too, and still writes the same lock.
    before = (project / "requirements-dev.txt").read_text()
    output = sh(make("lock"), project, env=without_uv())
    assert f"--python {chosen} " in output and (project / "requirements-dev.txt").read_text() == before


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get_json(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return json.loads(response.read())
    except OSError:
        return None


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a socket listening on `port`, from the kernel's own tables
    (/proc/net/tcp and tcp6), so no `ss` or `netstat` is needed."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table, encoding="ascii") as rows:
            for row in list(rows)[1:]:
                local, state = row.split()[1], row.split()[3]
                address, _, hex_port = local.partition(":")
                if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                    raw = bytes.fromhex(address)
                    if len(raw) == 4:  # IPv4, stored little-endian
                        found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
                    else:  # IPv6: four little-endian 32-bit words
                        words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
                        found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize(("framework", "python"), NEWEST_CASES.items())
def test_make_dev_serves_on_loopback_and_reloads_a_changed_file(bake, framework: str, python: str) -> None:
    project = bake(python_version=python, framework=framework)
    sh(make("install", f"PYTHON={interpreter(python)}"), project, env=without_uv())
    port = free_port()
    dev = subprocess.Popen(
        make("dev", f"PORT={port}"), cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert wait_for(lambda: (get_json(port) or {}).get("version") == "0.1.0", 30), (
            "make dev never served /"
        )
        package = next(project.glob("*/__init__.py"))
        package.write_text(package.read_text().replace('"0.1.0"', '"0.1.1"'))
        assert wait_for(lambda: (get_json(port) or {}).get("version") == "0.1.1", 30), (
            "the change was not served"
        )
        listening = listening_addresses(port)
        assert listening == {"127.0.0.1"}, listening
    finally:
        os.killpg(dev.pid, signal.SIGINT)
        try:
            output, _ = dev.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, signal.SIGKILL)
            output, _ = dev.communicate()
    assert "__init__.py changed; restarting" in output, output
    assert get_json(port) is None, "the server outlived make dev"
