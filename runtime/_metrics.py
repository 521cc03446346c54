"""Prometheus metrics: requests by route template, latencies, batches, queues, restarts.

In one server process the values are plain Python numbers, counted on the event loop's
thread, and prometheus-client is imported only when ``/metrics`` is scraped: its children
take a lock per increment and walk a histogram's buckets in Python (microseconds per
request, as much as a small model's call), and importing it costs start-up time.

With several server processes (``dosirak serve --workers N``) the metrics go through
prometheus-client's multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` is set before any
process imports this module, and ``/metrics`` adds up every process's files.
"""

from __future__ import annotations

import bisect
import itertools
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client.core import Metric

__all__ = [
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

_REQUESTS = ("dosirak_requests", "HTTP requests answered, by route template and status")
_LATENCY = ("dosirak_request_duration_seconds", "Time to answer an HTTP request")
_BATCH_SIZE = ("dosirak_runner_batch_size", "Items per batch a runner method ran")
_BATCH_DURATION = (
    "dosirak_runner_batch_duration_seconds", "Time a runner method took for one batch"
)  # fmt: skip
_REJECTED = (
    "dosirak_runner_rejected", "Requests a runner refused (queue full) or gave up (deadline)"
)  # fmt: skip
_RESTARTS = (
    "dosirak_runner_worker_restarts",
    "Runner workers (processes, Ray actors) that died and were restarted",
)
_QUEUE_DEPTH = ("dosirak_runner_queue_depth", "Items waiting to be batched")

_ROUTE = ("route", "method")
_RUNNER = ("runner", "method")


class _Counter:
    """A counter family in this process: label values → count."""

    def __init__(self, name: str, documentation: str, labels: tuple[str, ...]) -> None:
        self.name, self.documentation, self.labels = name, documentation, labels
        self.values: dict[tuple[str, ...], float] = {}

    def inc(self, labels: tuple[str, ...]) -> None:
        self.values[labels] = self.values.get(labels, 0) + 1

    def family(self) -> Metric:
        from prometheus_client.core import CounterMetricFamily

        family = CounterMetricFamily(self.name, self.documentation, labels=self.labels)
        for labels, value in list(self.values.items()):
            family.add_metric(labels, value)
        return family


class _Histogram:
    """A histogram family in this process: label values → per-bucket counts and sum."""

    def __init__(
        self, name: str, documentation: str, labels: tuple[str, ...], buckets: tuple[float, ...]
    ) -> None:
        self.name, self.documentation, self.labels = name, documentation, labels
        self.buckets = buckets
        #: The last count is of values past every bound; the one-item list holds the sum.
        self.values: dict[tuple[str, ...], tuple[list[int], list[float]]] = {}

    def observe(self, labels: tuple[str, ...], value: float) -> None:
        counts = self.values.get(labels)
        if counts is None:
            counts = self.values[labels] = ([0] * (len(self.buckets) + 1), [0.0])
        counts[0][bisect.bisect_left(self.buckets, value)] += 1
        counts[1][0] += value

    def family(self) -> Metric:
        from prometheus_client.core import HistogramMetricFamily

        family = HistogramMetricFamily(self.name, self.documentation, labels=self.labels)
        bounds = [*(str(float(b)) for b in self.buckets), "+Inf"]
        for labels, (counts, total) in list(self.values.items()):
            cumulative = list(itertools.accumulate(counts))
            family.add_metric(labels, list(zip(bounds, cumulative, strict=True)), total[0])
        return family


class _InProcess:
    """Every family of one server process, and the collector prometheus-client scrapes."""

    def __init__(self) -> None:
        self.requests = _Counter(*_REQUESTS, (*_ROUTE, "status"))
        self.latency = _Histogram(*_LATENCY, _ROUTE, _LATENCY_BUCKETS)
        self.batch_size = _Histogram(*_BATCH_SIZE, _RUNNER, _BATCH_BUCKETS)
        self.batch_duration = _Histogram(*_BATCH_DURATION, _RUNNER, _LATENCY_BUCKETS)
        self.rejected = _Counter(*_REJECTED, (*_RUNNER, "reason"))
        self.restarts = _Counter(*_RESTARTS, ("runner",))
        self.queue_depths: dict[tuple[str, str], Callable[[], int]] = {}
        self._registered = False

    def request_done(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.inc((route, method, str(status)))
        self.latency.observe((route, method), seconds)

    def collect(self) -> Iterator[Metric]:
        from prometheus_client.core import GaugeMetricFamily

        for family in (self.requests, self.latency, self.batch_size, self.batch_duration):
            yield family.family()
        yield self.rejected.family()
        yield self.restarts.family()
        depth = GaugeMetricFamily(*_QUEUE_DEPTH, labels=_RUNNER)
        for labels, read in list(self.queue_depths.items()):
            depth.add_metric(labels, read())
        yield depth

    def exposition(self) -> bytes:
        from prometheus_client import REGISTRY, generate_latest

        if not self._registered:  # beside prometheus-client's process and GC metrics
            REGISTRY.register(self)
            self._registered = True
        return generate_latest(REGISTRY)


class _Multiprocess:
    """prometheus-client's shared files, for several server processes."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter(*_REQUESTS, (*_ROUTE, "status"))
        self.latency = Histogram(*_LATENCY, _ROUTE, buckets=_LATENCY_BUCKETS)
        self.batch_size = Histogram(*_BATCH_SIZE, _RUNNER, buckets=_BATCH_BUCKETS)
        self.batch_duration = Histogram(*_BATCH_DURATION, _RUNNER, buckets=_LATENCY_BUCKETS)
        self.rejected = Counter(*_REJECTED, (*_RUNNER, "reason"))
        self.restarts = Counter(*_RESTARTS, ("runner",))
        self.queue_depth = Gauge(*_QUEUE_DEPTH, _RUNNER, multiprocess_mode="livesum")
        # Label lookups cost more than the increments: keep the children.
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def request_done(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        pair = self._children.get(key)
        if pair is None:
            pair = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route, method),
            )
            self._children[key] = pair
        pair[0].inc()
        pair[1].observe(seconds)

    def exposition(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest, multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)


_metrics: _InProcess | _Multiprocess = (
    _Multiprocess() if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else _InProcess()
)
request_done = _metrics.request_done


def batch_done(runner: str, method: str, items: int, seconds: float) -> None:
    if isinstance(_metrics, _InProcess):
        _metrics.batch_size.observe((runner, method), items)
        _metrics.batch_duration.observe((runner, method), seconds)
    else:
        _metrics.batch_size.labels(runner, method).observe(items)
        _metrics.batch_duration.labels(runner, method).observe(seconds)


def watch_queue(runner: str, method: str, depth: Callable[[], int]) -> Callable[[], None] | None:
    """Report ``depth()`` as the queue depth of one runner method.

    In one process the gauge reads ``depth()`` when scraped and this returns None: nothing
    to do per request. With several processes it returns the function to call whenever the
    depth changes (prometheus-client's shared files hold only values that were set).
    """
    if isinstance(_metrics, _InProcess):
        _metrics.queue_depths[(runner, method)] = depth
        return None
    child = _metrics.queue_depth.labels(runner, method)
    return lambda: child.set(depth())


def _rejected(runner: str, method: str, reason: str) -> None:
    if isinstance(_metrics, _InProcess):
        _metrics.rejected.inc((runner, method, reason))
    else:
        _metrics.rejected.labels(runner, method, reason).inc()


def rejected(runner: str, method: str) -> None:
    _rejected(runner, method, "queue_full")


def deadline_exceeded(runner: str, method: str) -> None:
    _rejected(runner, method, "deadline")


def worker_restarted(runner: str) -> None:
    if isinstance(_metrics, _InProcess):
        _metrics.restarts.inc((runner,))
    else:
        _metrics.restarts.labels(runner).inc()


def exposition() -> tuple[bytes, str]:
    """Every metric in the Prometheus text format, from all server processes, and that
    format's media type."""
    from prometheus_client import CONTENT_TYPE_LATEST

    return _metrics.exposition(), CONTENT_TYPE_LATEST
