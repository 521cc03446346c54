"""The ``dataframe`` and ``series`` kinds: JSON Schemas per pandas orient, media types.

Each schema says exactly what the server takes and answers for that orient: the
columns with their JSON types, nullable where the dtype holds missing values (float
NaN, str), integer ranges, and the row count where the shape is enforced. What JSON
Schema cannot say (every row has the same columns, split's index as long as its data)
is in ``description`` and in ``x-dosirak-io``; the server answers 422 for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._schemas import dtype_leaf_schema

__all__ = [
    "ARROW",
    "CSV",
    "column_schema",
    "frame_json_schema",
    "frame_media_types",
    "frame_params",
    "frame_schema",
    "frame_summary",
    "series_json_schema",
    "series_params",
    "series_schema",
    "series_summary",
]

JSON = "application/json"
CSV = "text/csv"
ARROW = "application/vnd.apache.arrow.stream"
Spec = dict[str, Any]

#: A cell of a column with no declared dtype (or ``object``): any JSON scalar.
SCALAR: dict[str, Any] = {"type": ["string", "number", "boolean", "null"]}
#: An index label: JSON object keys are strings; arrays carry strings or int64 integers.
LABEL: dict[str, Any] = {"type": ["string", "integer"], "minimum": -(2**63), "maximum": 2**63 - 1}
_INTS = frozenset(f"{s}int{b}" for s in ("", "u") for b in (8, 16, 32, 64))
_FLOATS = frozenset({"float16", "float32", "float64"})
_TABLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "pandas' Table Schema of the data; informative: the declaration decides.",
    "properties": {
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "type": {"type": "string"}},
                "required": ["name", "type"],
            },
        },
        "primaryKey": {"type": "array", "items": {"type": "string"}},
        "pandas_version": {"type": "string"},
    },
    "required": ["fields"],
}


def column_schema(dtype: str | None) -> dict[str, Any]:
    """The schema of one cell of a column of ``dtype`` (None: not declared)."""
    if dtype == "bool" or dtype in _INTS:
        return dtype_leaf_schema(dtype)
    if dtype in _FLOATS:
        schema: dict[str, Any] = {"type": ["number", "null"]}
        schema.update({k: v for k, v in dtype_leaf_schema(dtype).items() if k != "type"})
        if dtype != "float64":  # larger values would become infinity
            top = float(np.finfo(np.dtype(dtype)).max)
            schema.update(minimum=-top, maximum=top)
        return schema
    if dtype in ("str", "string"):
        return {"type": ["string", "null"]}
    return dict(SCALAR)


def _bounds(count: int | None, kind: str) -> dict[str, Any]:
    if count is None or count < 0:
        return {}
    return {f"min{kind}": count, f"max{kind}": count}


class _Frame:
    """What one spec says about the columns, read once."""

    def __init__(self, spec: Spec) -> None:
        self.orient: str = spec.get("orient") or "records"
        columns = spec.get("columns")
        self.columns: list[str] | None = None if columns is None else list(columns)
        dtype = spec.get("dtype")
        self.dtypes: dict[str, str] = dtype if isinstance(dtype, dict) else {}
        self.default: str | None = dtype if isinstance(dtype, str) else None
        shape = spec.get("shape") if spec.get("enforce_shape") else None
        self.rows: int | None = None if shape is None else shape[0]
        self.width: int | None = None if shape is None else shape[1]

    def cell(self, name: str) -> dict[str, Any]:
        return column_schema(self.dtypes.get(name, self.default))

    def named(self) -> list[str]:
        """The columns the schema names: declared, or those the dtype dict names."""
        return self.columns if self.columns is not None else list(self.dtypes)

    def row_object(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """A row as an object column → value (records, index, table)."""
        named = self.named()
        properties = dict(extra or {})
        properties.update({name: self.cell(name) for name in named})
        schema: dict[str, Any] = {"type": "object"}
        if properties:
            schema["properties"] = properties
        required = list(extra or {}) + named
        if required:
            schema["required"] = required
        if self.columns is not None:
            schema["additionalProperties"] = False
        else:
            schema["additionalProperties"] = column_schema(self.default)
            width = None if self.width is None else self.width + len(extra or {})
            schema.update(_bounds(width, "Properties"))
        return schema

    def row_array(self) -> dict[str, Any]:
        """A row as an array of values by position (split, values)."""
        if self.columns is not None:
            return {
                "type": "array",
                "prefixItems": [self.cell(name) for name in self.columns],
                "items": False,
                "minItems": len(self.columns),
            }
        return {"type": "array", "items": column_schema(self.default)} | _bounds(
            self.width, "Items"
        )


def frame_json_schema(spec: Spec) -> dict[str, Any]:
    """The JSON Schema of a DataFrame in the spec's orient."""
    frame = _Frame(spec)
    orient = frame.orient
    rows = _bounds(frame.rows, "Items")
    if orient == "records":
        return {
            "type": "array",
            "description": "A DataFrame, orient 'records': one object per row.",
            "items": frame.row_object(),
        } | rows
    if orient == "index":
        return {
            "type": "object",
            "description": "A DataFrame, orient 'index': index label → row. "
            "Every row has the same columns.",
            "additionalProperties": frame.row_object(),
        } | _bounds(frame.rows, "Properties")
    if orient == "columns":
        return _columns_schema(frame)
    if orient == "split":
        return _split_schema(frame)
    if orient == "values":
        return {
            "type": "array",
            "description": "A DataFrame, orient 'values': one array per row, values by "
            "column position. Every row has the same length.",
            "items": frame.row_array(),
        } | rows
    return {
        "type": "object",
        "description": "A DataFrame, orient 'table': a Table Schema and one object per row "
        "with the index label as 'index'.",
        "properties": {
            "schema": _TABLE_SCHEMA,
            "data": {"type": "array", "items": frame.row_object({"index": LABEL})} | rows,
        },
        "required": ["schema", "data"],
        "additionalProperties": False,
    }


