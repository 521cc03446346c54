"""Adaptive batching, back-pressure, metrics and shutdown, black-box on a real uvicorn."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import ROOT, Served, post_many, start_server, stop_server

TARGET = f"{ROOT / 'tests' / 'services' / 'batching' / 'service.py'}:svc"
ROW = [[5.1, 3.5, 1.4, 0.2]]


@pytest.fixture(scope="module")
def batching_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start_server(TARGET, tmp_path_factory.mktemp("batching"), "--timeout", "0.5")
    yield served
    stop_server(served)


async def _post_many(base_url: str, path: str, count: int) -> list[httpx.Response]:
    return await post_many(base_url, path, count, ROW)


def test_concurrent_requests_are_answered_in_shared_batches(batching_server: Served) -> None:
    responses = asyncio.run(_post_many(batching_server.base_url, "/batch_sizes", 64))
    assert [r.status_code for r in responses] == [200] * 64
    sizes = [r.json()[0] for r in responses]
    assert max(sizes) > 4, sizes  # 64 clients at once, a 10 ms model: rows share batches
    assert all(1 <= s <= 64 for s in sizes)


def test_requests_of_other_widths_wait_for_their_own_batch(batching_server: Served) -> None:
    async def mixed() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(
            base_url=batching_server.base_url, timeout=30, limits=limits
        ) as client:
            bodies = [[[1.0] * (3 if i % 2 else 5)] for i in range(32)]
            return await asyncio.gather(*(client.post("/any_width", json=b) for b in bodies))

    responses = asyncio.run(mixed())  # the server answers 504 after 0.5 s
    assert [r.status_code for r in responses] == [200] * 32
    assert max(r.json()[0] for r in responses) > 1  # one width still shares batches


def test_async_api_fans_out_to_two_runners(batching_server: Served) -> None:
    responses = asyncio.run(_post_many(batching_server.base_url, "/both", 16))
    assert {r.status_code for r in responses} == {200}
    assert all(len(r.json()[0]) == 2 for r in responses)


def test_metrics_count_routes_by_template_and_batches(batching_server: Served) -> None:
    asyncio.run(_post_many(batching_server.base_url, "/batch_sizes", 8))
    text = httpx.get(f"{batching_server.base_url}/metrics").text
    assert 'dosirak_requests_total{method="POST",route="/batch_sizes",status="200"}' in text
    assert (
        'dosirak_request_duration_seconds_bucket{le="0.005",method="POST",route="/batch_sizes"}'
        in text
    )
    assert 'dosirak_runner_batch_size_count{method="predict",runner="fixed"}' in text
    assert 'dosirak_runner_queue_depth{method="predict",runner="fixed"}' in text
    httpx.get(f"{batching_server.base_url}/no/such/path/42")
    text = httpx.get(f"{batching_server.base_url}/metrics").text
    assert "/no/such/path/42" not in text  # raw paths never become labels
    assert 'route="<unmatched>",status="404"' in text


def test_overload_answers_503_and_late_requests_504_never_500(batching_server: Served) -> None:
    responses = asyncio.run(_post_many(batching_server.base_url, "/slow", 12))
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 503, 504}, statuses
    assert statuses[200] >= 1 and statuses[503] >= 1 and statuses[504] >= 1, statuses
    for response in responses:
        if response.status_code == 503:
            assert response.headers["content-type"] == "application/problem+json"
            assert int(response.headers["retry-after"]) >= 1
            assert "items queued" in response.json()["detail"]
        if response.status_code == 504:
            assert response.json()["type"] == "urn:dosirak:problem:deadline-exceeded"
    # the server keeps serving
    assert httpx.post(f"{batching_server.base_url}/batch_sizes", json=ROW).status_code == 200


def test_503_and_504_are_declared_in_the_document(batching_server: Served) -> None:
    document = httpx.get(f"{batching_server.base_url}/openapi.json").json()
    responses = document["paths"]["/slow"]["post"]["responses"]
    assert "503" in responses and "504" in responses
    unavailable = document["components"]["responses"]["ServiceUnavailable"]
    assert "Retry-After" in unavailable["headers"]


def test_sigterm_drains_every_accepted_request(tmp_path: Path) -> None:
    # One batch runs a second: SIGTERM comes while it runs and the rest wait in the queue
    # (half a second is ample for 40 loopback connections, even on a busy machine).
    served = start_server(TARGET, tmp_path, env={"FIXED_COST_S": "1.0"})

    async def main() -> list[httpx.Response]:
        requests = asyncio.ensure_future(_post_many(served.base_url, "/batch_sizes", 40))
        await asyncio.sleep(0.5)  # all accepted and waiting on the runner
        served.process.send_signal(signal.SIGTERM)
        return await requests

    try:
        responses = asyncio.run(main())
        assert [r.status_code for r in responses] == [200] * 40
        # uvicorn re-raises the signal once it has shut down cleanly
        assert served.process.wait(timeout=15) in (0, -signal.SIGTERM)
        assert "Finished server process" in served.log()
        with pytest.raises(httpx.TransportError):
            httpx.post(f"{served.base_url}/batch_sizes", json=ROW, timeout=2)
    finally:
        stop_server(served)
