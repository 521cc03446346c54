"""Prometheus metrics: requests by route template, latencies, batches, queues, restarts.

With several server processes (``dosirak serve --workers N``) the metrics go through
prometheus-client's multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` is set before any
process imports prometheus-client, and ``/metrics`` adds up every process's files.
"""

from __future__ import annotations

import bisect
import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

__all__ = [
    "CONTENT_TYPE_LATEST",
    "batch_done",
    "deadline_exceeded",
    "exposition",
    "rejected",
    "request_done",
    "watch_queue",
    "worker_restarted",
]

_LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0
)  # fmt: skip
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)

_batch_size = Histogram(
    "dosirak_runner_batch_size", "Items per batch a runner method ran",
    ("runner", "method"), buckets=_BATCH_BUCKETS,
)  # fmt: skip
_batch_duration = Histogram(
    "dosirak_runner_batch_duration_seconds", "Time a runner method took for one batch",
    ("runner", "method"), buckets=_LATENCY_BUCKETS,
)  # fmt: skip
_rejected = Counter(
    "dosirak_runner_rejected", "Requests a runner refused (queue full) or gave up (deadline)",
    ("runner", "method", "reason"),
)  # fmt: skip
_restarts = Counter(
    "dosirak_runner_worker_restarts", "Runner worker processes restarted after dying",
    ("runner",),
)  # fmt: skip


class _RequestMetrics:
    """Requests by route template and status, and their latencies, in one process.

    prometheus-client's children take a lock per increment and walk the histogram's
    buckets in Python: microseconds per request, as much as a small model's call. Only
    the event loop's thread counts requests, so plain integers do, and the registry reads
    them as the same two metric families when scraped.
    """

    def __init__(self) -> None:
        self._requests: dict[tuple[str, str, int], int] = {}
        #: (route, method) → per-bucket counts (the last one past every bound) and the sum.
        self._latency: dict[tuple[str, str], tuple[list[int], list[float]]] = {}

    def record(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        self._requests[key] = self._requests.get(key, 0) + 1
        latency = self._latency.get((route, method))
        if latency is None:
            latency = self._latency[(route, method)] = ([0] * (len(_LATENCY_BUCKETS) + 1), [0.0])
        latency[0][bisect.bisect_left(_LATENCY_BUCKETS, seconds)] += 1
        latency[1][0] += seconds

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "dosirak_requests", "HTTP requests answered, by route template and status",
            labels=("route", "method", "status"),
        )  # fmt: skip
        for (route, method, status), count in list(self._requests.items()):
            requests.add_metric((route, method, str(status)), count)
        latency = HistogramMetricFamily(
            "dosirak_request_duration_seconds", "Time to answer an HTTP request",
            labels=("route", "method"),
        )  # fmt: skip
        for (route, method), (counts, total) in list(self._latency.items()):
            cumulative = list(itertools.accumulate(counts))
            bounds = [*(str(b) for b in _LATENCY_BUCKETS), "+Inf"]
            latency.add_metric(
                (route, method), list(zip(bounds, cumulative, strict=True)), total[0]
            )
        yield requests
        yield latency


if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Several server processes: counted in prometheus-client's shared files instead.
    _requests = Counter(
        "dosirak_requests", "HTTP requests answered, by route template and status",
        ("route", "method", "status"),
    )  # fmt: skip
    _latency = Histogram(
        "dosirak_request_duration_seconds", "Time to answer an HTTP request",
        ("route", "method"), buckets=_LATENCY_BUCKETS,
    )  # fmt: skip
    _children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def request_done(route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        pair = _children.get(key)
        if pair is None:  # label lookups cost more than the increments: keep the children
            pair = (_requests.labels(route, method, str(status)), _latency.labels(route, method))
            _children[key] = pair
        pair[0].inc()
        pair[1].observe(seconds)

    _queue_depth: Gauge | None = Gauge(
        "dosirak_runner_queue_depth", "Items waiting to be batched",
        ("runner", "method"), multiprocess_mode="livesum",
    )  # fmt: skip

else:
    _request_metrics = _RequestMetrics()
    REGISTRY.register(_request_metrics)
    request_done = _request_metrics.record
    _queue_depth = None

_queue_depths: dict[tuple[str, str], Callable[[], int]] = {}


class _QueueDepths:
    """The queue depth gauge in one process, read from the batchers when scraped."""

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "dosirak_runner_queue_depth", "Items waiting to be batched", labels=("runner", "method")
        )
        for (runner, method), depth in list(_queue_depths.items()):
            gauge.add_metric((runner, method), depth())
        yield gauge


if _queue_depth is None:
    REGISTRY.register(_QueueDepths())


def batch_done(runner: str, method: str, items: int, seconds: float) -> None:
    _batch_size.labels(runner, method).observe(items)
    _batch_duration.labels(runner, method).observe(seconds)


def watch_queue(runner: str, method: str, depth: Callable[[], int]) -> Callable[[], None] | None:
    """Report ``depth()`` as the queue depth of one runner method.

    In one process the gauge reads ``depth()`` when scraped and this returns None: nothing
    to do per request. With several processes it returns the function to call whenever the
    depth changes (prometheus-client's shared files hold only values that were set).
    """
    if _queue_depth is None:
        _queue_depths[(runner, method)] = depth
        return None
    child = _queue_depth.labels(runner, method)
    return lambda: child.set(depth())


def rejected(runner: str, method: str) -> None:
    _rejected.labels(runner, method, "queue_full").inc()


def deadline_exceeded(runner: str, method: str) -> None:
    _rejected.labels(runner, method, "deadline").inc()


def worker_restarted(runner: str) -> None:
    _restarts.labels(runner).inc()


def exposition() -> bytes:
    """Every metric in the Prometheus text format, from all server processes."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)
