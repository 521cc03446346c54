"""Runners with a fixed cost per call, for black-box tests of batching and back-pressure.

`FixedCost.predict` sleeps a fixed time whatever the batch size (like a GPU kernel at low
occupancy) and reports, per row, how many rows its batch had.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time

import numpy as np

import dosirak
from dosirak.io import NumpyNdarray, Text

COST_S = float(os.environ.get("FIXED_COST_S", "0.01"))
SLOW_COST_S = float(os.environ.get("SLOW_COST_S", "0.3"))


class FixedCost(dosirak.Runnable):
    def __init__(self, cost_s: float) -> None:
        self.cost_s = cost_s

    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    def predict(self, x: np.ndarray) -> np.ndarray:
        time.sleep(self.cost_s)
        return np.full(len(x), len(x), dtype=np.int64)


fixed_runner = dosirak.Runner(
    FixedCost, name="fixed", init_params={"cost_s": COST_S}, max_batch_size=64,
    max_latency_ms=100,
)  # fmt: skip
other_runner = dosirak.Runner(
    FixedCost, name="other", init_params={"cost_s": COST_S}, max_batch_size=64,
    max_latency_ms=100,
)  # fmt: skip
slow_runner = dosirak.Runner(
    FixedCost, name="slow", init_params={"cost_s": SLOW_COST_S}, max_batch_size=2,
    max_queue_items=4, batching_policy="greedy",
)  # fmt: skip

svc = dosirak.Service("batching", runners=[fixed_runner, other_runner, slow_runner])


@svc.api(input=NumpyNdarray(dtype="float64", shape=(-1, 4)), output=NumpyNdarray(dtype="int64"))
def batch_sizes(x: np.ndarray) -> np.ndarray:
    """Each row answers with the size of the batch it ran in (a sync API)."""
    return fixed_runner.predict.run(x)  # type: ignore[no-any-return]


@svc.api(input=NumpyNdarray(dtype="float64", shape=(-1, -1)), output=NumpyNdarray(dtype="int64"))
async def any_width(x: np.ndarray) -> np.ndarray:
    """Rows of any width: only requests of one width can share a batch."""
    return await fixed_runner.predict.async_run(x)  # type: ignore[no-any-return]


@svc.api(input=NumpyNdarray(dtype="float64", shape=(-1, 4)), output=NumpyNdarray(dtype="int64"))
async def both(x: np.ndarray) -> np.ndarray:
    """The seed's pattern: one async API fanning out to two runners at once."""
    a, b = await asyncio.gather(
        fixed_runner.predict.async_run(x), other_runner.predict.async_run(x)
    )
    return np.stack([a, b], axis=1)


@svc.api(input=NumpyNdarray(dtype="float64", shape=(-1, 4)), output=NumpyNdarray(dtype="int64"))
async def slow(x: np.ndarray) -> np.ndarray:
    """A runner with a small queue and a long cost, to overload."""
    return await slow_runner.predict.async_run(x)  # type: ignore[no-any-return]


@svc.api(input=Text(), output=Text())
def where_cheap(_: str) -> str:
    """The name of the thread this call ran in (a cheap sync API: soon inline)."""
    return threading.current_thread().name


@svc.api(input=Text(), output=Text())
def where_slow(_: str) -> str:
    """The same for an API that takes 2 ms (stays in the thread pool)."""
    time.sleep(0.002)
    return threading.current_thread().name
