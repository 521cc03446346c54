"""CSV, Arrow and Table Schema bodies, shared by the dataframe and series codecs.

A body that does not parse is 400 here; whether the parsed table fits the declaration
(its columns, their dtypes) is for each codec to check, 422.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import BadRequest, UnprocessableContent
from ._frames import dtype_class, json_labels, require_pyarrow
from ._framing import ResponseValidationError
from .text import decode as decode_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["arrow_bytes", "csv_bytes", "read_arrow", "read_csv", "table_value"]

#: The declared dtype of a column, by its position and its name in the header.
Declared = Callable[[int, str], "str | None"]


def read_csv(body: bytes, content_type: str, declared: Declared) -> pd.DataFrame:
    """A CSV body with a header row as a DataFrame of str column names; 400 if not CSV.

    Columns declared as strings (or object) stay strings: "007" is not 7. Only an
    empty field is a missing value ("NA" and "null" are strings).
    """
    import pandas as pd

    text = decode_text(body, content_type)
    try:
        lines = [row for row in csv.reader(io.StringIO(text), strict=True) if row]
    except csv.Error as exc:
        raise BadRequest(f"the body is not CSV: {exc}") from None
    if not lines:
        raise BadRequest("the body is empty; send CSV with a header row")
    header = lines[0]
    for number, row in enumerate(lines[1:], start=2):
        if len(row) != len(header):
            raise BadRequest(
                f"the body is not a CSV table: record {number} has {len(row)} fields, "
                f"the header {len(header)}"
            )
    dtypes = {position: declared(position, name) for position, name in enumerate(header)}
    strings = {p: "str" for p, d in dtypes.items() if d and dtype_class(d) in ("string", "any")}
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=strings,
            index_col=False,
            keep_default_na=False,
            na_values=[""],
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise BadRequest(f"the body is not CSV: {str(exc).strip()}") from None
    if len(frame) == 0:  # a header alone: no values to infer from, so the declared dtypes
        named = {frame.columns[p]: d for p, d in dtypes.items() if d and p not in strings}
        frame = frame.astype({n: pd.api.types.pandas_dtype(d) for n, d in named.items()})
    frame.columns = pd.Index(header, dtype=object)  # pandas would rename repeats "a.1"
    return frame


def read_arrow(body: bytes) -> pd.DataFrame:
    """An Arrow IPC stream of one table as a DataFrame; 400 if it is not one."""
    require_pyarrow()
    import pyarrow as pa

    try:
        table = pa.ipc.open_stream(body).read_all()
    except (pa.ArrowException, OSError, EOFError) as exc:
        raise BadRequest(f"the body is not an Arrow IPC stream: {exc}") from None
    try:
        frame: pd.DataFrame = table.to_pandas()
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise UnprocessableContent(
            f"the Arrow table has no pandas form: {exc}", kind="dtype_error"
        ) from None
    return frame


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A header row and the rows, no index column."""
    return frame.to_csv(index=False, lineterminator="\n").encode()


def arrow_bytes(frame: pd.DataFrame, what: str) -> bytes:
    """An Arrow IPC stream of the columns (not the index); ``what`` names the result."""
    import pyarrow as pa

    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError) as exc:
        raise ResponseValidationError(f"the API's {what} has no Arrow form: {exc}") from None
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def table_value(
    frame: pd.DataFrame, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> dict[str, Any]:
    """pandas' orient 'table': a Table Schema and one object per row, the label as 'index'.

    ``rows`` are the JSON cells of ``frame``, row by row, in the order of ``names``.
    """
    import pandas as pd

    if "index" in names:
        raise ResponseValidationError(
            "the API returned a column named 'index', which orient 'table' uses for the index"
        )
    labels = json_labels(frame.index, unique=False)
    typed = frame.copy(deep=False)
    typed.index = pd.Index(labels)
    schema = pd.io.json.build_table_schema(typed, index=True, version=True)
    data = [
        {"index": label, **dict(zip(names, row, strict=True))}
        for label, row in zip(labels, rows, strict=True)
    ]
    return {"schema": schema, "data": data}
