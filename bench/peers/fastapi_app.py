"""The FastAPI peer: the three workloads as a FastAPI user writes them.

Idiomatic FastAPI: typed parameters validated by pydantic, default JSON responses,
``async def`` handlers calling the model inline (it takes microseconds).
Run: ``uvicorn fastapi_app:app`` from this folder (the bench does it).
"""

from __future__ import annotations

import numpy as np
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

# The iris nearest-centroid model of samples/iris/service.py (centroids copied).
CENTROIDS = np.array(
    [[5.006, 3.428, 1.462, 0.246], [5.936, 2.770, 4.260, 1.326], [6.588, 2.974, 5.552, 2.026]],
    dtype=np.float64,
)

app = FastAPI(title="bench")


class Order(BaseModel):
    id: int
    customer: str
    quantity: int
    price: float
    tags: list[str]


@app.post("/classify")
async def classify(rows: list[list[float]]) -> list[int]:
    """W1: rows of four measurements -> the nearest centroid's class per row."""
    x = np.asarray(rows, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 4:
        raise HTTPException(422, f"expected rows of 4 numbers, received shape {x.shape}")
    distances = ((x[:, None, :] - CENTROIDS[None, :, :]) ** 2).sum(axis=2)
    return np.argmin(distances, axis=1).tolist()  # type: ignore[no-any-return]


@app.post("/row_sums")
async def row_sums(rows: list[list[float]]) -> list[float]:
    """W2: a 2-d float64 array -> the sum of each row."""
    return np.asarray(rows, dtype=np.float64).sum(axis=1).tolist()  # type: ignore[no-any-return]


@app.post("/order")
async def order(body: Order) -> Order:
    """W3: an order echoed with its quantity doubled."""
    return body.model_copy(update={"quantity": body.quantity * 2})
