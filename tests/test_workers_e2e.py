"""Runners in worker processes, black-box on a real uvicorn: placement, arrays, restarts,
failures, graceful shutdown, and several API server processes."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from .conftest import (
    ROOT,
    Served,
    assert_failure_logged,
    post_many,
    post_npy,
    start_server,
    stop_server,
)

TARGET = f"{ROOT / 'tests' / 'services' / 'workers' / 'service.py'}:svc"
ROW = [[5.1, 3.5, 1.4, 0.2]]


@pytest.fixture(scope="module")
def workers_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start_server(TARGET, tmp_path_factory.mktemp("workers"))
    yield served
    stop_server(served)


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


async def _post_many(base_url: str, path: str, count: int) -> list[httpx.Response]:
    return await post_many(base_url, path, count, ROW)


def test_runner_methods_run_in_worker_processes(workers_server: Served) -> None:
    responses = asyncio.run(_post_many(workers_server.base_url, "/pids", 32))
    assert {r.status_code for r in responses} == {200}
    api_pids = {r.json()[0][0] for r in responses}
    runner_pids = {r.json()[0][1] for r in responses}
    assert api_pids == {workers_server.process.pid}
    assert workers_server.process.pid not in runner_pids
    assert runner_pids <= _children(workers_server.process.pid)


def test_large_arrays_cross_the_process_boundary_intact(workers_server: Served) -> None:
    x = np.random.default_rng(7).normal(size=(2000, 300))
    np.testing.assert_allclose(post_npy(f"{workers_server.base_url}/row_sums", x), x.sum(axis=1))


def test_a_failing_method_is_a_500_with_an_error_id(workers_server: Served) -> None:
    assert_failure_logged(workers_server, "/fail", ROW, "the model refused")


def test_a_dying_worker_fails_its_call_at_once_and_comes_back(workers_server: Served) -> None:
    base = workers_server.base_url
    before = set(_children(workers_server.process.pid))
    began = time.monotonic()
    response = httpx.post(f"{base}/crash", json=ROW, timeout=30)
    assert time.monotonic() - began < 5  # nothing hangs
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "died" in response.json()["detail"]
    assert httpx.get(f"{base}/readyz").status_code == 200  # the other worker still serves
    # the other worker keeps answering meanwhile, and the dead one is replaced
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = {r.json()[0][1] for r in asyncio.run(_post_many(base, "/pids", 16))}
        children = _children(workers_server.process.pid)
        if len(children) == 2 and children != before and pids <= children:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the worker was not restarted: {before} -> {children}")
    metrics = httpx.get(f"{base}/metrics").text
    assert 'dosirak_runner_worker_restarts_total{runner="probe"} 1.0' in metrics


def test_sigterm_drains_then_stops_the_workers(tmp_path: Path) -> None:
    served = start_server(TARGET, tmp_path, env={"WORKER_CALL_S": "0.3"})
    workers = _children(served.process.pid)
    assert len(workers) == 2

    async def main() -> list[httpx.Response]:
        requests = asyncio.ensure_future(_post_many(served.base_url, "/pids", 24))
        await asyncio.sleep(0.15)
        served.process.send_signal(signal.SIGTERM)
        return await requests

    try:
        responses = asyncio.run(main())
        assert [r.status_code for r in responses] == [200] * 24
        served.process.wait(timeout=20)
        for pid in workers:
            assert (
                not Path(f"/proc/{pid}").exists()
                or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
            )
    finally:
        stop_server(served)


def test_several_api_server_processes_share_the_port(tmp_path: Path) -> None:
    served = start_server(TARGET, tmp_path, "--workers", "2", "--no-access-log")
    try:
        api_pids: set[int] = set()
        deadline = time.monotonic() + 30
        while len(api_pids) < 2 and time.monotonic() < deadline:
            with httpx.Client(base_url=served.base_url) as client:  # a new connection each time
                response = client.post("/pids", json=ROW)
                assert response.status_code == 200
                api_pids.add(response.json()[0][0])
        assert len(api_pids) == 2
        assert served.process.pid not in api_pids
        counted = 0
        for line in httpx.get(f"{served.base_url}/metrics").text.splitlines():
            if line.startswith('dosirak_requests_total{method="POST",route="/pids"'):
                counted += int(float(line.split()[-1]))
        assert counted >= 2  # both processes' requests, added up
    finally:
        stop_server(served)


def test_production_puts_the_seed_runner_in_worker_processes(tmp_path: Path) -> None:
    iris = f"{ROOT / 'samples' / 'iris' / 'service.py'}:svc"
    served = start_server(iris, tmp_path, "--production")
    try:
        assert len(_children(served.process.pid)) >= 1
        responses = asyncio.run(_post_many(served.base_url, "/classify", 8))
        assert {r.status_code for r in responses} == {200}
        assert all(r.json() == [0] for r in responses)
    finally:
        stop_server(served)
