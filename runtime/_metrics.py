"""Prometheus metrics: requests by route template, latencies, batches, queues, restarts.

With several server processes (``dosirak serve --workers N``) the metrics go through
prometheus-client's multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` is set before any
process imports prometheus-client, and ``/metrics`` adds up every process's files.
"""

from __future__ import annotations

import os
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

__all__ = [
    "CONTENT_TYPE_LATEST",
    "batch_done",
    "deadline_exceeded",
    "exposition",
    "queue_depth",
    "rejected",
    "request_done",
    "worker_restarted",
]

_LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0
)  # fmt: skip
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)

_requests = Counter(
    "dosirak_requests", "HTTP requests answered, by route template and status",
    ("route", "method", "status"),
)  # fmt: skip
_latency = Histogram(
    "dosirak_request_duration_seconds", "Time to answer an HTTP request",
    ("route", "method"), buckets=_LATENCY_BUCKETS,
)  # fmt: skip
_batch_size = Histogram(
    "dosirak_runner_batch_size", "Items per batch a runner method ran",
    ("runner", "method"), buckets=_BATCH_BUCKETS,
)  # fmt: skip
_batch_duration = Histogram(
    "dosirak_runner_batch_duration_seconds", "Time a runner method took for one batch",
    ("runner", "method"), buckets=_LATENCY_BUCKETS,
)  # fmt: skip
_queue_depth = Gauge(
    "dosirak_runner_queue_depth", "Items waiting to be batched",
    ("runner", "method"), multiprocess_mode="livesum",
)  # fmt: skip
_rejected = Counter(
    "dosirak_runner_rejected", "Requests a runner refused (queue full) or gave up (deadline)",
    ("runner", "method", "reason"),
)  # fmt: skip
_restarts = Counter(
    "dosirak_runner_worker_restarts", "Runner worker processes restarted after dying",
    ("runner",),
)  # fmt: skip

# Label lookups cost more than the increments: keep the children per label set.
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def request_done(route: str, method: str, status: int, seconds: float) -> None:
    key = (route, method, status)
    pair = _children.get(key)
    if pair is None:
        pair = (_requests.labels(route, method, str(status)), _latency.labels(route, method))
        _children[key] = pair
    pair[0].inc()
    pair[1].observe(seconds)


def batch_done(runner: str, method: str, items: int, seconds: float) -> None:
    _batch_size.labels(runner, method).observe(items)
    _batch_duration.labels(runner, method).observe(seconds)


def queue_depth(runner: str, method: str) -> Any:
    """The gauge child of one method's queue (``.set(items)``)."""
    return _queue_depth.labels(runner, method)


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
