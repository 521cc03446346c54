"""The hand-written limit: plain Starlette routes, orjson, the model called inline.

What a careful engineer writes by hand for the three workloads, with the checks a
production handler needs (body parses, shape and types fit) and nothing more.
Run: ``uvicorn handwritten:app`` from this folder (the bench does it).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# The iris nearest-centroid model of samples/iris/service.py (centroids copied).
CENTROIDS = np.array(
    [[5.006, 3.428, 1.462, 0.246], [5.936, 2.770, 4.260, 1.326], [6.588, 2.974, 5.552, 2.026]],
    dtype=np.float64,
)


def _json(content: Any, status_code: int = 200) -> Response:
    return Response(
        orjson.dumps(content, option=orjson.OPT_SERIALIZE_NUMPY),
        status_code=status_code,
        media_type="application/json",
    )


def _error(message: str, status_code: int) -> Response:
    return _json({"error": message}, status_code)


async def _array(request: Request, columns: int | None) -> np.ndarray | Response:
    try:
        array = np.asarray(orjson.loads(await request.body()), dtype=np.float64)
    except (orjson.JSONDecodeError, ValueError, TypeError) as exc:
        return _error(f"not a numeric JSON array: {exc}", 400)
    if array.ndim != 2 or (columns is not None and array.shape[1] != columns):
        return _error(f"expected a 2-d array, received shape {array.shape}", 422)
    return array


async def classify(request: Request) -> Response:
    """W1: rows of four measurements -> the nearest centroid's class per row."""
    x = await _array(request, 4)
    if isinstance(x, Response):
        return x
    distances = ((x[:, None, :] - CENTROIDS[None, :, :]) ** 2).sum(axis=2)
    return _json(np.argmin(distances, axis=1))


async def row_sums(request: Request) -> Response:
    """W2: a 2-d float64 array -> the sum of each row."""
    x = await _array(request, None)
    if isinstance(x, Response):
        return x
    return _json(x.sum(axis=1))


# W4: a model that costs 10 ms per call whatever the batch size, one call at a time (a
# device), as in bench/services/dosirak_service.py. Without batching, ~100 calls/s at most.
FIXED_COST_S = 0.010
_DEVICE = threading.Lock()


def _fixed_cost_model(x: np.ndarray) -> np.ndarray:
    with _DEVICE:
        time.sleep(FIXED_COST_S)
        return np.zeros(len(x), dtype=np.int64)


async def fixed_cost(request: Request) -> Response:
    """W4: the fixed-cost model, called once per request in the thread pool."""
    x = await _array(request, 4)
    if isinstance(x, Response):
        return x
    return _json(await run_in_threadpool(_fixed_cost_model, x))


_ORDER_FIELDS = {"id": int, "customer": str, "quantity": int, "price": float, "tags": list}


async def order(request: Request) -> Response:
    """W3: an order echoed with its quantity doubled."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        return _error(f"not JSON: {exc}", 400)
    if not isinstance(body, dict):
        return _error("expected an object", 422)
    for name, kind in _ORDER_FIELDS.items():
        value = body.get(name)
        ok = isinstance(value, kind) and not isinstance(value, bool)
        if kind is float:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not ok:
            return _error(f"field {name!r} must be {kind.__name__}", 422)
    if not all(isinstance(tag, str) for tag in body["tags"]):
        return _error("field 'tags' must hold strings", 422)
    return _json(
        {
            "id": body["id"],
            "customer": body["customer"],
            "quantity": body["quantity"] * 2,
            "price": float(body["price"]),
            "tags": body["tags"],
        }
    )


app = Starlette(
    routes=[
        Route("/classify", classify, methods=["POST"]),
        Route("/row_sums", row_sums, methods=["POST"]),
        Route("/order", order, methods=["POST"]),
        Route("/fixed_cost", fixed_cost, methods=["POST"]),
    ]
)
