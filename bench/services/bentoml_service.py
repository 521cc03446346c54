"""BentoML's side of the bench: the workloads in the BentoML 1.0 API the seed teaches.

The same code as ``dosirak_service.py`` with the import changed: a ``Service`` with runners,
sync APIs calling ``runner.method.run`` (W1, W2), a pydantic ``JSON`` echo (W3) and an
async API awaiting a batchable runner with ``max_batch_size=128`` (W4). BentoML 1.4 keeps
that API under ``bentoml.legacy`` (``bentoml.Service`` is now its new SDK); ``bentoml.io``
is unchanged. Served by ``bentoml serve bentoml_service:svc [--development]`` from this
folder (the bench does it, in a venv holding only BentoML).
"""

from __future__ import annotations

import threading
import time

import numpy as np
from bentoml.io import JSON, NumpyNdarray
from bentoml.legacy import Runnable, Runner, Service
from pydantic import BaseModel

# The iris nearest-centroid model of samples/iris/service.py (centroids copied).
CENTROIDS = np.array(
    [[5.006, 3.428, 1.462, 0.246], [5.936, 2.770, 4.260, 1.326], [6.588, 2.974, 5.552, 2.026]],
    dtype=np.float64,
)


class BenchModel(Runnable):
    """Nearest centroid for W1, row sums for W2."""

    SUPPORTED_RESOURCES = ("cpu",)
    # One runner worker, as dosirak's runner (BentoML would start one per CPU otherwise).
    SUPPORTS_CPU_MULTI_THREADING = True

    def __init__(self, centroids: np.ndarray) -> None:
        self.centroids = np.asarray(centroids, dtype=np.float64)

    @Runnable.method(batchable=True, batch_dim=0)
    def predict(self, x: np.ndarray) -> np.ndarray:
        distances = ((x[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
        classes: np.ndarray = np.argmin(distances, axis=1).astype(np.int64)
        return classes

    @Runnable.method(batchable=True, batch_dim=0)
    def row_sums(self, x: np.ndarray) -> np.ndarray:
        sums: np.ndarray = x.sum(axis=1)
        return sums


class FixedCost(Runnable):
    """W4: 10 ms per call whatever the batch size, one call at a time (a device)."""

    SUPPORTED_RESOURCES = ("cpu",)
    # One worker: one device (a worker per CPU would be two devices).
    SUPPORTS_CPU_MULTI_THREADING = True

    def __init__(self, cost_s: float) -> None:
        self.cost_s = cost_s
        self.device = threading.Lock()

    @Runnable.method(batchable=True, batch_dim=0)
    def predict(self, x: np.ndarray) -> np.ndarray:
        with self.device:
            time.sleep(self.cost_s)
            return np.zeros(len(x), dtype=np.int64)


# W2's 1000 rows exceed BentoML's default max_batch_size (100): BentoML 1.4.40 then splits
# the request, its dispatcher raises StopIteration while splitting (see the runner's log)
# and the request hangs until the client gives up. Room for 1000 rows avoids the split.
model = Runner(
    BenchModel,
    name="bench_model",
    runnable_init_params={"centroids": CENTROIDS},
    method_configs={"row_sums": {"max_batch_size": 1000}},
)
fixed = Runner(
    FixedCost, name="fixed_cost", runnable_init_params={"cost_s": 0.010}, max_batch_size=128
)
svc = Service("bench", runners=[model, fixed])


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
    """W2: a 2-d float64 array as JSON -> the sum of each row."""
    return model.row_sums.run(rows)  # type: ignore[no-any-return]


@svc.api(input=JSON(pydantic_model=Order), output=JSON(pydantic_model=Order))
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
