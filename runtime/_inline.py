"""Where a sync API function runs: on the event loop while it proves cheap, else in threads.

A thread hop costs tens of microseconds each way, more than a small model's whole call;
FastAPI and BentoML pay it on every request. A function whose calls keep finishing under
``threshold_s`` runs inline instead, as a hand-written handler would. Judged over windows
of calls, so that a busy machine's occasional slow measurement does not keep a cheap
function in the thread pool: 90 % of a window under the threshold promotes it. Inline,
three calls over twice the threshold within 64 calls send it back (one may be the machine),
and it must then prove itself over twice as many calls, so a function that is often slow
settles in the thread pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["DEFAULT_INLINE_THRESHOLD_S", "InlineJudge", "adjust_inline_cost"]

T = TypeVar("T")
_ledger = threading.local()

#: Calls shorter than this may run on the event loop (the loop stalls about this long).
DEFAULT_INLINE_THRESHOLD_S = 0.001
_WINDOW = 32
_SHARE_FAST = 0.9
_SLOW_INLINE = 3


class InlineJudge:
    """Says whether the next call of one function may run inline, from its past calls.

    Example::

        judge = InlineJudge()
        for _ in range(32):
            judge.record(0.00005, inline=False)
        judge.inline  # True
    """

    __slots__ = ("_calls", "_fast", "_window", "inline", "threshold_s")

    def __init__(self, threshold_s: float = DEFAULT_INLINE_THRESHOLD_S) -> None:
        self.threshold_s = threshold_s
        self.inline = False
        self._window = _WINDOW
        self._calls = 0
        self._fast = 0

    def record(self, seconds: float, *, inline: bool) -> None:
        if self.inline:
            # Inline, the counters count slow calls within a window: a lone slow call may
            # be the machine (preemption, a GC pause), a few are the function.
            self._calls += 1
            if seconds > 2 * self.threshold_s:
                self._fast += 1
                if self._fast >= _SLOW_INLINE:
                    self.inline = False
                    self._window = min(self._window * 2, 1 << 20)
                    self._calls = self._fast = 0
                    return
            if self._calls >= 2 * _WINDOW:
                self._calls = self._fast = 0
            return
        if inline or self.threshold_s <= 0:
            return
        self._calls += 1
        if seconds <= self.threshold_s:
            self._fast += 1
        if self._calls >= self._window:
            self.inline = self._fast >= _SHARE_FAST * self._calls
            self._calls = self._fast = 0  # from now on: slow inline calls in a window

    def run_inline(self, func: Callable[[], T]) -> T:
        """Call ``func`` on this (the event loop's) thread, timing it."""
        started = time.perf_counter()
        try:
            return func()
        finally:
            self.record(time.perf_counter() - started, inline=True)

    def run_timed(self, func: Callable[[], T]) -> T:
        """Call ``func`` in a worker thread, timing what it would have cost inline."""
        _ledger.adjust = 0.0
        started = time.perf_counter()
        try:
            return func()
        finally:
            cost = time.perf_counter() - started + _ledger.adjust
            self.record(cost, inline=False)


def adjust_inline_cost(seconds: float) -> None:
    """Correct the current worker thread's call cost by ``seconds``.

    A batched runner call from a worker thread waits for its batch; inline, the same call
    would have run the model directly. The runner takes the wait off and puts the model's
    predicted cost on.
    """
    _ledger.adjust = getattr(_ledger, "adjust", 0.0) + seconds
