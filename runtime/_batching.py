"""Adaptive batching as a pure policy: decisions over a snapshot of the queue.

Nothing here touches an event loop or a clock of its own, so every decision can be tested
synchronously (``tests/test_batching_policy.py``); `dosirak.runtime._batcher` is the thin
asyncio layer that feeds it arrivals, completions and the time.

Example::

    policy = AdaptivePolicy(max_batch_size=64, max_latency_s=0.1)
    policy.observe(items=8, seconds=0.010)           # a batch of 8 took 10 ms
    policy.decide(now, [Pending(size=3, arrived=t0, deadline=t0 + 60)], idle_slots=1)
    # -> Dispatch(items=3) or Wait(until=...)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = [
    "AdaptivePolicy",
    "BatchingPolicy",
    "CostModel",
    "Decision",
    "Dispatch",
    "GreedyPolicy",
    "Pending",
    "Wait",
    "batching_policy",
    "plan_batch",
    "register_batching_policy",
]


@dataclass(frozen=True)
class Pending:
    """What the policy sees of one queued request: items not yet dispatched, and times."""

    size: int
    arrived: float
    deadline: float = math.inf


@dataclass(frozen=True)
class Dispatch:
    """Send the first ``items`` queued items (FIFO, the last request possibly split) now."""

    items: int


@dataclass(frozen=True)
class Wait:
    """Dispatch nothing; decide again at ``until`` or at the next arrival or completion."""

    until: float | None = None


Decision = Dispatch | Wait


class BatchingPolicy(Protocol):
    """What the asyncio layer needs from a policy; plug your own in by name."""

    max_batch_size: int

    def on_arrival(self, now: float, items: int) -> None: ...

    def observe(self, items: int, seconds: float) -> None: ...

    def decide(self, now: float, queue: Sequence[Pending], idle_slots: int) -> Decision: ...

    def expected_seconds(self, items: int) -> float: ...


class CostModel:
    """Batch duration as ``fixed + per_item * items``, fitted online with forgetting.

    A weighted least-squares fit over the recent batches (older ones fade with
    ``1 - alpha`` per observation), so the model follows a service that warms up or
    slows down. With only one batch size seen, the slope is unknown and taken as zero.
    """

    def __init__(self, alpha: float = 0.05) -> None:
        self.alpha = alpha
        self.samples = 0
        self._w = self._x = self._y = self._xx = self._xy = 0.0

    def observe(self, items: int, seconds: float) -> None:
        keep = 1.0 - self.alpha
        self._w = self._w * keep + 1.0
        self._x = self._x * keep + items
        self._y = self._y * keep + seconds
        self._xx = self._xx * keep + items * items
        self._xy = self._xy * keep + items * seconds
        self.samples += 1

    @property
    def ready(self) -> bool:
        return self.samples > 0

    @property
    def coefficients(self) -> tuple[float, float]:
        """(fixed seconds, seconds per item), both clamped at zero."""
        if not self.samples:
            return 0.0, 0.0
        spread = self._w * self._xx - self._x * self._x
        per_item = 0.0
        if spread > 1e-9 * max(1.0, self._w * self._xx):
            per_item = max(0.0, (self._w * self._xy - self._x * self._y) / spread)
        fixed = max(0.0, (self._y - per_item * self._x) / self._w)
        return fixed, per_item

    def predict(self, items: int) -> float:
        fixed, per_item = self.coefficients
        return fixed + per_item * items


class _ArrivalRate:
    """Items per second, an exponentially decaying average over ``horizon`` seconds."""

    def __init__(self, horizon: float = 0.5) -> None:
        self.horizon = horizon
        self._rate = 0.0
        self._last: float | None = None

    def add(self, now: float, items: int) -> None:
        self._rate = self.at(now) + items / self.horizon
        self._last = now

    def at(self, now: float) -> float:
        if self._last is None:
            return 0.0
        return self._rate * math.exp(-max(0.0, now - self._last) / self.horizon)


class AdaptivePolicy:
    """Dispatch when full, when waiting would break the latency budget, or when waiting
    is not expected to fill the batch any further.

    With a free slot and ``n`` items queued, the policy predicts how many items will
    arrive while one batch runs (arrival rate times predicted batch time). If that is no more
    than ``n``, waiting cannot make the runner more efficient, so the batch leaves now;
    otherwise it waits for the missing items, but never past the moment when the oldest
    request could no longer be answered within ``max_latency_s`` (or its own deadline).
    """

    def __init__(
        self, max_batch_size: int = 100, max_latency_s: float = 1.0, *, horizon: float = 0.5
    ) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, not {max_batch_size}")
        if max_latency_s <= 0:
            raise ValueError(f"max_latency_ms must be positive, not {max_latency_s * 1000:g}")
        self.max_batch_size = max_batch_size
        self.max_latency_s = max_latency_s
        self.cost = CostModel()
        self._arrivals = _ArrivalRate(horizon)

    def on_arrival(self, now: float, items: int) -> None:
        self._arrivals.add(now, items)

    def observe(self, items: int, seconds: float) -> None:
        self.cost.observe(items, seconds)

    def expected_seconds(self, items: int) -> float:
        return self.cost.predict(items)

    def decide(self, now: float, queue: Sequence[Pending], idle_slots: int) -> Decision:
        if not queue or idle_slots <= 0:
            return Wait()
        queued = sum(p.size for p in queue)
        items = min(queued, self.max_batch_size)
        if items >= self.max_batch_size:
            return Dispatch(items)
        run_time = self.cost.predict(items)
        included = _covering(queue, items)
        budget_end = min(queue[0].arrived + self.max_latency_s, min(p.deadline for p in included))
        latest_start = budget_end - run_time
        if now >= latest_start or not self.cost.ready:
            return Dispatch(items)
        rate = self._arrivals.at(now)
        expected = min(rate * run_time, float(self.max_batch_size))
        if expected <= items or rate <= 0.0:
            return Dispatch(items)
        gather = (expected - items) / rate
        return Wait(until=min(latest_start, now + gather))


class GreedyPolicy:
    """Dispatch whatever is queued as soon as a slot is free (no waiting at all)."""

    def __init__(self, max_batch_size: int = 100, max_latency_s: float = 1.0) -> None:
        self.max_batch_size = max_batch_size
        self.max_latency_s = max_latency_s
        self.cost = CostModel()

    def on_arrival(self, now: float, items: int) -> None:
        pass

    def observe(self, items: int, seconds: float) -> None:
        self.cost.observe(items, seconds)

    def expected_seconds(self, items: int) -> float:
        return self.cost.predict(items)

    def decide(self, now: float, queue: Sequence[Pending], idle_slots: int) -> Decision:
        if not queue or idle_slots <= 0:
            return Wait()
        return Dispatch(min(sum(p.size for p in queue), self.max_batch_size))


def _covering(queue: Sequence[Pending], items: int) -> list[Pending]:
    """The queued requests that the first ``items`` items come from."""
    covered: list[Pending] = []
    for pending in queue:
        if items <= 0:
            break
        covered.append(pending)
        items -= pending.size
    return covered


def plan_batch(sizes: Sequence[int], items: int) -> list[tuple[int, int]]:
    """Which requests a batch of ``items`` takes, FIFO: ``(queue index, item count)``.

    Whole requests while they fit; the request that does not fit is split, its first
    part in this batch and the rest left at the head of the queue.

    >>> plan_batch([3, 5, 2], 6)
    [(0, 3), (1, 3)]
    """
    plan: list[tuple[int, int]] = []
    room = items
    for index, size in enumerate(sizes):
        if room <= 0:
            break
        take = min(size, room)
        if take > 0:
            plan.append((index, take))
        room -= take
    return plan


PolicyFactory = Callable[[int, float], BatchingPolicy]

_POLICIES: dict[str, PolicyFactory] = {
    "adaptive": AdaptivePolicy,
    "greedy": GreedyPolicy,
}


def register_batching_policy(name: str, factory: PolicyFactory) -> None:
    """Make ``factory(max_batch_size, max_latency_s)`` available as ``batching_policy=name``.

    Example::

        register_batching_policy("fixed-wait", lambda size, latency: MyPolicy(size, latency))
        runner = dosirak.Runner(Model, batching_policy="fixed-wait")
    """
    _POLICIES[name] = factory


def batching_policy(name: str, max_batch_size: int, max_latency_s: float) -> BatchingPolicy:
    """A new policy of the registered kind ``name``."""
    try:
        factory = _POLICIES[name]
    except KeyError:
        raise ValueError(
            f"unknown batching policy {name!r}; registered: {sorted(_POLICIES)}"
        ) from None
    return factory(max_batch_size, max_latency_s)
