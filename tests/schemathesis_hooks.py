"""Schemathesis hooks: teach it the constraints JSON Schema cannot state.

``x-dosirak-io`` says an ndarray body is rectangular and that ``application/x-npy`` bodies
are numpy's format; a schema can say neither. These hooks keep the generated requests
inside what the document promises, so every check can run with zero false failures.

One failure is the service's, not the server's: an API that declares no shape
(the seed's ``NumpyNdarray()``) promises to take any array, and a model that refuses
one with `dosirak.exceptions.InvalidInput` breaks that promise. Such a refusal of a
schema-valid request (ST202) is dropped only there; declaring ``shape=`` makes it exact.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import schemathesis


def _io_spec(context: Any) -> dict[str, Any]:
    operation = getattr(context, "operation", None)
    if operation is None:
        return {}
    body = operation.definition.raw.get("requestBody", {})
    spec = body.get("x-dosirak-io", {})
    return spec if isinstance(spec, dict) else {}


def _rectangular(value: Any) -> bool:
    try:
        array = np.asarray(value)
    except ValueError:
        return False
    return array.dtype != object


def _filter_ragged_arrays(context: Any, case: Any) -> bool:
    spec = _io_spec(context)
    if spec.get("type") == "ndarray" and case.media_type == "application/json":
        return _rectangular(case.body)
    return True


def _map_npy_bodies(context: Any, case: Any) -> Any:
    spec = _io_spec(context)
    if spec.get("type") == "ndarray" and case.media_type == "application/x-npy":
        shape = tuple(2 if d < 0 else d for d in spec.get("shape") or (2, 4))
        buffer = io.BytesIO()
        np.save(buffer, np.ones(shape, dtype=spec.get("dtype") or "float64"))
        case.body = buffer.getvalue()
    return case


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    if getattr(failure, "code", None) != "ST202" or response.status_code != 422:
        return True
    if _io_spec(context).get("shape") is not None:
        return True
    try:
        errors = response.json().get("errors", [])
    except ValueError:
        return True
    return not (errors and all(e.get("type") == "invalid_input" for e in errors))


# --- pandas DataFrame and Series bodies (kinds "dataframe" and "series") ---------------


def _same_keys(rows: Any) -> bool:
    keys = [frozenset(row) for row in rows if isinstance(row, dict)]
    return len(set(keys)) <= 1


def _same_lengths(rows: Any, width: int | None = None) -> bool:
    lengths = {len(row) for row in rows if isinstance(row, list)}
    return len(lengths) <= 1 and (width is None or lengths <= {width})


def _split_fits(body: dict[str, Any], data_key: str = "data") -> bool:
    index, data = body.get("index"), body.get(data_key)
    return not (isinstance(index, list) and isinstance(data, list) and len(index) != len(data))


def _table_is_rectangular(spec: dict[str, Any], body: Any) -> bool:
    """What the server checks and JSON Schema cannot say: a table is rectangular.

    Every row has the same columns (records, index, table), every column the same index
    labels (columns), every row array the same length, one per column name (values,
    split), and split's index one label per row. The schemas state the rest; a body
    outside this is answered 422, as the description of each schema says.
    """
    orient = spec.get("orient") or "records"
    if spec.get("type") == "series":
        if orient == "table" and isinstance(body, dict) and isinstance(body.get("data"), list):
            return _same_keys(body["data"])
        return not (orient == "split" and isinstance(body, dict)) or _split_fits(body)
    if orient in ("records", "values") and isinstance(body, list):
        return _same_keys(body) and _same_lengths(body)
    if orient in ("index", "columns") and isinstance(body, dict):
        return _same_keys(body.values())
    if orient == "table" and isinstance(body, dict) and isinstance(body.get("data"), list):
        return _same_keys(body["data"])
    if orient == "split" and isinstance(body, dict) and isinstance(body.get("data"), list):
        names = body.get("columns")
        width = len(names) if isinstance(names, list) else None
        return _split_fits(body) and _same_lengths(body["data"], width)
    return True


def _filter_ragged_tables(context: Any, case: Any) -> bool:
    """Drops ragged JSON tables (above), and negative CSV cases: a CSV body is text, so
    a "not a string" case, once written out as text, is a string after all."""
    spec = _io_spec(context)
    if spec.get("type") in ("dataframe", "series") and case.media_type == "application/json":
        return _table_is_rectangular(spec, case.body)
    if spec.get("type") in ("dataframe", "series") and case.media_type == "text/csv":
        return case.meta is None or not case.meta.generation.mode.is_negative
    return True


def _loosen_tuples(node: Any) -> None:
    if isinstance(node, dict):
        prefix = node.pop("prefixItems", None)
        if isinstance(prefix, list):
            node["items"] = {"anyOf": prefix} if prefix else False
            node["maxItems"] = len(prefix)
        for value in node.values():
            _loosen_tuples(value)
    elif isinstance(node, list):
        for value in node:
            _loosen_tuples(value)


@schemathesis.hook("before_load_schema")
def loosen_response_tuples(context: Any, raw_schema: dict[str, Any]) -> None:
    """Schemathesis 4 rewrites ``prefixItems`` (a DataFrame row of typed columns, orients
    values and split) into draft-4 tuples before checking a *response* schema against the
    3.1 meta-schema, and reports "Schema Error" (upstream issues #3842, #4099). Responses
    only get "any of the column types, as many as the columns" here; request schemas stay
    exact, and tests/test_pandas_io.py checks responses against the exact schema."""
    for item in raw_schema.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                _loosen_tuples(operation.get("responses", {}).get("200"))


def _sample_table(spec: dict[str, Any]) -> Any:
    """A small DataFrame that fits the spec: its columns, in their declared dtypes (a
    series: one column, named by the series' name)."""
    import pandas as pd

    if spec.get("type") == "series":
        length = (spec.get("shape") or [-1])[0] if spec.get("enforce_shape") else -1
        one = {**spec, "type": "dataframe", "columns": ["values"], "shape": [length, 1]}
        return _sample_table(one)
    dtype = spec.get("dtype")
    dtypes: dict[str, str] = dtype if isinstance(dtype, dict) else {}
    shape = spec.get("shape") if spec.get("enforce_shape") else None
    rows = 2 if shape is None or shape[0] < 0 else shape[0]
    width = 2 if shape is None or shape[1] < 0 else shape[1]
    names = spec.get("columns") or list(dtypes) or [f"c{i}" for i in range(width)]
    samples = {"b": True, "i": 1, "u": 1, "f": 1.5}
    data = {}
    for name in names:
        declared = dtypes.get(name, dtype if isinstance(dtype, str) else None)
        kind = np.dtype(declared).kind if declared not in (None, "str", "string") else "O"
        data[name] = pd.Series([samples.get(kind, "a")] * rows, dtype=declared)
    return pd.DataFrame(data)


def _map_table_bodies(context: Any, case: Any) -> Any:
    """CSV and Arrow bodies: their schema is a string, which cannot say which columns
    the table has; a schema-valid (positive) case gets a table that fits the spec."""
    spec = _io_spec(context)
    media_types = ("text/csv", "application/vnd.apache.arrow.stream")
    if spec.get("type") not in ("dataframe", "series") or case.media_type not in media_types:
        return case
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return case
    table = _sample_table(spec)
    if case.media_type == "text/csv":
        case.body = table.to_csv(index=False)
        return case
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    with pa.ipc.new_stream(sink, arrow.schema) as writer:
        writer.write_table(arrow)
    case.body = sink.getvalue().to_pybytes()
    return case


# --- multipart/form-data bodies (kind "multipart") --------------------------------------


def _multipart_parts(context: Any) -> dict[str, Any]:
    spec = _io_spec(context)
    parts = spec.get("parts") if spec.get("type") == "multipart" else None
    return parts if isinstance(parts, dict) else {}


def _sendable(kind: Any, value: Any, negative: bool) -> bool:
    from schemathesis.transport.serialization import Binary

    if kind == "file":
        return not negative or isinstance(value, (Binary, bytes))
    if kind == "text":
        return not negative or isinstance(value, str)
    if kind == "ndarray":
        return value != [] and _rectangular(value)
    return True


def _filter_unsendable_parts(context: Any, case: Any) -> bool:
    """Multipart cases whose parts cannot reach the server as they were generated.

    Schemathesis sends an array property as one part per item even when the ``encoding``
    makes the part one ``application/json`` document, so an empty array part (a valid
    empty batch) goes out as no part at all. And a text or file part is text or bytes on
    the wire whatever was generated: a negative case that turns one into an object, a
    number or a non-binary string still sends a valid part, which the server rightly takes.
    """
    parts = _multipart_parts(context)
    if not parts or not isinstance(case.body, dict):
        return True
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    return all(
        _sendable(part.get("type"), case.body[name], negative)
        for name, part in parts.items()
        if name in case.body
    )


@schemathesis.deserializer("multipart/form-data")
def deserialize_multipart(ctx: Any, response: Any) -> dict[str, Any]:
    """Multipart responses, part by part, so their schema is checked: JSON parts parsed,
    text parts decoded, other parts as Latin-1 text (their schema is a binary string)."""
    import email
    import json

    header = f"Content-Type: {response.headers['content-type'][0]}\r\n\r\n".encode()
    message = email.message_from_bytes(header + response.content)
    parts: dict[str, Any] = {}
    for part in message.get_payload():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        media_type = part.get_content_type()
        if media_type == "application/json":
            parts[name] = json.loads(content)
        elif media_type.startswith("text/"):
            parts[name] = content.decode(part.get_content_charset() or "utf-8")
        else:
            parts[name] = content.decode("latin-1")
    return parts


# One hook of each kind: schemathesis runs registered duplicates slowly (it fuzzes raw
# binary bodies much longer with two `map_case` hooks than with one).
@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    return (
        _filter_ragged_arrays(context, case)
        and _filter_ragged_tables(context, case)
        and _filter_unsendable_parts(context, case)
    )


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    return _map_table_bodies(context, _map_npy_bodies(context, case))
