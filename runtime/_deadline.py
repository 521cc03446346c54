"""Each request's deadline, visible to the runners it calls (through a context variable)."""

from __future__ import annotations

import math
import time
from contextvars import ContextVar

__all__ = ["DEFAULT_REQUEST_TIMEOUT_S", "request_deadline", "seconds_left"]

#: Seconds from a request's arrival until runners give up on it (``dosirak serve --timeout``).
DEFAULT_REQUEST_TIMEOUT_S = 60.0

#: ``time.monotonic()`` by which the current request needs its answer.
request_deadline: ContextVar[float] = ContextVar("dosirak_request_deadline", default=math.inf)


def seconds_left() -> float:
    """Seconds until the current request's deadline (``inf`` outside a request)."""
    return request_deadline.get() - time.monotonic()
