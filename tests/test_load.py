"""Load and faults: every framework's image, with the defaults a user gets, under wrk and signals.

Traffic goes to the port published on 127.0.0.1 only. Every load is bounded (wrk's -d) and
stops by itself. tests/run runs this module after everything else, on its own, so nothing
competes with a load for the cores.
"""

from __future__ import annotations

import subprocess
import threading
import time

import pytest

from engine import (
    DEFAULT_VARIANTS,
    HTTP,
    Image,
    Images,
    Scratch,
    docker,
    memory_bytes,
    require_engine,
    slow_get,
    start,
    worker_pids,
    wrk,
    wrk_command,
)
from measure import parse_wrk

pytestmark = [pytest.mark.docker, pytest.mark.load]
require_engine()

CONNECTIONS = 64
WARM_UP_SECONDS = 5
WARM_UP_ROUNDS = 4  # at most; fewer once memory has settled
SETTLED = 0.02  # two warm-up rounds within 2 % of each other
LOAD_SECONDS = 30
MEMORY_GROWTH = 0.10  # at most 10 % more memory after the load than after the warm-up
SLOW_REQUEST_SECONDS = 3


@pytest.mark.parametrize("image", DEFAULT_VARIANTS, ids=str, indirect=True)
def test_sustained_load_has_no_errors_and_no_memory_growth(image: Image, scratch: Scratch) -> None:
    container, port = start(scratch, image)
    # Warm up until memory settles: caches and allocator arenas grow with the first loads, then
    # stay. A leak keeps growing.
    after_warm_up = 0
    for _ in range(WARM_UP_ROUNDS):
        wrk(port, WARM_UP_SECONDS, connections=CONNECTIONS)
        previous, after_warm_up = after_warm_up, memory_bytes(container)
        if abs(after_warm_up - previous) <= SETTLED * after_warm_up:
            break
    result = wrk(port, LOAD_SECONDS, connections=CONNECTIONS)
    at_end = memory_bytes(container)
    print(
        f"{image.variant}: {result.requests_per_second:.0f} req/s, p99 {result.p99_ms:.1f} ms, "
        f"memory {after_warm_up / 2**20:.1f} -> {at_end / 2**20:.1f} MiB"
    )
    assert result.requests > 0
    assert result.socket_errors == 0, result.output
    assert result.non_2xx == 0, result.output
    assert at_end <= after_warm_up * (1 + MEMORY_GROWTH), (after_warm_up, at_end)


@pytest.mark.parametrize("image", DEFAULT_VARIANTS, ids=str, indirect=True)
def test_sigterm_lets_an_in_flight_request_finish(image: Image, images: Images, scratch: Scratch) -> None:
    container, port = start(scratch, images.slow(image.variant))  # with GET /slow/<seconds>
    answer: dict = {}
    client = threading.Thread(target=slow_get, args=(port, SLOW_REQUEST_SECONDS, answer))
    client.start()
    time.sleep(1)  # the request is in flight
    stop_seconds = container.stop()  # docker stop -t 10: SIGTERM, then SIGKILL after 10 s
    client.join(timeout=30)
    state = container.state()
    print(f"{image.variant}: docker stop took {stop_seconds:.2f} s with a {SLOW_REQUEST_SECONDS} s request")
    assert answer.get("status") == 200, (answer, container.logs())
    assert answer["body"] == {"slept": SLOW_REQUEST_SECONDS}
    assert state["ExitCode"] == 0, container.logs()
    assert stop_seconds < 10, "SIGKILL was needed: the grace period ran out"
    assert stop_seconds >= SLOW_REQUEST_SECONDS - 1.5, "the server stopped without waiting for the request"


@pytest.mark.parametrize("image", DEFAULT_VARIANTS, ids=str, indirect=True)
def test_a_killed_worker_is_replaced_and_the_service_keeps_answering(image: Image, scratch: Scratch) -> None:
    container, port = start(scratch, image)
    workers = worker_pids(container)
    assert len(workers) >= 2, f"expected several worker processes, found {workers}"
    connections = 16
    load = subprocess.Popen(
        wrk_command(port, 8, connections=connections),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        time.sleep(2)
        victim = workers[0]
        docker(
            "exec", container.name, "python", "-c", f"import os, signal; os.kill({victim}, signal.SIGKILL)"
        )
        output, _ = load.communicate(timeout=40)
    finally:
        load.kill()
    result = parse_wrk(output)

    deadline = time.monotonic() + 20
    while (now := worker_pids(container)) and (victim in now or len(now) < len(workers)):
        assert time.monotonic() < deadline, f"worker {victim} not replaced: {workers} -> {now}"
        time.sleep(0.5)
    print(
        f"{image.variant}: workers {workers} -> {now}; "
        f"{result.requests} requests, {result.socket_errors} lost"
    )
    # At most the requests on the connections the killed worker held are lost.
    assert result.socket_errors <= connections, result.output
    assert result.non_2xx == 0, result.output
    assert result.requests > 0
    for _ in range(20):
        with HTTP.open(f"http://127.0.0.1:{port}/health", timeout=5) as response:
            assert response.status == 200
    assert container.state()["Running"]


@pytest.mark.parametrize("image", DEFAULT_VARIANTS, ids=str, indirect=True)
def test_worker_count_follows_a_cpu_limit(image: Image, scratch: Scratch) -> None:
    container, _ = start(scratch, image, "--cpus", "1")
    assert len(worker_pids(container)) == 1  # one worker per CPU
