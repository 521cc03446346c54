"""A runner in two worker processes, for black-box tests of placement and restarts."""

from __future__ import annotations

import os
import time

import numpy as np

import dosirak
from dosirak.io import NumpyNdarray

CALL_S = float(os.environ.get("WORKER_CALL_S", "0"))


class Probe(dosirak.Runnable):
    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    def pids(self, x: np.ndarray) -> np.ndarray:
        time.sleep(CALL_S)
        return np.full(len(x), os.getpid(), dtype=np.int64)

    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    def row_sums(self, x: np.ndarray) -> np.ndarray:
        return x.sum(axis=1)  # type: ignore[no-any-return]

    @dosirak.Runnable.method
    def crash(self, x: np.ndarray) -> np.ndarray:
        os._exit(3)  # a worker dying in the middle of a call (a segfault, the OOM killer)

    @dosirak.Runnable.method
    def fail(self, x: np.ndarray) -> np.ndarray:
        raise ValueError("the model refused")


probe = dosirak.Runner(Probe, name="probe", workers=2, max_batch_size=16)
svc = dosirak.Service("workers", runners=[probe])


@svc.api(input=NumpyNdarray(dtype="float64", shape=(-1, 4)), output=NumpyNdarray(dtype="int64"))
def pids(x: np.ndarray) -> np.ndarray:
    """Per row: the API server's pid and the pid of the runner worker that ran it."""
    runner_pids = probe.pids.run(x)
    return np.stack([np.full(len(x), os.getpid()), runner_pids], axis=1)


@svc.api(input=NumpyNdarray(dtype="float64", shape=(-1, -1)), output=NumpyNdarray(dtype="float64"))
async def row_sums(x: np.ndarray) -> np.ndarray:
    return await probe.row_sums.async_run(x)  # type: ignore[no-any-return]


@svc.api(input=NumpyNdarray(dtype="float64", shape=(-1, 4)), output=NumpyNdarray(dtype="int64"))
async def crash(x: np.ndarray) -> np.ndarray:
    return await probe.crash.async_run(x)  # type: ignore[no-any-return]


@svc.api(input=NumpyNdarray(dtype="float64", shape=(-1, 4)), output=NumpyNdarray(dtype="int64"))
async def fail(x: np.ndarray) -> np.ndarray:
    return await probe.fail.async_run(x)  # type: ignore[no-any-return]
