"""JSON bodies validated once into the service's model only when that is the same check."""

from __future__ import annotations

import datetime
import enum
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from dosirak.runtime._twins import checks_only_its_schema, writes_only_its_schema
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
    computed_field,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import CoreSchema
from starlette.testclient import TestClient

import dosirak
from dosirak.io import Json


class Item(BaseModel):
    name: str = Field(alias="itemName", max_length=20)
    count: int = Field(default=1, ge=1)


class Order(BaseModel):
    id: int
    price: float
    tags: list[str] = []
    items: list[Item] | None = None
    kind: Literal["retail", "wholesale"] = "retail"
    notes: dict[str, str] = {}


class Widened(BaseModel):
    """Reads "seven" as 7: its document says integer, so "seven" must still be refused."""

    quantity: int

    @field_validator("quantity", mode="before")
    @classmethod
    def words(cls, value: Any) -> Any:
        return {"seven": 7}.get(value, value)


class Colour(enum.Enum):
    red = "red"


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class WithModelValidator(BaseModel):
    a: int

    @model_validator(mode="after")
    def check(self) -> WithModelValidator:
        return self


class WithInit(BaseModel):
    a: int

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)


class WithPostInit(BaseModel):
    a: int

    def model_post_init(self, context: Any, /) -> None:
        pass


class FieldExtra(BaseModel):
    """Its document says minimum 5, which the model itself does not check."""

    quantity: int = Field(json_schema_extra={"minimum": 5})


class ConfigExtra(BaseModel):
    model_config = ConfigDict(json_schema_extra={"required": ["a", "b"]})
    a: int
    b: int = 0


class OwnJsonSchema(BaseModel):
    a: int

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        schema: dict[str, Any] = handler(core_schema)
        schema["properties"]["a"]["maximum"] = 3
        return schema


class Described(BaseModel):
    a: int = Field(title="A", description="an a", examples=[1], deprecated=True)


class Later(BaseModel):
    child: LaterChild | None = None


class LaterChild(BaseModel):  # defined after the model that refers to it
    x: int


class Receipt(BaseModel):
    """Flat: a checked result of it is written by itself."""

    id: int
    customer: str = Field(alias="customerName")
    quantity: int = Field(ge=0)
    price: float
    tags: list[str] = []


class Loud(BaseModel):
    word: str

    @field_serializer("word")
    def shout(self, word: str) -> str:
        return word.upper()


class Computed(BaseModel):
    a: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def b(self) -> int:
        return self.a + 1


def _model(name: str, annotation: Any, **config: Any) -> type[BaseModel]:
    namespace = {"__annotations__": {"value": annotation}, "model_config": config}
    return type(name, (BaseModel,), namespace)


def test_plain_models_are_recognised() -> None:
    assert checks_only_its_schema(Order)
    assert checks_only_its_schema(Item)
    assert checks_only_its_schema(_model("Limited", str, str_max_length=5, extra="forbid"))
    assert checks_only_its_schema(Described)  # annotations do not change what is accepted
    assert checks_only_its_schema(Later)  # built once its forward reference resolves


@pytest.mark.parametrize(
    "model",
    [
        Widened,
        WithModelValidator,
        WithInit,
        WithPostInit,
        _model("Stripped", str, str_strip_whitespace=True),
        _model("Coerced", str, coerce_numbers_to_str=True),
        _model("Lowered", Annotated[str, BeforeValidator(_lower)]),
        _model("ASet", set[str]),
        _model("ADate", datetime.date),
        _model("AnEnum", Colour),
        _model("IntKeys", dict[int, str]),
        _model("Choices", Annotated[int, Field(validation_alias=AliasChoices("a", "b"))]),
        FieldExtra,
        ConfigExtra,
        OwnJsonSchema,
        _model("Replaced", Annotated[int, WithJsonSchema({"type": "integer", "maximum": 3})]),
        _model("ModeOverride", int, json_schema_mode_override="serialization"),
        _model("LocByName", int, loc_by_alias=False),
        _model("Dangling", "NotDefinedAnywhere"),
    ],
    ids=lambda model: model.__name__,
)
def test_models_that_may_accept_more_than_their_schema_are_not(model: type[BaseModel]) -> None:
    assert not checks_only_its_schema(model)


def test_flat_plain_models_write_only_their_schema() -> None:
    assert writes_only_its_schema(Receipt)
    assert writes_only_its_schema(Described)


