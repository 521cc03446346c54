"""Each request's deadline, visible to the runners it calls (through a context variable)."""

from __future__ import annotations

import math
import time
from contextvars import ContextVar

__all__ = ["DEFAULT_REQUEST_TIMEOUT_S", "current_deadline", "request_deadline"]

#: Seconds a request may take, end to end, unless ``dosirak serve --timeout`` says otherwise.
DEFAULT_REQUEST_TIMEOUT_S = 60.0

#: ``time.monotonic()`` by which the current request needs its answer.
request_deadline: ContextVar[float] = ContextVar("dosirak_request_deadline", default=math.inf)


def current_deadline() -> float:
    """The current request's deadline (``inf`` outside a request: tests, notebooks)."""
    return request_deadline.get()


def seconds_left() -> float:
    return request_deadline.get() - time.monotonic()
