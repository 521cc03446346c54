"""pandas DataFrames as JSON (one pandas orient), CSV or an Arrow IPC stream.

JSON is checked cell by cell against the declared columns and dtypes, so a 422 names
the column, the expected and the received dtype, and where in the body. CSV and Arrow
bodies that do not parse are 400; those that parse but do not fit are 422.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..context import Context
from ..errors import UnprocessableContent
from ._frame_json import Cells, Label, check_names, take_apart
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

Dtype = str | dict[str, str] | None


async def read(
    request: Request,
    content_type: str,
    limits: Limits,
    *,
    orient: str,
    columns: tuple[str, ...] | None,
    dtype: Dtype,
    enforce_dtype: bool,
    shape: tuple[int, ...] | None,
    enforce_shape: bool,
    apply_column_names: bool,
) -> pd.DataFrame:
    """Read and validate the request body as a DataFrame."""
    body = await read_body(request, limits.max_body_bytes)
    return decode(
        body,
        content_type,
        orient=orient,
        columns=columns,
        dtype=dtype,
        enforce_dtype=enforce_dtype,
        shape=shape,
        enforce_shape=enforce_shape,
        apply_column_names=apply_column_names,
    )


def decode(
    body: bytes,
    content_type: str,
    *,
    orient: str,
    columns: tuple[str, ...] | None,
    dtype: Dtype,
    enforce_dtype: bool,
    shape: tuple[int, ...] | None,
    enforce_shape: bool,
    apply_column_names: bool,
) -> pd.DataFrame:
    """Parse ``body`` by its media type; 400 if it does not parse, 422 if it does not fit."""
    require_pandas()
    media_type = content_type.partition(";")[0].strip().lower()
    positional = apply_column_names
    if media_type == CSV:
        # A positional column is declared by its position in ``columns``, not its header.
        def declared(position: int, name: str) -> str | None:
            if positional and columns is not None:
                name = columns[position] if position < len(columns) else ""
            return _declared(dtype, name, position, columns)

        table = read_csv(body, content_type, declared)
        frame = _typed_frame(table, columns, dtype, positional)
    elif media_type == ARROW:
        frame = _typed_frame(read_arrow(body), columns, dtype, positional, enforce=enforce_dtype)
    else:
        required = list(dtype) if isinstance(dtype, dict) else []
        cells = take_apart(loads(body), orient, columns, required, positional)
        frame = _json_frame(cells, columns, dtype)
    if shape is not None and enforce_shape and not shape_matches(frame.shape, shape):
        raise UnprocessableContent(
            f"expected shape {shape_text(shape)} (rows, columns), received "
            f"{shape_text(frame.shape)}",
            kind="shape_error",
        )
    return frame


def _declared(
    dtype: Dtype, name: Label, position: int, columns: Sequence[str] | None
) -> str | None:
    """The declared dtype of a column (by its name, or its position in ``columns``)."""
    if dtype is None or isinstance(dtype, str):
        return dtype
    if not isinstance(name, str):
        name = columns[position] if columns is not None and position < len(columns) else ""
    return dtype.get(name)


# --- JSON ---------------------------------------------------------------------------


def _column_loc(cells: Cells, column: int) -> Callable[[int], Loc]:
    return lambda row: cells.loc(row, column)


def _json_frame(cells: Cells, columns: Sequence[str] | None, dtype: Dtype) -> pd.DataFrame:
    import pandas as pd

    data: dict[Label, pd.Series] = {}
    for position, (name, values) in enumerate(zip(cells.names, cells.columns, strict=True)):
        declared = _declared(dtype, name, position, columns)
        check_cells(values, declared, f"column {name!r}", _column_loc(cells, position))
        data[name] = column_from_cells(values, declared)
    # Columns are built on 0..n-1 and labelled after: labels may repeat (split, table).
    frame = pd.DataFrame(data) if data else pd.DataFrame(index=pd.RangeIndex(cells.rows))
    if cells.index is not None:
        frame.index = pd.Index(cells.index)
    return frame


# --- CSV and Arrow ----------------------------------------------------------------------


def _typed_frame(
    frame: pd.DataFrame,
    columns: Sequence[str] | None,
    dtype: Dtype,
    positional: bool,
    *,
    enforce: bool = False,
) -> pd.DataFrame:
    """A parsed CSV or Arrow table with the declared columns in the declared dtypes."""
    import pandas as pd

    names: list[Label] = [str(name) for name in frame.columns]
    if len(set(names)) != len(names):
        raise UnprocessableContent("the column names repeat a name", kind="duplicate_column")
    if positional and columns is not None:
        if len(names) != len(columns):
            raise UnprocessableContent(
                f"expected {len(columns)} columns ({', '.join(columns)}), received {len(names)}",
                kind="shape_error",
            )
        names = list(columns)
    frame.columns = pd.Index(names, dtype=object)
    required = list(dtype) if isinstance(dtype, dict) else []
    check_names(names, columns, required, ("body",))
    if columns is not None:
        frame = frame[list(columns)]
    converted: dict[Label, pd.Series] = {}
    for position, name in enumerate(frame.columns):
        declared = _declared(dtype, name, position, columns)
        try:
            converted[name] = conform(frame[name], declared, enforce=enforce)
        except Mismatch as exc:
            raise UnprocessableContent(
                f"column {name!r}: {exc}", loc=("body", name), kind="dtype_error"
            ) from None
    return pd.DataFrame(converted) if converted else frame


# --- out ------------------------------------------------------------------------------


def _checked(
    result: object,
    orient: str,
    columns: Sequence[str] | None,
    dtype: Dtype,
    enforce_dtype: bool,
    shape: tuple[int, ...] | None,
    enforce_shape: bool,
) -> pd.DataFrame:
    """The API's result, checked against its declaration: a mismatch is a server bug."""
    import pandas as pd

    if not isinstance(result, pd.DataFrame):
        raise ResponseValidationError(
            f"the API returned {type(result).__name__}, not a pandas DataFrame"
        )
    positional = columns is not None and set(map(str, result.columns)) != set(columns)
    if orient == "values" and positional and result.shape[1] == len(columns or ()):
        # JSON values carry no names: positional columns (as read) are the declared ones.
        result = result.set_axis(list(columns or ()), axis=1)
    if columns is not None and list(result.columns) != list(columns):
        if sorted(map(str, result.columns)) != sorted(columns):
            raise ResponseValidationError(
                f"the API returned columns {list(result.columns)}; its output declares "
                f"{list(columns)}"
            )
        result = result[list(columns)]
    names = [str(name) for name in result.columns]
    if len(set(names)) != len(names):
        raise ResponseValidationError(f"the API returned repeated column names {names}")
    missing = [k for k in (dtype if isinstance(dtype, dict) else ()) if k not in names]
    if missing:
        raise ResponseValidationError(f"the API returned no column {missing[0]!r}")
    if shape is not None and enforce_shape and not shape_matches(result.shape, shape):
        raise ResponseValidationError(
            f"the API returned shape {shape_text(result.shape)}; its output declares "
            f"{shape_text(shape)}"
        )
    frame = result.copy(deep=False)
    frame.columns = pd.Index(names, dtype=object)
    for position, name in enumerate(names):
        declared = _declared(dtype, name, position, columns)
        try:
            frame[name] = conform(frame[name], declared, enforce=enforce_dtype)
        except Mismatch as exc:
            raise ResponseValidationError(f"the API returned column {name!r}: {exc}") from None
    return frame


