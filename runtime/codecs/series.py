"""pandas Series as JSON (one pandas orient), CSV or an Arrow IPC stream.

JSON orients: records/values (an array), index (label → value), split (name, index,
data) and table (a Table Schema and rows ``{"index": label, <name>: value}``). CSV and
Arrow carry the series as a table of one column, named by the series' name (empty
for none), without the index. A body that does not parse is 400; one that parses but
is not the declared series (another dtype, more columns, another length) is 422.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..context import Context
from ..errors import UnprocessableContent
from ._frame_json import expect, index_labels, take_apart
from ._frame_wire import arrow_bytes, csv_bytes, read_arrow, read_csv, table_value
from ._frames import (
    ARROW,
    CSV,
    JSON,
    Loc,
    Mismatch,
    check_cells,
    column_from_cells,
    conform,
    index_from_keys,
    json_cells,
    json_labels,
    require_pandas,
    shape_matches,
    shape_text,
)
from ._framing import Limits, ResponseValidationError, read_body
from ._response import BodyResponse
from .json import loads

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ARROW", "CSV", "JSON", "decode", "encode", "read", "to_bytes", "to_json_value"]

_WHAT = "the series"
#: pandas' name, in orient 'table', of the values of a series without a name.
_TABLE_VALUES = "values"


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
    """Parse ``body`` by its media type; 400 if it does not parse, 422 if it does not fit."""
    require_pandas()
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type == CSV:
        series = _one_column(read_csv(body, content_type, lambda *_: dtype), dtype, enforce=False)
    elif media_type == ARROW:
        series = _one_column(read_arrow(body), dtype, enforce=enforce_dtype)
    else:
        series = _json_series(loads(body), orient, dtype)
    if shape is not None and enforce_shape and not shape_matches(series.shape, shape):
        raise UnprocessableContent(
            f"expected shape {shape_text(shape)}, received {shape_text(series.shape)}",
            kind="shape_error",
        )
    return series


def _one_column(frame: pd.DataFrame, dtype: str | None, *, enforce: bool) -> pd.Series:
    """The series a CSV or Arrow table of one column carries, in the declared dtype."""
    if frame.shape[1] != 1:
        raise UnprocessableContent(
            f"expected one column (the series), received {frame.shape[1]}",
            loc=("body",),
            kind="shape_error",
        )
    name = str(frame.columns[0])
    try:
        series = conform(frame.iloc[:, 0], dtype, enforce=enforce)
    except Mismatch as exc:
        raise UnprocessableContent(
            f"{_WHAT}: {exc}", loc=("body", name), kind="dtype_error"
        ) from None
    series.name = name or None
    return series


def _json_series(value: Any, orient: str, dtype: str | None) -> pd.Series:
    import pandas as pd

    index: Any = None
    name: str | None = None
    loc: Callable[[int], Loc]
    if orient == "index":
        expect(value, dict, "a JSON object label → value (orient 'index')", ("body",))
        keys = list(value)
        values = [value[k] for k in keys]
        index = index_from_keys(keys)
        loc = lambda row: ("body", keys[row])  # noqa: E731
    elif orient == "split":
        values, index, name = _split(value)
        loc = lambda row: ("body", "data", row)  # noqa: E731
    elif orient == "table":
        values, index, name, loc = _table(value)
    else:
        expect(value, list, f"a JSON array of values (orient {orient!r})", ("body",))
        values = value
        loc = lambda row: ("body", row)  # noqa: E731
    check_cells(values, dtype, _WHAT, loc)
    series = column_from_cells(values, dtype)
    if index is not None:
        series.index = pd.Index(index)
    series.name = name
    return series


def _split(value: Any) -> tuple[list[Any], list[str | int] | None, str | None]:
    expect(value, dict, "a JSON object with name, index, data (orient 'split')", ("body",))
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
    expect(values, list, "a JSON array of values", ("body", "data"))
    name = value.get("name")
    if name is not None:
        expect(name, str, "a string or null (the series' name)", ("body", "name"))
    return values, index_labels(value, len(values), "values"), name


def _table(value: Any) -> tuple[list[Any], Any, str | None, Callable[[int], Loc]]:
    """Orient 'table': rows of the label and one value, all under the same name."""
    cells = take_apart(value, "table", None, (), False)
    if cells.rows and len(cells.names) != 1:
        raise UnprocessableContent(
            f"a row must hold 'index' and one value (the series' name → value), received "
            f"{len(cells.names)} values",
            loc=("body", "data", 0),
            kind="shape_error",
        )
    name = str(cells.names[0]) if cells.names else None
    values = cells.columns[0] if cells.columns else []
    return values, cells.index or [], None if name == _TABLE_VALUES else name, _first(cells.loc)


def _first(loc: Callable[[int, int], Loc]) -> Callable[[int], Loc]:
    return lambda row: loc(row, 0)


# --- out ------------------------------------------------------------------------------


def _checked(
    result: object,
    dtype: str | None,
    enforce_dtype: bool,
    shape: tuple[int, ...] | None,
    enforce_shape: bool,
) -> pd.Series:
    """The API's result, checked against its declaration: a mismatch is a server bug."""
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
        return conform(result, dtype, enforce=enforce_dtype)
    except Mismatch as exc:
        raise ResponseValidationError(f"the API returned a series: {exc}") from None


def _json_value(series: pd.Series, orient: str) -> Any:
    cells = json_cells(series, _WHAT)
    name = None if series.name is None else str(series.name)
    if orient == "index":
        keys = [str(v) for v in json_labels(series.index, unique=True)]
        return dict(zip(keys, cells, strict=True))
    if orient == "split":
        return {"name": name, "index": json_labels(series.index, unique=False), "data": cells}
    if orient == "table":
        column = _TABLE_VALUES if name is None else name
        return table_value(series.to_frame(column), [column], [(cell,) for cell in cells])
    return cells


def _as_table(series: pd.Series) -> pd.DataFrame:
    """The series as a table of one column named by its name ("" for none), no index."""
    return series.to_frame("" if series.name is None else str(series.name))


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
    return _json_value(_checked(result, dtype, enforce_dtype, shape, enforce_shape), orient)


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
    require_pandas()
    series = _checked(result, dtype, enforce_dtype, shape, enforce_shape)
    if media_type == CSV:
        return csv_bytes(_as_table(series))
    if media_type == ARROW:
        return arrow_bytes(_as_table(series), "Series")
    return orjson.dumps(_json_value(series, orient))


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
    """The response for an API's Series result, in ``media_type``."""
    content = to_bytes(
        result,
        media_type,
        orient=orient,
        dtype=dtype,
        enforce_dtype=enforce_dtype,
        shape=shape,
        enforce_shape=enforce_shape,
    )
    return context.apply(BodyResponse(content, media_type))
