"""The asyncio layer of adaptive batching: one `Batcher` per batchable runner method.

It keeps a bounded FIFO queue, asks its policy (`dosirak.runtime._batching`) what to do
whenever something changes, joins the chosen items into one call (requests that cannot be
joined with the first of a batch keep their places for a later one), and hands each caller
its slice of the result. Back-pressure: a full queue answers 503 with ``Retry-After``; a
caller whose deadline passes gets 504 and its items leave the queue (a batch already
running finishes for the others).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from . import _batch_data as data
from . import _metrics as metrics
from ._batching import (
    AdaptivePolicy,
    BatchingPolicy,
    Dispatch,
    GreedyPolicy,
    Pending,
    PendingQueue,
    Wait,
    plan_batch,
)
from .errors import GatewayTimeout, ServiceUnavailable

__all__ = ["Batcher"]

BatchCall = Callable[[tuple[Any, ...]], Awaitable[Any]]


class _Entry:
    """One caller's request while it is queued or running."""

    __slots__ = (
        "args",
        "arrived",
        "deadline",
        "dispatched",
        "done",
        "future",
        "late",
        "pending",
        "pieces",
        "size",
    )

    def __init__(
        self,
        args: tuple[Any, ...],
        size: int,
        arrived: float,
        deadline: float,
        future: asyncio.Future[Any],
    ) -> None:
        self.args = args
        self.size = size
        self.arrived = arrived
        self.deadline = deadline
        self.future = future
        self.dispatched = 0  # items already sent in a batch
        # What the policy sees of it, made once (and again if a batch takes part of it).
        self.pending = Pending(size, arrived, deadline)
        self.done = 0  # items already answered
        self.pieces: list[tuple[int, Any]] = []  # (first item, result slice)
        self.late = False  # its deadline passed before its answer was ready


class _Queue(PendingQueue):
    """The batcher's FIFO of entries, seen by the policy as their `Pending` views; the
    item count and the earliest deadline are kept as entries come and go."""

    __slots__ = ("_earliest", "_items", "_stale", "entries")

    def __init__(self) -> None:
        self.entries: deque[_Entry] = deque()
        self._items = 0  # items not yet dispatched
        self._earliest = math.inf
        self._stale = False  # an entry with the earliest deadline left: find it again

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [entry.pending for entry in list(self.entries)[index]]
        return self.entries[index].pending

    def __iter__(self) -> Iterator[Pending]:
        return (entry.pending for entry in self.entries)

    @property
    def items(self) -> int:
        return self._items

    @property
    def earliest_deadline(self) -> float:
        if self._stale:
            self._earliest = min((entry.deadline for entry in self.entries), default=math.inf)
            self._stale = False
        return self._earliest

    def append(self, entry: _Entry) -> None:
        self.entries.append(entry)
        self._items += entry.size
        if entry.deadline < self._earliest:
            self._earliest = entry.deadline

    def _left(self, entry: _Entry) -> None:
        if entry.deadline <= self._earliest:
            self._stale = True

    def dispatched(self, items: int, *, scattered: bool = False) -> None:
        """``items`` of the queued ones went into a batch; entries all sent leave.

        ``scattered``: the batch skipped entries, so those it took may be anywhere in the
        queue, not only at its head.
        """
        self._items -= items
        entries = self.entries
        while entries and entries[0].dispatched == entries[0].size:
            self._left(entries.popleft())
        if scattered:
            kept = [entry for entry in entries if entry.dispatched < entry.size]
            for entry in entries:
                if entry.dispatched == entry.size:
                    self._left(entry)
            entries.clear()
            entries.extend(kept)

    def remove(self, entry: _Entry) -> None:
        """``entry`` leaves with the items it had not yet sent."""
        self.entries.remove(entry)
        self._items -= entry.size - entry.dispatched
        self._left(entry)