def _columns_schema(frame: _Frame) -> dict[str, Any]:
    def column(name: str | None) -> dict[str, Any]:
        cell = column_schema(frame.default) if name is None else frame.cell(name)
        return {"type": "object", "additionalProperties": cell} | _bounds(frame.rows, "Properties")

    named = frame.named()
    schema: dict[str, Any] = {
        "type": "object",
        "description": "A DataFrame, orient 'columns': column → {index label → value}. "
        "Every column has the same index labels.",
    }
    if named:
        schema["properties"] = {name: column(name) for name in named}
        schema["required"] = named
    if frame.columns is not None:
        schema["additionalProperties"] = False
    else:
        schema["additionalProperties"] = column(None)
        schema.update(_bounds(frame.width, "Properties"))
    return schema


def _split_schema(frame: _Frame) -> dict[str, Any]:
    if frame.columns is not None:
        names: dict[str, Any] = {"const": frame.columns}
    else:
        names = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}
        names |= _bounds(frame.width, "Items")
    return {
        "type": "object",
        "description": "A DataFrame, orient 'split': column names, index labels (optional; "
        "one per row) and rows as arrays, one value per column.",
        "properties": {
            "columns": names,
            "index": {"type": "array", "items": LABEL},
            "data": {"type": "array", "items": frame.row_array()} | _bounds(frame.rows, "Items"),
        },
        "required": ["columns", "data"],
        "additionalProperties": False,
    }


def frame_media_types(spec: Spec) -> tuple[str, ...]:
    return (JSON, CSV, ARROW) if spec.get("arrow", True) else (JSON, CSV)


def _column_list(spec: Spec) -> str:
    frame = _Frame(spec)
    named = frame.named()
    if not named:
        return "any columns" + (f" of dtype {frame.default}" if frame.default else "")
    dtypes = [frame.dtypes.get(n, frame.default) for n in named[:8]]
    shown = [f"{n} ({d})" if d else n for n, d in zip(named, dtypes, strict=False)]
    more = f" and {len(named) - 8} more" if len(named) > 8 else ""
    return "columns " + ", ".join(shown) + more


def frame_schema(
    spec: Spec, media_type: str, _: dict[str, Any] | None, components: dict[str, Any]
) -> dict[str, Any]:
    if media_type == CSV:
        return {
            "type": "string",
            "description": f"CSV (UTF-8 unless a charset is named) with a header row: "
            f"{_column_list(spec)}; no index column. An empty field is a missing value.",
        }
    if media_type == ARROW:
        return {
            "type": "string",
            "format": "binary",
            "description": f"An Arrow IPC stream of one table: {_column_list(spec)}.",
        }
    return frame_json_schema(spec)


