"""pandas Series as JSON in one pandas orient: records/values, index or split."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..context import Context
from ..errors import UnprocessableContent
from ._frames import (
    JSON,
    Loc,
    Mismatch,
    check_cells,
    column_from_cells,
    conform,
    index_from_keys,
    json_cells,
    json_labels,
    label_value,
    require_pandas,
    shape_matches,
    shape_text,
)
from ._framing import Limits, ResponseValidationError, read_body
from .json import loads

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["JSON", "decode", "encode", "read", "to_bytes", "to_json_value"]

_WHAT = "the series"


async def read(
    request: Request,
    content_type: str,
    limits: Limits,
    *,
    orient: str,
    dtype: str | None,
    enforce_dtype: bool,
    shape: tuple[int, ...] | None,
    enforce_shape: bool,
) -> pd.Series:
    """Read and validate the request body as a Series."""
    body = await read_body(request, limits.max_body_bytes)
    return decode(
        body,
        content_type,
        orient=orient,
        dtype=dtype,
        enforce_dtype=enforce_dtype,
        shape=shape,
        enforce_shape=enforce_shape,
    )


def _expect(value: Any, kind: type, what: str, loc: Loc) -> None:
    if not isinstance(value, kind):
        received = {dict: "object", list: "array", type(None): "null"}.get(
            type(value), type(value).__name__
        )
        raise UnprocessableContent(
            f"expected {what}, received {received}", loc=loc, kind="type_error"
        )


def decode(
    body: bytes,
    content_type: str,
    *,
    orient: str,
    dtype: str | None,
    enforce_dtype: bool,
    shape: tuple[int, ...] | None,
    enforce_shape: bool,
) -> pd.Series:
    """Parse ``body``: 400 if it is not JSON, 422 if it is not the declared series."""
    require_pandas()
    import pandas as pd

    value = loads(body)
    index: Any = None
    name: str | None = None
    loc: Callable[[int], Loc]
    if orient == "index":
        _expect(value, dict, "a JSON object label → value (orient 'index')", ("body",))
        keys = list(value)
        values = [value[k] for k in keys]
        index = index_from_keys(keys)
        loc = lambda row: ("body", keys[row])  # noqa: E731
    elif orient == "split":
        values, index, name = _split(value)
        loc = lambda row: ("body", "data", row)  # noqa: E731
    else:
        _expect(value, list, f"a JSON array of values (orient {orient!r})", ("body",))
        values = value
        loc = lambda row: ("body", row)  # noqa: E731
    check_cells(values, dtype, _WHAT, loc)
    series = column_from_cells(values, dtype)
    if index is not None:
        series.index = pd.Index(index)
    series.name = name
    if shape is not None and enforce_shape and not shape_matches(series.shape, shape):
        raise UnprocessableContent(
            f"expected shape {shape_text(shape)}, received {shape_text(series.shape)}",
            kind="shape_error",
        )
    return series


def _split(value: Any) -> tuple[list[Any], list[str | int] | None, str | None]:
    _expect(value, dict, "a JSON object with name, index, data (orient 'split')", ("body",))
    extra = sorted(set(value) - {"name", "index", "data"})
    if extra:
        raise UnprocessableContent(
            f"unexpected member {extra[0]!r}; orient 'split' has 'name', 'index' and 'data'",
            loc=("body", extra[0]),
            kind="unexpected_member",
        )
    if "data" not in value:
        raise UnprocessableContent("missing member 'data'", kind="missing_member")
    values = value["data"]
    _expect(values, list, "a JSON array of values", ("body", "data"))
    name = value.get("name")
    if name is not None:
        _expect(name, str, "a string or null (the series' name)", ("body", "name"))
    if "index" not in value:
        return values, None, name
    labels = value["index"]
    _expect(labels, list, "a JSON array of index labels", ("body", "index"))
    index = [label_value(v, ("body", "index", p)) for p, v in enumerate(labels)]
    if len(index) != len(values):
        raise UnprocessableContent(
            f"the index has {len(index)} labels for {len(values)} values",
            loc=("body", "index"),
            kind="ragged_table",
        )
    return values, index, name


def to_json_value(
    result: object,
    *,
    orient: str,
    dtype: str | None,
    enforce_dtype: bool,
    shape: tuple[int, ...] | None,
    enforce_shape: bool,
) -> Any:
    """The JSON value of a Series in ``orient``, checked against the declaration first."""
    require_pandas()
    import pandas as pd

    if not isinstance(result, pd.Series):
        raise ResponseValidationError(
            f"the API returned {type(result).__name__}, not a pandas Series"
        )
    if shape is not None and enforce_shape and not shape_matches(result.shape, shape):
        raise ResponseValidationError(
            f"the API returned shape {shape_text(result.shape)}; its output declares "
            f"{shape_text(shape)}"
        )
    try:
        series = conform(result, dtype, enforce=enforce_dtype)
    except Mismatch as exc:
        raise ResponseValidationError(f"the API returned a series: {exc}") from None
    cells = json_cells(series, _WHAT)
    if orient == "index":
        keys = [str(v) for v in json_labels(series.index, unique=True)]
        return dict(zip(keys, cells, strict=True))
    if orient == "split":
        name = None if series.name is None else str(series.name)
        return {"name": name, "index": json_labels(series.index, unique=False), "data": cells}
    return cells


def to_bytes(
    result: object,
    media_type: str,
    *,
    orient: str,
    dtype: str | None,
    enforce_dtype: bool,
    shape: tuple[int, ...] | None,
    enforce_shape: bool,
) -> bytes:
    """Check an API's Series result against its declaration and serialise it."""
    value = to_json_value(
        result,
        orient=orient,
        dtype=dtype,
        enforce_dtype=enforce_dtype,
        shape=shape,
        enforce_shape=enforce_shape,
    )
    return orjson.dumps(value)


def encode(
    result: object,
    context: Context,
    media_type: str,
    *,
    orient: str,
    dtype: str | None,
    enforce_dtype: bool,
    shape: tuple[int, ...] | None,
    enforce_shape: bool,
) -> Response:
    """The response for an API's Series result."""
    content = to_bytes(
        result,
        media_type,
        orient=orient,
        dtype=dtype,
        enforce_dtype=enforce_dtype,
        shape=shape,
        enforce_shape=enforce_shape,
    )
    return context.apply(Response(content, media_type=JSON))