@pytest.mark.parametrize(
    "model",
    [
        Order,  # holds Item: an Item instance inside would be written unchecked
        Widened,  # reads more than its schema
        Loud,
        Computed,
        _model("Excluded", Annotated[int, Field(exclude=True)]),
        _model("Serialised", Annotated[int, PlainSerializer(str)]),
        _model("Extras", int, extra="allow"),
        _model("Constants", float, ser_json_inf_nan="constants"),
    ],
    ids=lambda model: model.__name__,
)
def test_models_that_may_write_other_json_are_not_written_by_themselves(
    model: type[BaseModel],
) -> None:
    assert not writes_only_its_schema(model)


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dosirak.Service:
    monkeypatch.setenv("DOSIRAK_HOME", str(tmp_path / "home"))
    svc = dosirak.Service("twins")

    @svc.api(input=Json(pydantic_model=Order), output=Json(pydantic_model=Order))
    def echo(order: Order) -> Order:
        assert type(order) is Order
        return order.model_copy(update={"price": order.price * 2})

    updates: dict[str, dict[str, Any]] = {
        "same": {},
        "text": {"quantity": "many"},
        "fraction": {"quantity": 2.5},
        "negative": {"quantity": -1},
        "digits": {"quantity": "7"},
        "float": {"quantity": 7.0},
        "tag": {"tags": [1]},
    }

    @svc.api(input=Json(pydantic_model=Receipt), output=Json(pydantic_model=Receipt))
    def receipt(receipt: Receipt) -> Receipt:
        if receipt.tags == ["unchecked"]:
            return Receipt.model_construct(id=receipt.id)  # required fields missing
        return receipt.model_copy(update=updates[receipt.tags[0]])

    @svc.api(input=Json(pydantic_model=Widened), output=Json())
    def widened(body: Widened) -> int:
        return body.quantity

    @svc.api(input=Json(pydantic_model=FieldExtra), output=Json())
    def extra(body: FieldExtra) -> int:
        return body.quantity

    return svc


def test_a_plain_model_is_validated_once_with_the_same_answers(service: dosirak.Service) -> None:
    from dosirak.runtime.codecs import json as json_codec

    order = {
        "id": 1,
        "price": 2.5,
        "items": [{"itemName": "pen", "count": 3}],
        "notes": {"gift": "yes"},
    }
    bad = {"id": "1", "price": 2.5, "items": [{"name": "pen", "count": 0}], "kind": "other"}
    with TestClient(service.asgi_app) as client:
        adopted = {made.__name__: own for made, own in json_codec._twins.items()}
        assert adopted.get("Order") is Order  # Widened keeps its generated model first
        assert adopted.get("Widened") is not Widened
        answered = client.post("/echo", json=order)
        refused = client.post("/echo", json=bad)
        # The same requests, validated into the generated model and then the service's.
        saved = dict(json_codec._twins)
        json_codec._twins.clear()
        try:
            assert client.post("/echo", json=order).json() == answered.json()
            twice = client.post("/echo", json=bad)
        finally:
            json_codec._twins.update(saved)
    assert answered.status_code == 200
    assert answered.json()["price"] == 5.0
    assert answered.json()["items"] == [{"itemName": "pen", "count": 3}]
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json() == twice.json()
    where = {tuple(error["loc"]) for error in refused.json()["errors"]}
    assert {("body", "id"), ("body", "kind"), ("body", "items", 0, "itemName")} <= where


def test_a_widening_validator_does_not_widen_the_document(service: dosirak.Service) -> None:
    with TestClient(service.asgi_app) as client:
        assert client.post("/widened", json={"quantity": 7}).json() == 7
        refused = client.post("/widened", json={"quantity": "seven"})
    assert refused.status_code == 422


def test_what_the_document_adds_is_still_checked(service: dosirak.Service) -> None:
    with TestClient(service.asgi_app) as client:
        assert client.post("/extra", json={"quantity": 5}).json() == 5
        refused = client.post("/extra", json={"quantity": 3})
    assert refused.status_code == 422
    assert [error["loc"] for error in refused.json()["errors"]] == [["body", "quantity"]]


@pytest.mark.parametrize(
    "case", ["same", "text", "fraction", "negative", "digits", "float", "tag", "unchecked"]
)
def test_a_flat_result_is_checked_and_written_by_its_own_model_with_the_same_answers(
    service: dosirak.Service, case: str
) -> None:
    from dosirak.runtime.codecs import json as json_codec

    body = {"id": 3, "customerName": "Ada", "quantity": 2, "price": 1.5, "tags": [case]}
    with TestClient(service.asgi_app, raise_server_exceptions=False) as client:
        assert json_codec._answers.get(Receipt).__name__ == "Receipt"  # type: ignore[union-attr]
        assert Order not in json_codec._answers  # nested: written through the generated model
        answered = client.post("/receipt", json=body)
        # The same request, its result checked and written by the generated model.
        saved = dict(json_codec._answers)
        json_codec._answers.clear()
        try:
            general = client.post("/receipt", json=body)
        finally:
            json_codec._answers.update(saved)
    assert (answered.status_code, answered.headers["content-type"]) == (
        general.status_code,
        general.headers["content-type"],
    )
    if answered.status_code == 200:
        assert answered.content == general.content
    else:
        assert answered.json()["title"] == general.json()["title"]
    fits = {"same": 2, "digits": 7, "float": 7}
    if case in fits:
        assert answered.json() == {**body, "quantity": fits[case]}
    else:
        assert answered.status_code == 500
