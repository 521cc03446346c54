"""Echo APIs for every pandas orient: what comes in goes back out, through the codecs."""

from __future__ import annotations

from typing import Any

import pandas as pd

import dosirak
from dosirak.io import PandasDataFrame, PandasSeries

COLUMNS = ["x", "n", "label", "flag"]
DTYPES = {"x": "float64", "n": "int64", "label": "str", "flag": "bool"}
ORIENTS = ["records", "split", "index", "columns", "values", "table"]

svc = dosirak.Service("pandas_io")


def _echo(value: Any) -> Any:
    return value


for _orient in ORIENTS:
    _frame = PandasDataFrame(orient=_orient, columns=COLUMNS, dtype=DTYPES)  # type: ignore[arg-type]
    svc.api(input=_frame, output=_frame, name=f"frame_{_orient}")(_echo)

for _orient in ["records", "index", "split", "table"]:
    _series = PandasSeries(orient=_orient, dtype="float64")  # type: ignore[arg-type]
    svc.api(input=_series, output=_series, name=f"series_{_orient}")(_echo)


@svc.api(
    input=PandasDataFrame(
        columns=["a", "b", "c"],
        dtype={"a": "int64", "b": "float32", "c": "str"},
        enforce_dtype=True,
        shape=(-1, 3),
        enforce_shape=True,
    ),
    output=PandasDataFrame(columns=["a", "b", "c"], dtype={"a": "int64", "b": "float32"}),
)
def enforced(frame: pd.DataFrame) -> pd.DataFrame:
    """Dtypes enforced: Arrow columns must come in exactly these dtypes."""
    return frame


@svc.api(
    input=PandasDataFrame(orient="values", dtype="float64", shape=(2, 3), enforce_shape=True),
    output=PandasDataFrame(orient="split"),
)
def fixed_shape(frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly two rows of three numbers; columns by position, named 0, 1, 2."""
    return frame


@svc.api(input=PandasDataFrame(orient="records"), output=PandasDataFrame(orient="records"))
def any_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """No declaration: any columns of JSON scalars; dtypes as pandas infers them."""
    return frame


@svc.api(
    input=PandasSeries(dtype="int64", enforce_dtype=True, shape=(3,), enforce_shape=True),
    output=PandasSeries(dtype="int64", enforce_dtype=True),
)
def series_enforced(values: pd.Series) -> pd.Series:
    """Exactly three int64 values; an Arrow column must come in as int64."""
    return values


@svc.api(input=PandasSeries(dtype="str"), output=PandasSeries(dtype="str"))
def series_codes(codes: pd.Series) -> pd.Series:
    """Strings: CSV's "007" stays "007"; the series' name travels in the CSV header."""
    return codes
