"""Runners on Ray, for black-box tests of the Ray placement (served with ``--ray``).

``probe`` asks for Ray itself (``placement="ray"``, two actors); ``doubler`` says nothing
and is on Ray only because the server was started with ``--ray``.
"""

from __future__ import annotations

import asyncio
import os

import numpy as np

import dosirak
from dosirak.exceptions import InvalidInput
from dosirak.io import NumpyNdarray


class Probe(dosirak.Runnable):
    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    def pids(self, x: np.ndarray) -> np.ndarray:
        return np.full(len(x), os.getpid(), dtype=np.int64)

    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    def row_sums(self, x: np.ndarray) -> np.ndarray:
        return x.sum(axis=1)  # type: ignore[no-any-return]

    @dosirak.Runnable.method
    def crash(self, x: np.ndarray) -> np.ndarray:
        os._exit(3)  # an actor dying in the middle of a call (a segfault, the OOM killer)

    @dosirak.Runnable.method
    def fail(self, x: np.ndarray) -> np.ndarray:
        raise ValueError("the model refused")

    @dosirak.Runnable.method
    def refuse(self, x: np.ndarray) -> np.ndarray:
        raise InvalidInput("the model takes no negative values")


class Doubler(dosirak.Runnable):
    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    def double(self, x: np.ndarray) -> np.ndarray:
        return x * 2  # type: ignore[no-any-return]

    @dosirak.Runnable.method
    def pid(self, x: np.ndarray) -> np.ndarray:
        return np.full(len(x), os.getpid(), dtype=np.int64)


probe = dosirak.Runner(Probe, name="probe", placement="ray", workers=2, max_batch_size=16)
doubler = dosirak.Runner(Doubler, name="doubler", resources={"cpu": 0.5})
svc = dosirak.Service("on_ray", runners=[probe, doubler])

ROWS = NumpyNdarray(dtype="float64", shape=(-1, 4))


@svc.api(input=ROWS, output=NumpyNdarray(dtype="int64"))
def pids(x: np.ndarray) -> np.ndarray:
    """Per row: the API server's pid, the probe actor's and the doubler actor's."""
    probe_pids = probe.pids.run(x)
    doubler_pids = doubler.pid.run(x)
    return np.stack([np.full(len(x), os.getpid()), probe_pids, doubler_pids], axis=1)


@svc.api(input=NumpyNdarray(dtype="float64", shape=(-1, -1)), output=NumpyNdarray(dtype="float64"))
async def row_sums(x: np.ndarray) -> np.ndarray:
    return await probe.row_sums.async_run(x)  # type: ignore[no-any-return]


@svc.api(input=ROWS, output=NumpyNdarray(dtype="float64"))
async def both(x: np.ndarray) -> np.ndarray:
    """The seed's pattern: two runners at once with asyncio.gather."""
    sums, doubled = await asyncio.gather(probe.row_sums.async_run(x), doubler.double.async_run(x))
    return np.concatenate([sums[:, None], doubled], axis=1)  # type: ignore[no-any-return]


@svc.api(input=ROWS, output=NumpyNdarray(dtype="int64"))
async def crash(x: np.ndarray) -> np.ndarray:
    return await probe.crash.async_run(x)  # type: ignore[no-any-return]


@svc.api(input=ROWS, output=NumpyNdarray(dtype="int64"))
async def fail(x: np.ndarray) -> np.ndarray:
    return await probe.fail.async_run(x)  # type: ignore[no-any-return]


@svc.api(input=ROWS, output=NumpyNdarray(dtype="int64"))
async def refuse(x: np.ndarray) -> np.ndarray:
    return await probe.refuse.async_run(x)  # type: ignore[no-any-return]
