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

import abc
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

__all__ = [
    "AdaptivePolicy",
    "BatchingPolicy",
    "CostModel",
    "Decision",
    "Dispatch",
    "GreedyPolicy",
    "Pending",
    "PendingQueue",
    "Wait",
    "batching_policy",
    "plan_batch",
    "register_batching_policy",
]


class Pending(NamedTuple):
    """What the policy sees of one queued request: items not yet dispatched, and times."""

    size: int
    arrived: float
    deadline: float = math.inf


class PendingQueue(Sequence[Pending], abc.ABC):
    """The queue as a policy sees it, with its totals kept up to date as it changes.

    A policy decides at every arrival; walking the whole queue each time would make a
    batch of ``n`` requests cost ``n * n`` steps. The asyncio layer passes one of these,
    so a policy can read the totals in constant time; any other ``Sequence[Pending]``
    (the tests' lists) works too, walked by `queued_items` and `earliest_deadline`.
    """

    @property
    @abc.abstractmethod
    def items(self) -> int:
        """Items not yet dispatched, over the whole queue."""

    @property
    @abc.abstractmethod
    def earliest_deadline(self) -> float:
        """The earliest deadline in the queue (infinity when empty)."""


def queued_items(queue: Sequence[Pending]) -> int:
    """Items not yet dispatched in ``queue``."""
    if isinstance(queue, PendingQueue):
        return queue.items
    return sum(p.size for p in queue)


def earliest_deadline(queue: Sequence[Pending]) -> float:
    """The earliest deadline in ``queue`` (infinity when empty)."""
    if isinstance(queue, PendingQueue):
        return queue.earliest_deadline
    return min((p.deadline for p in queue), default=math.inf)


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
        # The fit, solved once per observation: predictions are made at every arrival.
        self._fixed = self._per_item = 0.0

    def observe(self, items: int, seconds: float) -> None:
        keep = 1.0 - self.alpha
        self._w = self._w * keep + 1.0
        self._x = self._x * keep + items
        self._y = self._y * keep + seconds
        self._xx = self._xx * keep + items * items
        self._xy = self._xy * keep + items * seconds
        self.samples += 1
        spread = self._w * self._xx - self._x * self._x
        per_item = 0.0
        if spread > 1e-9 * max(1.0, self._w * self._xx):
            per_item = max(0.0, (self._w * self._xy - self._x * self._y) / spread)
        self._per_item = per_item
        self._fixed = max(0.0, (self._y - per_item * self._x) / self._w)

    @property
    def ready(self) -> bool:
        return self.samples > 0

    @property
    def coefficients(self) -> tuple[float, float]:
        """(fixed seconds, seconds per item), both clamped at zero."""
        return self._fixed, self._per_item

    def predict(self, items: int) -> float:
        return self._fixed + self._per_item * items


class _ArrivalRate:
    """The arrival rate now: items per second from the recent gaps between arrivals.

    A mean of the last few gaps (per item) gives the rate while items keep coming; the
    time since the last arrival lowers it as soon as they stop, so a burst (clients coming
    back as a batch answers them) reads as fast while it lasts, and as over right after.
    """

    def __init__(self, weight: float = 0.2) -> None:
        self.weight = weight
        self.last: float | None = None
        self._gap: float | None = None
        self._burst_gap: float | None = None

    def add(self, now: float, items: int) -> None:
        # Called at every arrival: conditionals rather than min()/max() calls.
        last = self.last
        if last is not None:
            gap = now - last if now > last else 0.0
            if items > 1:
                gap /= items
            burst_gap = self._burst_gap
            if self._gap is None or burst_gap is None:
                self._gap = self._burst_gap = gap
            else:
                self._gap += self.weight * (gap - self._gap)
                # Within bursts: a pause between two moves this mean a little, not by its
                # whole length; a lasting slowdown still shows within a few arrivals.
                cap = 4 * burst_gap if 4 * burst_gap > 1e-4 else 1e-4
                capped = gap if gap < cap else cap
                self._burst_gap = burst_gap + self.weight * (capped - burst_gap)
        self.last = now

    def at(self, now: float) -> float:
        if self.last is None or self._gap is None:
            return 0.0
        return 1.0 / max(self._gap, now - self.last, 1e-9)

    @property
    def burst_gap(self) -> float | None:
        """The recent mean time between items while they keep coming (None: unknown)."""
        return self._burst_gap


