"""JSON Schemas for what `x-dosirak-io` describes; the one place that knows both."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["PROBLEM_SCHEMAS", "dtype_leaf_schema", "ndarray_schema"]


def dtype_leaf_schema(dtype: str | None) -> dict[str, Any]:
    """The schema of one element of an array of ``dtype`` as JSON carries it."""
    if dtype is None:
        return {"type": ["number", "boolean"]}
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return {"type": "boolean"}
    if dt.kind in "iu":
        info = np.iinfo(dt)
        schema: dict[str, Any] = {"type": "integer"}
        if dt.name in ("int32", "int64"):
            schema["format"] = dt.name
        if dt.itemsize < 8:
            # 64-bit bounds are left to `format`: JavaScript tools (Swagger UI) would
            # round them, and then show and send numbers past the range.
            schema["minimum"] = int(info.min)
            schema["maximum"] = int(info.max)
        return schema
    if dt.kind == "f":
        fmt = {"float32": "float", "float64": "double"}.get(dt.name)
        return {"type": "number", "format": fmt} if fmt else {"type": "number"}
    raise ValueError(f"dtype {dtype!r} has no JSON representation")


def ndarray_schema(
    dtype: str | None, shape: list[int] | None, components: dict[str, Any]
) -> dict[str, Any]:
    """Nested arrays whose depth is the rank; fixed dimensions become min/maxItems.

    Of an unknown rank, an array whose items are numbers or such arrays again: a
    recursive schema registered in ``components``. JSON Schema cannot say that the rows
    are of equal length; ``x-dosirak-io`` does, and the server answers ragged arrays 422.
    """
    if shape is None:
        name = "NdarrayItem" + ("" if dtype is None else dtype.capitalize())
        ref = f"#/components/schemas/{name}"
        components[name] = {
            "description": f"An element of a {dtype or 'numeric'} array of any rank.",
            "anyOf": [dtype_leaf_schema(dtype), {"type": "array", "items": {"$ref": ref}}],
        }
        return {"type": "array", "items": {"$ref": ref}}
    schema = dtype_leaf_schema(dtype)
    for dim in reversed(shape):
        level: dict[str, Any] = {"type": "array", "items": schema}
        if dim >= 0:
            level["minItems"] = dim
            level["maxItems"] = dim
        schema = level
    return schema


#: RFC 9457 problem details, as every error response of a dosirak server carries them.
PROBLEM_SCHEMAS: dict[str, dict[str, Any]] = {
    "Problem": {
        "type": "object",
        "description": "An error, as RFC 9457 problem details.",
        "properties": {
            "type": {"type": "string", "description": "A URI naming the kind of problem."},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string", "description": "What was wrong, for a person."},
            "instance": {"type": "string", "description": "The request path."},
            "error_id": {
                "type": "string",
                "description": "Server errors only: the id under which the log holds details.",
            },
            "errors": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ProblemItem"},
                "description": "Validation errors only: each finding and its location.",
            },
        },
        "required": ["type", "title", "status", "detail"],
    },
    "ProblemItem": {
        "type": "object",
        "properties": {
            "loc": {
                "type": "array",
                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                "description": "Where: 'body' then keys and indexes into it.",
            },
            "msg": {"type": "string"},
            "type": {"type": "string"},
        },
        "required": ["loc", "msg", "type"],
    },
}
