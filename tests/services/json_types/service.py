"""Test-only: Json with types other than a single model (lists, unions, maps)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

import dosirak
from dosirak.io import Json

svc = dosirak.Service("json_types")


class Item(BaseModel):
    name: str
    price: float = Field(ge=0)


class Refund(BaseModel):
    kind: Literal["refund"]
    amount: float


class Receipt(BaseModel):
    total: float
    items: list[Item]


@svc.api(input=Json(pydantic_model=list[Item]), output=Json(pydantic_model=Receipt))
def checkout(items: list[Item]) -> Receipt:
    assert all(isinstance(item, Item) for item in items)  # the service's own class
    return Receipt(total=sum(item.price for item in items), items=items)


@svc.api(input=Json(pydantic_model=Item | Refund), output=Json(pydantic_model=dict[str, float]))
def classify(entry: Item | Refund) -> dict[str, float]:
    if isinstance(entry, Refund):
        return {"refund": entry.amount}
    return {entry.name: entry.price}


@svc.api(input=Json(pydantic_model=dict[str, float]), output=Json(pydantic_model=list[Item]))
def items_of(prices: dict[str, float]) -> list[dict[str, object]]:
    # Plain dicts that fit the declared output type are validated and sent.
    return [{"name": name, "price": price} for name, price in prices.items()]


@svc.api(input=Json(pydantic_model=list[int]), output=Json(pydantic_model=list[Item]))
def broken_output(numbers: list[int]) -> list[dict[str, object]]:
    return [{"name": "negative", "price": -1.0}]  # violates Field(ge=0): a 500, not sent