class AdaptivePolicy:
    """Dispatch when full, when waiting would break the latency budget, or when waiting
    is not expected to fill the batch any further.

    With a free slot and ``n`` items queued, the policy predicts how many items will
    arrive while one batch runs (the current arrival rate times the predicted batch time).
    A batch of ``n`` now runs at ``n`` items per batch time; waiting pays only while more
    than ``n`` would come in that time (for a model whose cost is mostly fixed, this is the
    point where waiting starts to lower throughput). So the batch leaves when that
    prediction is no more than ``n``, which happens as soon as arrivals pause; and it never
    waits longer than one batch time, nor past the moment when the oldest request could no
    longer be answered within ``max_latency_s`` (or its own deadline).

    Callers answered by a batch often come straight back (clients that wait for each
    answer before sending the next request). Dispatching what queued meanwhile as soon as
    the slot is free would split them into two groups that take turns, each batch half
    full; so after a batch, while its callers' return is expected within one batch time
    (from the recent spacing of arrivals), the policy waits for them, and gives up as soon
    as they pause. Waiting for them costs less than running a second batch. Once as many
    items as that batch held have come back, the batch leaves at once: waiting on for
    arrivals to pause would only idle the model.
    """

    def __init__(self, max_batch_size: int = 100, max_latency_s: float = 1.0) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, not {max_batch_size}")
        if max_latency_s <= 0:
            raise ValueError(f"max_latency_ms must be positive, not {max_latency_s * 1000:g}")
        self.max_batch_size = max_batch_size
        self.max_latency_s = max_latency_s
        self.cost = CostModel()
        self._arrivals = _ArrivalRate()
        #: Items of the last batch whose callers have not (by count) come back yet, and
        #: when the policy first saw that batch finished.
        self._returning = 0
        self._returns_from: float | None = None
        #: The latest arrival brought back the last of the last batch's items (by count),
        #: and no batch has left since.
        self._all_back = False

    def on_arrival(self, now: float, items: int) -> None:
        returning = self._returning
        # True only while the latest arrival is the one that completed the returns.
        self._all_back = False
        if returning:
            last = self._arrivals.last
            # Callers of the last batch come back about one batch time after the arrivals
            # before it; after a longer quiet spell they are not coming (any more).
            if last is not None and now - last > 2 * self.cost.predict(returning):
                returning = 0
            else:
                self._all_back = returning <= items
        self._arrivals.add(now, items)
        self._returning = returning - items if returning > items else 0

    def observe(self, items: int, seconds: float) -> None:
        self.cost.observe(items, seconds)
        self._returning = items
        self._returns_from = None
        self._all_back = False

    def expected_seconds(self, items: int) -> float:
        return self.cost.predict(items)

    def decide(self, now: float, queue: Sequence[Pending], idle_slots: int) -> Decision:
        if not queue or idle_slots <= 0:
            return Wait()
        items = min(queued_items(queue), self.max_batch_size)
        if items >= self.max_batch_size:
            return Dispatch(items)
        run_time = self.cost.predict(items)
        # Not full, so the batch would take every queued request: the budget ends at the
        # oldest one's latency bound or the earliest deadline in the queue.
        budget_end = min(queue[0].arrived + self.max_latency_s, earliest_deadline(queue))
        if now >= budget_end - run_time or not self.cost.ready:
            return Dispatch(items)
        if self._all_back:
            self._all_back = False
            return Dispatch(items)
        back = self._returns_expected(now, items, budget_end)
        if back is not None:
            return back
        latest_start = min(budget_end - run_time, queue[0].arrived + run_time)
        if now >= latest_start:
            return Dispatch(items)
        rate = self._arrivals.at(now)
        if rate * run_time <= items:
            return Dispatch(items)
        # Decide again at the next arrival, or when the pause since the last one means
        # no more than ``items`` are still expected: last + run_time / items.
        last = self._arrivals.last if self._arrivals.last is not None else now
        return Wait(until=min(latest_start, max(now, last + run_time / items)))

    def _returns_expected(self, now: float, items: int, budget_end: float) -> Wait | None:
        """Wait for the last batch's callers, if they are expected back soon enough."""
        gap = self._arrivals.burst_gap
        if not self._returning or gap is None:
            return None
        if self._returns_from is None:
            self._returns_from = now
        last = self._arrivals.last if self._arrivals.last is not None else now
        since = max(last, self._returns_from)
        full = min(items + self._returning, self.max_batch_size)
        run_time = self.cost.predict(full)
        # Given up on after a pause longer than a few gaps (or a tenth of a batch: the
        # first answer takes a round trip before its caller can come back).
        pause = max(4 * gap, run_time / 10)
        back_by = since + self._returning * gap
        if now > since + pause or back_by > self._returns_from + run_time:
            self._returning = 0  # not coming back, or not soon enough to be worth it
            return None
        if now >= budget_end - run_time:
            return None  # a bigger batch would end past the budget
        return Wait(until=min(budget_end - run_time, since + pause))


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
        return Dispatch(min(queued_items(queue), self.max_batch_size))


def plan_batch(sizes: Iterable[int], items: int) -> list[tuple[int, int]]:
    """Which requests a batch of ``items`` takes, FIFO: ``(queue index, item count)``.

    Whole requests while they fit; the request that does not fit is split, its first
    part in this batch and the rest left at the head of the queue. ``sizes`` is read only
    as far as the batch reaches (a long queue is not walked to its end).

    >>> plan_batch([3, 5, 2], 6)
    [(0, 3), (1, 3)]
    """
    plan: list[tuple[int, int]] = []
    room = items
    for index, size in enumerate(sizes):
        take = size if size < room else room
        if take > 0:
            plan.append((index, take))
        room -= take
        if room <= 0:
            break
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
