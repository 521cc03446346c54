"""A test-only service exercising the `Json` and `Text` descriptors the way users write them.

Served by `tests/test_json_text_e2e.py` through ``dosirak serve``; not a sample.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

import dosirak
from dosirak.io import Json, Text


class Species(str, enum.Enum):
    SETOSA = "setosa"
    VERSICOLOR = "versicolor"
    VIRGINICA = "virginica"


class Measurement(BaseModel):
    """One flower, by the wire names a JavaScript client would send."""

    model_config = ConfigDict(populate_by_name=True)

    sepal_length: float = Field(alias="sepalLength", gt=0, le=100)
    sepal_width: float = Field(alias="sepalWidth", gt=0, le=100)


class LineItem(BaseModel):
    sku: str = Field(min_length=1, max_length=32, pattern=r"^[A-Z0-9-]+$")
    quantity: int = Field(default=1, ge=1)
    price: float = Field(ge=0)


class Order(BaseModel):
    """An order: line items, an optional note, a priority and when it was placed."""

    order_id: int = Field(ge=0)
    items: list[LineItem] = Field(min_length=1)
    note: str | None = None
    priority: Literal["low", "normal", "high"] = "normal"
    species: Species | None = None
    placed_at: dt.datetime
    tags: dict[str, str] = Field(default_factory=dict)
    measurement: Measurement | None = None


class OrderSummary(BaseModel):
    order_id: int
    total: float = Field(ge=0)
    item_count: int
    priority: Literal["low", "normal", "high"]
    placed_at: dt.datetime
    note: str | None = None


class Classified(BaseModel):
    species: Species
    confidence: float = Field(ge=0, le=1)


class Echo(BaseModel):
    """What `echo_context` answers."""

    text: str
    user_agent: str | None = None
    lang: str | None = None


svc = dosirak.Service("json_text_e2e", description="Json and Text descriptors, end to end.")


@svc.api(input=Json(pydantic_model=Order), output=Json(pydantic_model=OrderSummary))
def summarize(order: Order) -> OrderSummary:
    """Total an order (sync; returns the declared output model)."""
    total = sum(item.price * item.quantity for item in order.items)
    return OrderSummary(
        order_id=order.order_id,
        total=round(total, 6),
        item_count=sum(item.quantity for item in order.items),
        priority=order.priority,
        placed_at=order.placed_at,
        note=order.note,
    )


@svc.api(input=Json(pydantic_model=Measurement), output=Json(pydantic_model=Classified))
async def classify(measurement: Measurement) -> dict[str, Any]:
    """Classify one flower (async; returns a dict that fits the output model)."""
    await asyncio.sleep(0)
    species = Species.SETOSA if measurement.sepal_length < 5.5 else Species.VIRGINICA
    return {"species": species.value, "confidence": 0.75}


@svc.api(input=Json(), output=Json())
def echo_json(value: Any) -> Any:
    """Any JSON value, returned as received."""
    return value


@svc.api(input=Text(), output=Text())
def shout(text: str) -> str:
    """Upper-case the text (sync)."""
    return text.upper()


@svc.api(input=Text(), output=Text())
async def reverse(text: str) -> str:
    """Reverse the text (async)."""
    await asyncio.sleep(0)
    return text[::-1]


@svc.api(input=Text(), output=Json(pydantic_model=Echo), statuses=(200, 201))
def echo_context(text: str, ctx: dosirak.Context) -> Echo:
    """Read a header and a query parameter; answer 201 with a header and a cookie."""
    ctx.response.status_code = 201
    ctx.response.headers["x-echo-length"] = str(len(text))
    ctx.response.set_cookie("session", "abc123", httponly=True)
    return Echo(
        text=text,
        user_agent=ctx.request.headers.get("x-client"),
        lang=ctx.request.query_params.get("lang"),
    )


class LegacySummary(BaseModel):
    """Another class than the declared output, with the same fields and one more."""

    order_id: int
    total: float
    item_count: int
    priority: str
    placed_at: dt.datetime
    internal_ref: str = "not on the wire"


@svc.api(input=Json(pydantic_model=Order), output=Json(pydantic_model=OrderSummary))
async def summarize_legacy(order: Order) -> LegacySummary:
    """Return an instance of another pydantic class that fits the declared output."""
    return LegacySummary(
        order_id=order.order_id,
        total=sum(item.price * item.quantity for item in order.items),
        item_count=len(order.items),
        priority=order.priority,
        placed_at=order.placed_at,
    )


class Receipt(BaseModel):
    receipt_id: int
    lines: list[str] = Field(default_factory=list)
    stamp: dt.datetime | None = None


@svc.api(input=Json(), output=Json(pydantic_model=Receipt))
def receipt(value: Any) -> dict[str, Any]:
    """Return a dict that leaves out the fields whose defaults the output model has."""
    return {"receipt_id": 1}


class ExplodingError(RuntimeError):
    pass


@svc.api(input=Text(), output=Text())
def explode(text: str) -> str:
    """Always fails: the server must answer 500 with an error id, never a traceback."""
    raise ExplodingError(f"SECRET-INTERNAL-DETAIL {text}")


@svc.api(input=Json(), output=Json(pydantic_model=OrderSummary))
def bad_output(value: Any) -> dict[str, Any]:
    """Returns a dict that does not fit the declared output model (a server bug: 500)."""
    return {"order_id": "not a number", "total": -1}


@svc.api(input=Text(), output=Text())
def bad_text_output(text: str) -> Any:
    """Returns a number where text is declared (a server bug: 500)."""
    return len(text)
