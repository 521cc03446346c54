"""Unit: descriptors → schemas and the document around them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from dosirak.codegen import build_document
from dosirak.codegen._schemas import dtype_leaf_schema, ndarray_schema
from openapi_spec_validator import validate
from pydantic import BaseModel

import dosirak
from dosirak.io import Json, NumpyNdarray, Text


def test_ndarray_schema_nests_to_the_rank() -> None:
    assert ndarray_schema("float32", [-1, 4], {}) == {
        "type": "array",
        "items": {
            "type": "array",
            "items": {"type": "number", "format": "float"},
            "minItems": 4,
            "maxItems": 4,
        },
    }


def test_ndarray_schema_of_rank_zero_is_the_leaf() -> None:
    assert ndarray_schema("bool", [], {}) == {"type": "boolean"}


def test_ndarray_schema_of_unknown_rank_is_recursive() -> None:
    components: dict[str, Any] = {}
    ref = "#/components/schemas/NdarrayItemFloat64"
    assert ndarray_schema("float64", None, components) == {"type": "array", "items": {"$ref": ref}}
    assert components["NdarrayItemFloat64"]["anyOf"] == [
        {"type": "number", "format": "double"},
        {"type": "array", "items": {"$ref": ref}},
    ]


@pytest.mark.parametrize(
    ("dtype", "schema"),
    [
        ("float64", {"type": "number", "format": "double"}),
        ("float16", {"type": "number"}),
        (
            "int64",
            {"type": "integer", "format": "int64"},
        ),
        ("uint8", {"type": "integer", "minimum": 0, "maximum": 255}),
        ("bool", {"type": "boolean"}),
        (None, {"type": ["number", "boolean"]}),
    ],
)
def test_leaf_schema_per_dtype(dtype: str | None, schema: dict[str, Any]) -> None:
    assert dtype_leaf_schema(dtype) == schema


def test_seed_spelling_schema_and_validate() -> None:
    # The seed writes np.dtype(int, 4); numpy 2.4 warns about that second argument itself.
    with pytest.warns(np.exceptions.VisibleDeprecationWarning):
        seed_dtype = np.dtype(int, 4)  # type: ignore[call-overload]
    descriptor = NumpyNdarray(schema=seed_dtype, validate=True)
    assert descriptor.io_spec() == {
        "type": "ndarray",
        "dtype": "int64",
        "shape": None,
        "enforce_dtype": True,
        "enforce_shape": True,
    }


def test_from_sample_fixes_dtype_shape_and_example() -> None:
    sample = np.array([[5.1, 3.5, 1.4, 0.2]], dtype=np.float32)
    descriptor = NumpyNdarray.from_sample(sample)
    assert descriptor.io_spec()["dtype"] == "float32"
    assert descriptor.io_spec()["shape"] == [1, 4]
    assert descriptor.example() == sample.tolist()


@pytest.mark.parametrize(
    "kwargs",
    [{"dtype": "U5"}, {"dtype": object}, {"shape": (2, -2)}, {"dtype": "f4", "schema": "f8"}],
)
def test_bad_descriptor_arguments_fail_at_definition(kwargs: dict[str, Any]) -> None:
    with pytest.raises((TypeError, ValueError)):
        NumpyNdarray(**kwargs)


class Part(BaseModel):
    name: str
    qty: int = 1


class Order(BaseModel):
    parts: list[Part]
    note: str | None = None


def _service() -> dosirak.Service:
    svc = dosirak.Service("shop", version="2.0.0", description="Orders.")

    @svc.api(
        input=NumpyNdarray.from_sample(np.zeros((2, 3), dtype=np.uint8)),
        output=NumpyNdarray(dtype="float32", shape=(-1,)),
    )
    def arrays(x: np.ndarray) -> np.ndarray:
        """Sum rows.

        Longer description here.
        """
        return x.sum(axis=1)

    @svc.api(input=Json(pydantic_model=Order), output=Json(pydantic_model=Part))
    def order(o: Order) -> Part:
        return o.parts[0]

    @svc.api(input=Text(), output=Json(), route="/nested/echo")
    def echo(text: str) -> Any:
        return {"text": text}

    return svc


def test_document_shape() -> None:
    document = build_document(_service())
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["info"] == {"title": "shop", "version": "2.0.0", "description": "Orders."}
    assert list(document["paths"]) == ["/arrays", "/order", "/nested/echo"]
    arrays = document["paths"]["/arrays"]["post"]
    assert arrays["operationId"] == "arrays"
    assert arrays["summary"] == "Sum rows."
    assert arrays["description"] == "Longer description here."
    body = arrays["requestBody"]
    assert body["required"] is True
    assert list(body["content"]) == ["application/json", "application/x-npy"]
    assert body["content"]["application/x-npy"] == {
        "schema": {"type": "string", "format": "binary"}
    }
    media = body["content"]["application/json"]
    assert media["example"] == [[0, 0, 0], [0, 0, 0]]
    assert media["schema"]["minItems"] == 2
    assert media["schema"]["items"]["items"]["maximum"] == 255
    assert body["x-dosirak-io"] == {
        "type": "ndarray",
        "dtype": "uint8",
        "shape": [2, 3],
        "enforce_dtype": True,
        "enforce_shape": True,
    }
    assert set(arrays["responses"]) == {
        "200",
        "400",
        "406",
        "413",
        "415",
        "422",
        "500",
        "503",
        "504",
    }
    assert arrays["responses"]["422"] == {"$ref": "#/components/responses/ValidationError"}
    text = document["paths"]["/nested/echo"]["post"]
    assert text["requestBody"]["content"] == {"text/plain": {"schema": {"type": "string"}}}
    assert text["responses"]["200"]["content"]["application/json"]["schema"] == {}


def test_models_are_components_with_refs() -> None:
    document = build_document(_service())
    schemas = document["components"]["schemas"]
    order = document["paths"]["/order"]["post"]
    in_schema = order["requestBody"]["content"]["application/json"]["schema"]
    out_schema = order["responses"]["200"]["content"]["application/json"]["schema"]
    assert in_schema == {"$ref": "#/components/schemas/Order"}
    assert out_schema["$ref"].startswith("#/components/schemas/Part")
    assert order["requestBody"]["x-dosirak-io"] == {"type": "json", "model": "Order"}
    assert schemas["Order"]["properties"]["parts"]["items"]["$ref"].startswith(
        "#/components/schemas/Part"
    )
    assert {"Problem", "ProblemItem"} <= set(schemas)


def test_error_responses_are_problem_json() -> None:
    document = build_document(_service())
    for name, response in document["components"]["responses"].items():
        assert response["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }, name


def test_document_is_deterministic() -> None:
    assert build_document(_service()) == build_document(_service())
