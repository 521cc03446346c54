"""The hand-written server, its module also declaring W3's body as a pydantic model.

A startup reference only (`bench/run.py` measures nothing else of it): what any server pays
whose code declares one pydantic model (importing pydantic and building the model), and
nothing more. dosirak's services declare their JSON bodies so (bench/services/).
"""

from __future__ import annotations

from handwritten import app
from pydantic import BaseModel

__all__ = ["Order", "app"]


class Order(BaseModel):
    id: int
    customer: str
    quantity: int
    price: float
    tags: list[str]
