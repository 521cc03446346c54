"""dosirak's side of the bench: the three workloads, written as the seed tutorial writes APIs.

W1 and W2 go through a runner (``runner.method.run``) from sync APIs, as users of the
seed do; the runner's model is the iris nearest-centroid model of samples/iris/service.py.
Served by ``uvicorn dosirak.runtime.server:create_app --factory`` with
``DOSIRAK_SERVE_TARGET`` naming this file (the bench does it).
"""

from __future__ import annotations

import threading
import time

import numpy as np
from pydantic import BaseModel

import dosirak
from dosirak.io import Json, NumpyNdarray

# The iris nearest-centroid model of samples/iris/service.py (centroids copied).
CENTROIDS = np.array(
    [[5.006, 3.428, 1.462, 0.246], [5.936, 2.770, 4.260, 1.326], [6.588, 2.974, 5.552, 2.026]],
    dtype=np.float64,
)


class BenchModel(dosirak.Runnable):
    """Nearest centroid for W1, row sums for W2."""

    SUPPORTED_RESOURCES = ("cpu",)
    SUPPORTS_CPU_MULTI_THREADING = True

    def __init__(self, centroids: np.ndarray) -> None:
        self.centroids = np.asarray(centroids, dtype=np.float64)

    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    def predict(self, x: np.ndarray) -> np.ndarray:
        distances = ((x[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
        classes: np.ndarray = np.argmin(distances, axis=1).astype(np.int64)
        return classes

    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    def row_sums(self, x: np.ndarray) -> np.ndarray:
        sums: np.ndarray = x.sum(axis=1)
        return sums


class FixedCost(dosirak.Runnable):
    """W4: 10 ms per call whatever the batch size, one call at a time (a device)."""

    def __init__(self, cost_s: float) -> None:
        self.cost_s = cost_s
        self.device = threading.Lock()

    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    def predict(self, x: np.ndarray) -> np.ndarray:
        with self.device:
            time.sleep(self.cost_s)
            return np.zeros(len(x), dtype=np.int64)


model = dosirak.Runner(BenchModel, name="bench_model", init_params={"centroids": CENTROIDS})
fixed = dosirak.Runner(
    FixedCost, name="fixed_cost", init_params={"cost_s": 0.010}, max_batch_size=128
)
svc = dosirak.Service("bench", runners=[model, fixed])


class Order(BaseModel):
    id: int
    customer: str
    quantity: int
    price: float
    tags: list[str]


@svc.api(
    input=NumpyNdarray(dtype="float64", shape=(-1, 4), enforce_shape=True),
    output=NumpyNdarray(dtype="int64"),
)
def classify(rows: np.ndarray) -> np.ndarray:
    """W1: rows of four measurements -> the nearest centroid's class per row."""
    return model.predict.run(rows)  # type: ignore[no-any-return]


@svc.api(
    input=NumpyNdarray(dtype="float64", shape=(-1, -1), enforce_shape=True),
    output=NumpyNdarray(dtype="float64"),
)
def row_sums(rows: np.ndarray) -> np.ndarray:
    """W2: a 2-d float64 array (JSON or application/x-npy) -> the sum of each row."""
    return model.row_sums.run(rows)  # type: ignore[no-any-return]


@svc.api(input=Json(pydantic_model=Order), output=Json(pydantic_model=Order))
def order(body: Order) -> Order:
    """W3: an order echoed with its quantity doubled."""
    return body.model_copy(update={"quantity": body.quantity * 2})


@svc.api(
    input=NumpyNdarray(dtype="float64", shape=(-1, 4), enforce_shape=True),
    output=NumpyNdarray(dtype="int64"),
)
async def fixed_cost(rows: np.ndarray) -> np.ndarray:
    """W4: the fixed-cost model through the runner's adaptive batching."""
    return await fixed.predict.async_run(rows)  # type: ignore[no-any-return]