def _json_value(frame: pd.DataFrame, orient: str) -> Any:
    names: list[str] = [str(n) for n in frame.columns]
    cells = [json_cells(frame[name], f"column {name!r}") for name in names]
    rows = list(zip(*cells, strict=True)) if cells else [() for _ in range(len(frame))]
    if orient == "records":
        return [dict(zip(names, row, strict=True)) for row in rows]
    if orient == "values":
        return [list(row) for row in rows]
    if orient == "split":
        return {
            "columns": names,
            "index": json_labels(frame.index, unique=False),
            "data": [list(row) for row in rows],
        }
    if orient == "index":
        keys = [str(v) for v in json_labels(frame.index, unique=True)]
        return {k: dict(zip(names, row, strict=True)) for k, row in zip(keys, rows, strict=True)}
    if orient == "columns":
        keys = [str(v) for v in json_labels(frame.index, unique=True)]
        return {
            n: dict(zip(keys, column, strict=True)) for n, column in zip(names, cells, strict=True)
        }
    return table_value(frame, names, rows)


def to_json_value(
    result: object,
    *,
    orient: str,
    columns: tuple[str, ...] | None,
    dtype: Dtype,
    enforce_dtype: bool,
    shape: tuple[int, ...] | None,
    enforce_shape: bool,
    apply_column_names: bool,
) -> Any:
    """The JSON value (lists and dicts) of a DataFrame in ``orient``, checked first."""
    require_pandas()
    frame = _checked(result, orient, columns, dtype, enforce_dtype, shape, enforce_shape)
    return _json_value(frame, orient)


def to_bytes(
    result: object,
    media_type: str,
    *,
    orient: str,
    columns: tuple[str, ...] | None,
    dtype: Dtype,
    enforce_dtype: bool,
    shape: tuple[int, ...] | None,
    enforce_shape: bool,
    apply_column_names: bool,
) -> bytes:
    """Check an API's DataFrame result against its declaration and serialise it."""
    require_pandas()
    frame = _checked(result, orient, columns, dtype, enforce_dtype, shape, enforce_shape)
    if media_type == CSV:
        return csv_bytes(frame)
    if media_type == ARROW:
        return arrow_bytes(frame, "DataFrame")
    return orjson.dumps(_json_value(frame, orient))


def encode(
    result: object,
    context: Context,
    media_type: str,
    *,
    orient: str,
    columns: tuple[str, ...] | None,
    dtype: Dtype,
    enforce_dtype: bool,
    shape: tuple[int, ...] | None,
    enforce_shape: bool,
    apply_column_names: bool,
) -> Response:
    """The response for an API's DataFrame result, in ``media_type``."""
    content = to_bytes(
        result,
        media_type,
        orient=orient,
        columns=columns,
        dtype=dtype,
        enforce_dtype=enforce_dtype,
        shape=shape,
        enforce_shape=enforce_shape,
        apply_column_names=apply_column_names,
    )
    return context.apply(BodyResponse(content, media_type))