def frame_params(spec: Spec) -> list[tuple[str, Any]]:
    columns = spec.get("columns")
    shape = spec.get("shape")
    return [
        ("orient", spec.get("orient") or "records"),
        ("columns", None if columns is None else tuple(columns)),
        ("dtype", spec.get("dtype")),
        ("enforce_dtype", bool(spec.get("enforce_dtype", False))),
        ("shape", None if shape is None else tuple(int(d) for d in shape)),
        ("enforce_shape", bool(spec.get("enforce_shape", False))),
        ("apply_column_names", bool(spec.get("apply_column_names", False))),
    ]


def frame_summary(spec: Spec) -> str:
    text = f"DataFrame (orient {spec.get('orient') or 'records'}) with {_column_list(spec)}"
    enforced = [k for k in ("dtype", "shape") if spec.get(f"enforce_{k}")]
    if enforced:
        text += f", {' and '.join(enforced)} enforced"
    return text


def series_json_schema(spec: Spec) -> dict[str, Any]:
    """The JSON Schema of a Series in the spec's orient."""
    orient = spec.get("orient") or "records"
    cell = column_schema(spec.get("dtype"))
    shape = spec.get("shape") if spec.get("enforce_shape") else None
    length = None if shape is None else shape[0]
    if orient == "index":
        return {
            "type": "object",
            "description": "A Series, orient 'index': index label → value.",
            "additionalProperties": cell,
        } | _bounds(length, "Properties")
    values = {"type": "array", "items": cell} | _bounds(length, "Items")
    if orient == "table":
        row = {
            "type": "object",
            "properties": {"index": LABEL},
            "required": ["index"],
            "additionalProperties": cell,
            "minProperties": 2,
            "maxProperties": 2,
        }
        return {
            "type": "object",
            "description": "A Series, orient 'table': a Table Schema and one object per "
            "value: the index label as 'index' and the value under the series' name "
            "('values' for none). Every row has the same name.",
            "properties": {
                "schema": _TABLE_SCHEMA,
                "data": {"type": "array", "items": row} | _bounds(length, "Items"),
            },
            "required": ["schema", "data"],
            "additionalProperties": False,
        }
    if orient == "split":
        return {
            "type": "object",
            "description": "A Series, orient 'split': its name, index labels (optional; one "
            "per value) and values.",
            "properties": {
                "name": {"type": ["string", "null"]},
                "index": {"type": "array", "items": LABEL},
                "data": values,
            },
            "required": ["data"],
            "additionalProperties": False,
        }
    return values | {"description": f"A Series, orient {orient!r}: its values in order."}


def series_schema(
    spec: Spec, media_type: str, _: dict[str, Any] | None, components: dict[str, Any]
) -> dict[str, Any]:
    values = f"values of dtype {spec.get('dtype') or 'any'}"
    if media_type == CSV:
        return {
            "type": "string",
            "description": "CSV (UTF-8 unless a charset is named) of one column: a header "
            f'row, the series\' name ("" for none), then {values}, one per line; no index '
            "column. An empty field is a missing value.",
        }
    if media_type == ARROW:
        return {
            "type": "string",
            "format": "binary",
            "description": "An Arrow IPC stream of a table of one column, named by the "
            f'series\' name ("" for none): {values}.',
        }
    return series_json_schema(spec)


def series_params(spec: Spec) -> list[tuple[str, Any]]:
    shape = spec.get("shape")
    return [
        ("orient", spec.get("orient") or "records"),
        ("dtype", spec.get("dtype")),
        ("enforce_dtype", bool(spec.get("enforce_dtype", False))),
        ("shape", None if shape is None else tuple(int(d) for d in shape)),
        ("enforce_shape", bool(spec.get("enforce_shape", False))),
    ]


def series_summary(spec: Spec) -> str:
    text = f"Series (orient {spec.get('orient') or 'records'}) of {spec.get('dtype') or 'any'}"
    enforced = [k for k in ("dtype", "shape") if spec.get(f"enforce_{k}")]
    if enforced:
        text += f", {' and '.join(enforced)} enforced"
    return text