class Batcher:
    """Batches the calls of one method; lives in (and must be used from) one event loop."""

    def __init__(
        self,
        label: tuple[str, str],
        call: BatchCall,
        policy: BatchingPolicy,
        *,
        in_dim: int = 0,
        out_dim: int = 0,
        slots: int = 1,
        max_queue_items: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.runner, self.method = label
        self._call = call
        self.policy = policy
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.slots = slots
        self.max_queue_items = max_queue_items or policy.max_batch_size * 100
        self._clock = clock
        self._queue = _Queue()
        self._busy = 0
        # Decisions run as loop callbacks: one soon after whatever changed the queue (many
        # arrivals in one pass of the loop make one decision), one when the policy's wait
        # ends. No task is woken per arrival.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._decision: asyncio.Handle | None = None
        self._wait_timer: asyncio.TimerHandle | None = None
        self._wait_until = math.inf
        self._idle = asyncio.Event()
        self._idle.set()
        self._running: set[asyncio.Task[None]] = set()
        self._closed = False
        self._report_depth = metrics.watch_queue(
            self.runner, self.method, lambda: self._queue.items
        )
        # Deadlines: one heap and one timer for the earliest, not a timer per request
        # (the event loop's timer heap compares handles in Python). Finished entries
        # leave the heap lazily; it is rebuilt when they outnumber the waiting ones.
        self._deadlines: list[tuple[float, int, _Entry]] = []
        self._order = itertools.count()
        self._deadline_timer: asyncio.TimerHandle | None = None
        self._armed_for = math.inf
        self._waiting = 0  # callers inside submit()
        self._spent: asyncio.Future[Any] | None = None
        # An upper bound of the wait per queued full batch, refreshed after each batch,
        # so that admission needs the cost model only near a deadline.
        self._full_batch_seconds = 0.0
        # Only the built-in policies' costs are known to grow with the batch, as that
        # bound needs; another policy's wait is always computed.
        self._linear_cost = isinstance(policy, (AdaptivePolicy, GreedyPolicy))

    def _depth_changed(self) -> None:
        if self._report_depth is not None:
            self._report_depth()

    @property
    def queued_items(self) -> int:
        return self._queue.items

    def expected_wait(self) -> float:
        """Seconds until what is queued now has run, by the policy's cost model."""
        full = self.policy.max_batch_size
        batches, rest = divmod(self._queue.items, full)
        seconds = batches * self.policy.expected_seconds(full)
        if rest:
            seconds += self.policy.expected_seconds(rest)
        return seconds / max(1, self.slots)

    async def submit(self, args: tuple[Any, ...], deadline: float = math.inf) -> Any:
        """The method's result for ``args`` (one request), computed in some batch."""
        if self._closed:
            raise ServiceUnavailable(
                f"runner {self.runner!r} is shutting down", headers={"Retry-After": "1"}
            )
        if not args:
            raise TypeError(f"{self.runner}.{self.method}: a batchable method needs an argument")
        size = data.batch_size(args[0], self.in_dim)
        for other in args[1:]:
            if data.batch_size(other, self.in_dim) != size:
                raise data.BatchValueError(
                    "arguments with different batch sizes", other, self.in_dim
                )
        if size == 0:
            return await self._call(args)
        now = self._clock()
        if self._queue.items:
            # Back-pressure at the door: a full queue, or one that (by the cost model)
            # cannot be worked off before this request's deadline, answers 503 now rather
            # than 504 later.
            full = self._queue.items + size > self.max_queue_items
            batches = self._queue.items // self.policy.max_batch_size + 1
            bound = batches * self._full_batch_seconds / max(1, self.slots)
            reason = ""
            if full or not self._linear_cost or now + bound > deadline:
                wait = self.expected_wait()
                if full:
                    reason = f"its limit is {self.max_queue_items}"
                elif now + wait > deadline:
                    reason = f"working them off takes about {wait:.2f} s, past the deadline"
            if reason:
                metrics.rejected(self.runner, self.method)
                raise ServiceUnavailable(
                    f"runner {self.runner!r} has {self._queue.items} items queued for "
                    f"{self.method!r}, {reason}; retry later",
                    headers={"Retry-After": str(max(1, math.ceil(wait)))},
                )
        if deadline <= now:
            raise GatewayTimeout("the request's deadline passed before it reached the runner")
        loop = self._loop = asyncio.get_running_loop()
        entry = _Entry(args, size, now, deadline, loop.create_future())
        self._queue.append(entry)
        self._depth_changed()
        self._idle.clear()
        self.policy.on_arrival(now, size)
        self._decide_soon()
        if deadline != math.inf:
            self._watch_deadline(entry, now)
        self._waiting += 1
        try:
            return await entry.future
        except asyncio.CancelledError:
            if entry.late:
                metrics.deadline_exceeded(self.runner, self.method)
                raise GatewayTimeout(
                    f"the request's deadline passed while runner {self.runner!r} worked on it"
                ) from None
            self._abandon(entry)  # the request itself was cancelled
            raise
        finally:
            self._waiting -= 1
            if entry.dispatched < entry.size:
                self._abandon(entry)  # failed with items still queued: they leave with it
            # The deadline heap may hold the entry a while longer: not its arrays, nor its
            # result.
            entry.args = ()
            entry.pieces = []
            if self._spent is None:  # one finished future stands in for all (one loop)
                self._spent = loop.create_future()
                self._spent.cancel()
            entry.future = self._spent

    def _watch_deadline(self, entry: _Entry, now: float) -> None:
        heap = self._deadlines
        if len(heap) > 2 * self._waiting + 64:
            heap[:] = [item for item in heap if not item[2].future.done()]
            heapq.heapify(heap)
        heapq.heappush(heap, (entry.deadline, next(self._order), entry))
        if entry.deadline < self._armed_for:
            self._arm(entry.deadline, now)

    def _arm(self, deadline: float, now: float) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
        self._armed_for = deadline
        loop = asyncio.get_running_loop()
        self._deadline_timer = loop.call_later(max(0.0, deadline - now), self._expire)

    def _expire(self) -> None:
        """Fail the callers whose deadline passed; wait for the next deadline."""
        self._deadline_timer = None
        self._armed_for = math.inf
        now = self._clock()
        heap = self._deadlines
        while heap and (heap[0][0] <= now or heap[0][2].future.done()):
            entry = heapq.heappop(heap)[2]
            if not entry.future.done():
                entry.late = True
                self._abandon(entry)
        if heap:
            self._arm(heap[0][0], now)

    def _abandon(self, entry: _Entry) -> None:
        left = entry.size - entry.dispatched
        if left and entry in self._queue.entries:
            self._queue.remove(entry)
            self._depth_changed()
            self._decide_soon()
        if not entry.future.done():
            entry.future.cancel()

    def _decide_soon(self) -> None:
        """Ask the policy again in the loop's next pass (once, whatever asked meanwhile)."""
        if self._decision is None and self._loop is not None:
            self._decision = self._loop.call_soon(self._decide)

    def _decide(self) -> None:
        """Start what the policy dispatches; keep its wait's end as a timer."""
        self._decision = None
        queue = self._queue
        try:
            while queue and self._busy < self.slots:
                decision = self.policy.decide(self._clock(), queue, self.slots - self._busy)
                if isinstance(decision, Dispatch) and decision.items > 0:
                    self._start_batch(decision.items)
                    continue
                if isinstance(decision, Wait) and decision.until is not None:
                    self._wake_at(decision.until)
                break
        except Exception as exc:
            # A policy that fails (a plugged-in one's bug) places nothing: the callers
            # queued get its failure now, not a 504 at their deadline.
            for entry in queue.entries:
                if not entry.future.done():
                    entry.future.set_exception(exc)
        if not queue and not self._busy:
            self._idle.set()

    def _wake_at(self, until: float) -> None:
        # A timer due sooner stays: it leads to a decision that re-arms this one.
        if self._wait_timer is not None:
            if self._wait_until <= until:
                return
            self._wait_timer.cancel()
        self._wait_until = until
        self._wait_timer = asyncio.get_running_loop().call_later(
            max(0.0, until - self._clock()), self._waited
        )

    def _waited(self) -> None:
        self._wait_timer = None
        self._wait_until = math.inf
        self._decide()

    def _start_batch(self, items: int) -> None:
        queue = self._queue.entries
        # The batch takes the first request and those after it that can be joined with it
        # (arrays of its dtype and shape apart from the batch dimension), in order; the
        # others keep their places for a later batch.
        key = data.join_key(queue[0].args, self.in_dim)
        joining: list[_Entry] = []
        skipped = False

        def sizes() -> Iterator[int]:
            nonlocal skipped
            for entry in queue:
                if joining and data.join_key(entry.args, self.in_dim) != key:
                    skipped = True
                    continue
                joining.append(entry)
                yield entry.size - entry.dispatched

        parts = [
            (joining[index], joining[index].dispatched, count)
            for index, count in plan_batch(sizes(), items)
        ]
        taken = 0
        for entry, _, count in parts:
            taken += count
            entry.dispatched += count
            if entry.dispatched < entry.size:  # split: the rest keeps its place
                entry.pending = Pending(
                    entry.size - entry.dispatched, entry.arrived, entry.deadline
                )
        self._queue.dispatched(taken, scattered=skipped)
        self._depth_changed()
        self._busy += 1
        task = asyncio.get_running_loop().create_task(self._execute(parts, taken))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    def _batch_args(self, parts: list[tuple[_Entry, int, int]]) -> tuple[Any, ...]:
        return tuple(
            data.concat(
                [
                    e.args[i]  # a whole request (most are): no slicing
                    if count == e.size
                    else data.take(e.args[i], start, start + count, self.in_dim)
                    for e, start, count in parts
                ],
                self.in_dim,
            )
            for i in range(len(parts[0][0].args))
        )

    async def _execute(self, parts: list[tuple[_Entry, int, int]], items: int) -> None:
        started = self._clock()
        try:
            # Joined here, so that inputs that still cannot be joined fail their callers
            # as a failed batch does.
            result = await self._call(self._batch_args(parts))
            entry, start, count = parts[0]
            if len(parts) == 1 and start == 0 and count == entry.size:
                # One whole request: its result is its own, whatever its length (a method
                # may answer an empty array for an odd input, as it would unbatched).
                pieces = [result]
            else:
                pieces = data.split(result, [count for _, _, count in parts], self.out_dim)
        except BaseException as exc:  # each caller of the batch gets the failure
            for entry, _, _ in parts:
                if not entry.future.done():
                    entry.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
            return
        finally:
            self._busy -= 1
            self._decide_soon()
        elapsed = self._clock() - started
        self.policy.observe(items, elapsed)
        self._full_batch_seconds = self.policy.expected_seconds(self.policy.max_batch_size)
        metrics.batch_done(self.runner, self.method, items, elapsed)
        for (entry, start, count), piece in zip(parts, pieces, strict=True):
            if count == entry.size:  # the whole request was in this batch (most are)
                if not entry.future.done():
                    entry.future.set_result(piece)
                continue
            entry.pieces.append((start, piece))
            entry.done += count
            if entry.done == entry.size and not entry.future.done():
                entry.pieces.sort(key=lambda p: p[0])
                entry.future.set_result(data.concat([p for _, p in entry.pieces], self.out_dim))

    async def drain(self) -> None:
        """Refuse new requests, finish every queued and running batch, then stop."""
        self._closed = True
        while self._queue or self._busy:
            self._idle.clear()
            self._decide_soon()
            await self._idle.wait()
        for handle in (self._decision, self._wait_timer):
            if handle is not None:
                handle.cancel()
        self._decision = self._wait_timer = None
        self._wait_until = math.inf
