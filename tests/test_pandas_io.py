"""PandasDataFrame and PandasSeries: schemas per orient, codecs, and a real server.

The schema of each orient must say exactly what the server takes and answers: the
unit tests run one corpus of bodies through both and require them to agree, and check
that pandas' own `to_json` output fits and that our output is what pandas writes.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pytest
from dosirak.codegen._kind_pandas import frame_json_schema, series_json_schema
from dosirak.runtime.codecs import ResponseValidationError, dataframe, series
from dosirak.runtime.errors import BadRequest, UnprocessableContent, UnsupportedMediaType
from pandas.testing import assert_frame_equal, assert_series_equal

from dosirak.io import PandasDataFrame, PandasSeries

from .conftest import ROOT, SAMPLES, Served

TARGET = f"{ROOT / 'tests' / 'services' / 'pandas_io' / 'service.py'}:svc"
SAMPLE_TARGET = f"{SAMPLES / 'tabular' / 'service.py'}:svc"
ORIENTS = ["records", "split", "index", "columns", "values", "table"]
COLUMNS = ["x", "n", "label", "flag"]
DTYPES = {"x": "float64", "n": "int64", "label": "str", "flag": "bool"}
JSON = "application/json"
CSV = "text/csv"
ARROW = "application/vnd.apache.arrow.stream"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def make_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [1.5, np.nan, -2.0],
            "n": [1, 2, 3],
            "label": pd.array(["a", None, "c"], dtype="str"),
            "flag": [True, False, True],
        }
    )


def declared(orient: str, **options: Any) -> PandasDataFrame:
    return PandasDataFrame(orient=orient, columns=COLUMNS, dtype=DTYPES, **options)  # type: ignore[arg-type]


def params(descriptor: PandasDataFrame) -> dict[str, Any]:
    return descriptor._params()


def series_params(descriptor: PandasSeries) -> dict[str, Any]:
    spec = descriptor.io_spec()
    shape = spec["shape"]
    return {
        "orient": spec["orient"],
        "dtype": spec["dtype"],
        "enforce_dtype": spec["enforce_dtype"],
        "shape": None if shape is None else tuple(shape),
        "enforce_shape": spec["enforce_shape"],
    }


FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("int64")
def _int64(value: object) -> bool:
    # The document bounds 64-bit integers by `format` (JavaScript tools round the numbers).
    return not isinstance(value, int) or -(2**63) <= value < 2**63


def validator(schema: dict[str, Any]) -> Any:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=FORMATS)


def to_arrow(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def from_arrow(body: bytes) -> pd.DataFrame:
    frame: pd.DataFrame = pa.ipc.open_stream(body).read_all().to_pandas()
    return frame


# --- schemas ------------------------------------------------------------------------


def test_records_schema_has_one_typed_property_per_column() -> None:
    schema = frame_json_schema(declared("records").io_spec())
    assert schema["type"] == "array"
    row = schema["items"]
    assert row["required"] == COLUMNS
    assert row["additionalProperties"] is False
    assert row["properties"] == {
        "x": {"type": ["number", "null"], "format": "double"},
        "n": {"type": "integer", "format": "int64"},
        "label": {"type": ["string", "null"]},
        "flag": {"type": "boolean"},
    }


def test_values_schema_types_each_position() -> None:
    schema = frame_json_schema(declared("values").io_spec())
    row = schema["items"]
    assert [cell["type"] for cell in row["prefixItems"]] == [
        ["number", "null"],
        "integer",
        ["string", "null"],
        "boolean",
    ]
    assert row["items"] is False
    assert row["minItems"] == 4


def test_split_schema_names_the_columns_in_order() -> None:
    schema = frame_json_schema(declared("split").io_spec())
    assert schema["properties"]["columns"] == {"const": COLUMNS}
    assert schema["required"] == ["columns", "data"]
    assert schema["properties"]["data"]["items"]["minItems"] == 4


@pytest.mark.parametrize("orient", ["index", "columns", "table"])
def test_keyed_orients_declare_every_column(orient: str) -> None:
    schema = frame_json_schema(declared(orient).io_spec())
    if orient == "index":
        properties = schema["additionalProperties"]["properties"]
    elif orient == "columns":
        properties = {k: v["additionalProperties"] for k, v in schema["properties"].items()}
    else:
        properties = schema["properties"]["data"]["items"]["properties"]
        assert properties.pop("index") == {
            "type": ["string", "integer"],
            "minimum": -(2**63),
            "maximum": 2**63 - 1,
        }
    assert list(properties) == COLUMNS
    assert properties["flag"] == {"type": "boolean"}


def test_enforced_shape_bounds_the_rows() -> None:
    spec = declared("records", shape=(2, 4), enforce_shape=True).io_spec()
    assert frame_json_schema(spec)["minItems"] == frame_json_schema(spec)["maxItems"] == 2
    loose = declared("records", shape=(2, 4)).io_spec()  # not enforced: not promised
    assert "minItems" not in frame_json_schema(loose)


def test_undeclared_columns_take_any_scalar() -> None:
    schema = frame_json_schema(PandasDataFrame().io_spec())
    assert schema["items"]["additionalProperties"] == {
        "type": ["string", "number", "boolean", "null"]
    }
    single = frame_json_schema(PandasDataFrame(orient="values", dtype="int8").io_spec())
    assert single["items"]["items"]["maximum"] == 127


@pytest.mark.parametrize("orient", ORIENTS)
def test_pandas_own_json_fits_the_schema_and_reads_back(orient: str) -> None:
    descriptor = declared(orient)
    check = validator(frame_json_schema(descriptor.io_spec()))
    frame = make_frame()
    theirs = json.loads(frame.to_json(orient=orient))  # type: ignore[call-overload]
    check.validate(theirs)
    decoded = dataframe.decode(json.dumps(theirs).encode(), JSON, **params(descriptor))
    if orient == "values":
        decoded.columns = pd.Index(COLUMNS)  # values carry no names
    assert_frame_equal(decoded, frame, check_index_type=False, check_column_type=False)


@pytest.mark.parametrize("orient", ORIENTS)
def test_our_json_is_what_pandas_writes_and_reads(orient: str) -> None:
    descriptor = declared(orient)
    frame = make_frame()
    ours = dataframe.to_bytes(frame, JSON, **params(descriptor))
    validator(frame_json_schema(descriptor.io_spec())).validate(orjson.loads(ours))
    assert orjson.loads(ours) == json.loads(frame.to_json(orient=orient))  # type: ignore[call-overload]
    back = pd.read_json(io.StringIO(ours.decode()), orient=orient)  # type: ignore[call-overload]
    assert back.shape == frame.shape
    assert np.isnan(back.iloc[1, 0]) and back.iloc[2, 0] == -2.0


#: Bodies per orient; each must be accepted by both the schema and the server, or by neither.
CORPUS: dict[str, list[str]] = {
    "records": [
        '[{"x": 1, "n": 2, "label": "a", "flag": true}]',
        '[{"x": null, "n": 2.0, "label": null, "flag": false}]',
        "[]",
        '[{"x": "1", "n": 2, "label": "a", "flag": true}]',
        '[{"x": 1, "n": 2.5, "label": "a", "flag": true}]',
        '[{"x": 1, "n": null, "label": "a", "flag": true}]',
        '[{"x": 1, "n": 2, "label": 3, "flag": true}]',
        '[{"x": 1, "n": 2, "label": "a", "flag": 1}]',
        '[{"x": 1, "n": 2, "label": "a"}]',
        '[{"x": 1, "n": 2, "label": "a", "flag": true, "extra": 1}]',
        '[{"x": 1, "n": 9223372036854775808, "label": "a", "flag": true}]',
        '[{"x": 1, "n": -9223372036854775809, "label": "a", "flag": true}]',
        '[{"x": 1, "n": -9223372036854775808, "label": "a", "flag": true}]',
        '[{"x": [1], "n": 2, "label": "a", "flag": true}]',
        '[[1, 2, "a", true]]',
        '{"x": 1}',
    ],
    "index": [
        '{"r1": {"x": 1, "n": 2, "label": "a", "flag": true}}',
        "{}",
        '{"r1": {"x": 1, "n": 2, "label": "a"}}',
        '{"r1": [1, 2, "a", true]}',
        "[]",
    ],
    "columns": [
        '{"x": {"0": 1}, "n": {"0": 1}, "label": {"0": "a"}, "flag": {"0": true}}',
        '{"x": {}, "n": {}, "label": {}, "flag": {}}',
        '{"x": {"0": 1}, "n": {"0": 1}, "label": {"0": "a"}}',
        '{"x": {"0": 1}, "n": {"0": 1}, "label": {"0": "a"}, "flag": {"0": "yes"}}',
        '{"x": [1], "n": {"0": 1}, "label": {"0": "a"}, "flag": {"0": true}}',
    ],
    "split": [
        '{"columns": ["x", "n", "label", "flag"], "data": [[1, 2, "a", true]]}',
        '{"columns": ["x", "n", "label", "flag"], "index": ["r", 7], "data": [[1, 2, "a", true], '
        "[null, 3, null, false]]}",
        '{"columns": ["x", "n", "label", "flag"], "index": [true], "data": [[1, 2, "a", true]]}',
        '{"columns": ["x", "n", "label", "flag"], "index": [1.5], "data": [[1, 2, "a", true]]}',
        '{"columns": ["n", "x", "label", "flag"], "data": [[1, 2, "a", true]]}',
        '{"columns": ["x", "n", "label", "flag"], "data": [[1, 2, "a"]]}',
        '{"columns": ["x", "n", "label", "flag"], "data": [[1, 2, "a", true, 5]]}',
        '{"columns": ["x", "n", "label", "flag"], "data": [[1, 2, "a", true]], "name": "t"}',
        '{"data": [[1, 2, "a", true]]}',
    ],
    "values": [
        '[[1, 2, "a", true], [2.5, -1, null, false]]',
        "[]",
        '[[1, 2, "a"]]',
        '[[1, 2, "a", true, 0]]',
        '[[1, "2", "a", true]]',
        '[{"x": 1}]',
    ],
    "table": [
        '{"schema": {"fields": []}, "data": [{"index": 0, "x": 1, "n": 2, "label": "a", '
        '"flag": true}]}',
        '{"schema": {"fields": [{"name": "x", "type": "number"}], "primaryKey": ["index"], '
        '"pandas_version": "1.4.0"}, "data": []}',
        '{"schema": {"fields": [{"name": "x"}]}, "data": []}',
        '{"schema": {}, "data": []}',
        '{"schema": {"fields": []}, "data": [{"x": 1, "n": 2, "label": "a", "flag": true}]}',
        '{"schema": {"fields": []}, "data": [{"index": 0, "x": 1, "n": 2, "label": "a"}]}',
        '{"schema": {"fields": []}, "data": [], "extra": 1}',
        '{"schema": {"fields": []}, "data": [{"index": 1e30, "x": 1, "n": 2, "label": "a", '
        '"flag": true}]}',
    ],
}


def _server_accepts(decode: Callable[[], object]) -> bool:
    try:
        decode()
    except UnprocessableContent:
        return False
    return True


@pytest.mark.parametrize(
    ("orient", "text"), [(o, t) for o, bodies in CORPUS.items() for t in bodies]
)
def test_schema_and_server_agree(orient: str, text: str) -> None:
    descriptor = declared(orient)
    schema_says = validator(frame_json_schema(descriptor.io_spec())).is_valid(json.loads(text))
    server_says = _server_accepts(
        lambda: dataframe.decode(text.encode(), JSON, **params(descriptor))
    )
    assert schema_says == server_says, (schema_says, server_says)


SERIES_CORPUS: dict[str, list[str]] = {
    "records": ["[1, 2.5, null]", "[]", '["a"]', "[true]", "[[1]]", '{"a": 1}'],
    "index": ['{"a": 1, "b": null}', "{}", '{"a": "x"}', "[1]"],
    "split": [
        '{"name": "s", "index": [0, "b"], "data": [1, 2]}',
        '{"data": []}',
        '{"name": null, "data": [1]}',
        '{"name": 1, "data": [1]}',
        '{"index": [0], "data": ["x"]}',
        '{"columns": [], "data": [1]}',
        '{"index": [0]}',
    ],
    "table": [
        '{"schema": {"fields": []}, "data": [{"index": 0, "values": 1.5}, {"index": "b", '
        '"values": null}]}',
        '{"schema": {"fields": []}, "data": []}',
        '{"schema": {"fields": []}, "data": [{"index": 0}]}',
        '{"schema": {"fields": []}, "data": [{"index": 0, "a": 1, "b": 2}]}',
        '{"schema": {"fields": []}, "data": [{"a": 1, "b": 2}]}',
        '{"schema": {"fields": []}, "data": [{"index": 0, "a": "x"}]}',
        '{"schema": {"fields": []}, "data": [{"index": 0.5, "a": 1}]}',
        '{"schema": {}, "data": []}',
        '{"data": []}',
        "[1.5]",
    ],
}


@pytest.mark.parametrize(
    ("orient", "text"), [(o, t) for o, bodies in SERIES_CORPUS.items() for t in bodies]
)
def test_series_schema_and_server_agree(orient: str, text: str) -> None:
    descriptor = PandasSeries(orient=orient, dtype="float64")  # type: ignore[arg-type]
    schema_says = validator(series_json_schema(descriptor.io_spec())).is_valid(json.loads(text))
    server_says = _server_accepts(
        lambda: series.decode(text.encode(), JSON, **series_params(descriptor))
    )
    assert schema_says == server_says, (schema_says, server_says)


@pytest.mark.parametrize("orient", ["records", "index", "split", "values", "table"])
@pytest.mark.parametrize("name", ["length", None])
def test_series_round_trips_as_pandas_writes_it(orient: str, name: str | None) -> None:
    values = pd.Series([1.5, np.nan, 3.0], name=name, index=[4, 5, 6])
    descriptor = PandasSeries.from_sample(values, orient=orient)  # type: ignore[arg-type]
    body = series.to_bytes(values, JSON, **series_params(descriptor))
    if orient != "values":  # pandas writes no "values" orient for a Series
        assert orjson.loads(body) == json.loads(values.to_json(orient=orient))  # type: ignore[call-overload]
    validator(series_json_schema(descriptor.io_spec())).validate(orjson.loads(body))
    back = series.decode(body, JSON, **series_params(descriptor))
    named = orient in ("split", "table")
    if orient in ("records", "values"):  # these carry no index
        back.index = values.index
    assert_series_equal(back, values, check_names=named, check_index_type=False)


def test_series_csv_and_arrow_carry_one_named_column() -> None:
    descriptor = PandasSeries(dtype="float64")
    values = pd.Series([1.5, np.nan, np.inf], name="length", index=[7, 8, 9])
    csv = series.to_bytes(values, CSV, **series_params(descriptor))
    assert csv == values.to_csv(index=False, lineterminator="\n").encode()
    unnamed = series.to_bytes(values.rename(None), CSV, **series_params(descriptor))
    assert unnamed == b'""\n1.5\n""\ninf\n'  # the header: an empty name
    expected = values.reset_index(drop=True)
    for body, media_type in [
        (csv, CSV),
        (series.to_bytes(values, ARROW, **series_params(descriptor)), ARROW),
    ]:
        back = series.decode(body, media_type, **series_params(descriptor))
        assert_series_equal(back, expected)  # the name travels, the index does not
    assert series.decode(unnamed, CSV, **series_params(descriptor)).name is None
    arrow = series.to_bytes(values.rename(None), ARROW, **series_params(descriptor))
    assert from_arrow(arrow).columns.tolist() == [""]
    codes = PandasSeries(dtype="str")
    assert series.decode(b'code\n007\n""\n', CSV, **series_params(codes)).tolist()[0] == "007"
    empty = series.decode(b"n\n", CSV, **series_params(PandasSeries(dtype="int64")))
    assert empty.dtype == np.int64 and empty.name == "n"
    with pytest.raises(UnprocessableContent, match="expected one column"):
        series.decode(b"a,b\n1,2\n", CSV, **series_params(descriptor))
    with pytest.raises(UnprocessableContent, match="expected one column"):
        series.decode(to_arrow(make_frame()), ARROW, **series_params(descriptor))
    with pytest.raises(UnprocessableContent, match="the series: expected dtype float64"):
        series.decode(b"x\ntall\n", CSV, **series_params(descriptor))
    strict = PandasSeries(dtype="int64", enforce_dtype=True)
    int32 = to_arrow(pd.DataFrame({"n": pd.array([1, 2], dtype="int32")}))
    with pytest.raises(UnprocessableContent, match="expected dtype int64, received int32"):
        series.decode(int32, ARROW, **series_params(strict))
    loose = series.decode(int32, ARROW, **series_params(PandasSeries(dtype="int64")))
    assert loose.dtype == np.int64
    with pytest.raises(BadRequest, match="not an Arrow IPC stream"):
        series.decode(b"nope", ARROW, **series_params(descriptor))
    with pytest.raises(ResponseValidationError, match="infinity"):
        series.to_bytes(values, JSON, **series_params(descriptor))
    with pytest.raises(ResponseValidationError, match="'index'"):
        table = PandasSeries(orient="table")
        series.to_bytes(pd.Series([1], name="index"), JSON, **series_params(table))


def test_from_sample_takes_columns_dtypes_and_example() -> None:
    frame = make_frame()
    descriptor = PandasDataFrame.from_sample(frame)
    spec = descriptor.io_spec()
    assert spec["columns"] == COLUMNS
    assert spec["dtype"] == DTYPES
    assert spec["shape"] == [-1, 4]
    assert spec["enforce_dtype"] and spec["enforce_shape"]
    example = descriptor.example()
    assert example == json.loads(frame.to_json(orient="records"))
    validator(frame_json_schema(spec)).validate(example)
    split = PandasDataFrame.from_sample(frame, orient="split")
    validator(frame_json_schema(split.io_spec())).validate(split.example())


def test_series_from_sample() -> None:
    descriptor = PandasSeries.from_sample(pd.Series([1, 2, 3], dtype="int32"))
    assert descriptor.io_spec()["dtype"] == "int32"
    assert descriptor.example() == [1, 2, 3]


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: PandasDataFrame(orient="rows"), ValueError, "orient"),  # type: ignore[arg-type]
        (lambda: PandasDataFrame(apply_column_names=True), TypeError, "needs columns"),
        (
            lambda: PandasDataFrame(columns=["a"], apply_column_names=True),
            TypeError,
            "orient='values'",
        ),
        (lambda: PandasDataFrame(dtype="datetime64[ns]"), TypeError, "not supported"),
        (lambda: PandasDataFrame(dtype=True), TypeError, "not a dtype"),
        (lambda: PandasDataFrame(orient="split", dtype={"a": "int64"}), TypeError, "columns="),
        (lambda: PandasDataFrame(columns=["a"], dtype={"b": "int64"}), ValueError, "not in"),
        (lambda: PandasDataFrame(columns=["a", "a"]), ValueError, "repeat"),
        (lambda: PandasDataFrame(columns=["a"], shape=(-1, 2)), ValueError, "columns"),
        (lambda: PandasDataFrame(shape=(3,)), ValueError, "(rows, columns)"),
        (lambda: PandasDataFrame(orient="table", columns=["index"]), ValueError, "index"),
        (lambda: PandasSeries(orient="columns"), ValueError, "orient"),  # type: ignore[arg-type]
    ],
)
def test_definition_errors(make: Callable[[], object], error: type, message: str) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        make()


# --- codecs -------------------------------------------------------------------------


def test_nan_is_null_and_infinity_cannot_be_json() -> None:
    descriptor = PandasDataFrame()
    frame = pd.DataFrame({"x": [1.0, np.nan, np.inf]})
    with pytest.raises(ResponseValidationError, match="infinity"):
        dataframe.to_bytes(frame, JSON, **params(descriptor))
    csv = dataframe.to_bytes(frame, CSV, **params(descriptor))
    assert csv == b'x\n1.0\n""\ninf\n'  # pandas quotes a lone empty field
    assert_frame_equal(dataframe.decode(csv, CSV, **params(descriptor)), frame)
    assert from_arrow(dataframe.to_bytes(frame, ARROW, **params(descriptor)))["x"].iloc[2] > 0
    finite = dataframe.to_bytes(frame.iloc[:2], JSON, **params(descriptor))
    assert orjson.loads(finite) == [{"x": 1.0}, {"x": None}]


def test_result_must_fit_the_declaration() -> None:
    descriptor = declared("records", enforce_dtype=True)
    frame = make_frame()
    with pytest.raises(ResponseValidationError, match="columns"):
        dataframe.to_bytes(frame[["x", "n"]], JSON, **params(descriptor))
    with pytest.raises(ResponseValidationError, match="expected dtype int64, received int32"):
        dataframe.to_bytes(frame.astype({"n": "int32"}), JSON, **params(descriptor))
    loose = declared("records")  # not enforced: a lossless cast is made
    body = dataframe.to_bytes(frame.astype({"n": "int32"}), JSON, **params(loose))
    assert orjson.loads(body)[0]["n"] == 1
    with pytest.raises(ResponseValidationError, match="missing values"):
        dataframe.to_bytes(frame.astype({"n": "float64"}).assign(n=np.nan), JSON, **params(loose))
    with pytest.raises(ResponseValidationError, match="not a pandas DataFrame"):
        dataframe.to_bytes([1, 2], JSON, **params(loose))
    # Columns in another order are put in the declared order.
    reordered = dataframe.to_bytes(frame[COLUMNS[::-1]], JSON, **params(declared("values")))
    assert orjson.loads(reordered)[0] == [1.5, 1, "a", True]


def test_csv_in() -> None:
    descriptor = PandasDataFrame(columns=["code", "n"], dtype={"code": "str", "n": "int64"})
    frame = dataframe.decode(b"code,n\n007,1\n,2\n", CSV, **params(descriptor))
    assert frame["code"].tolist()[0] == "007"  # a declared string column stays a string
    assert pd.isna(frame["code"].iloc[1])
    assert frame["n"].dtype == np.int64
    with pytest.raises(UnprocessableContent, match="column 'n': expected dtype int64"):
        dataframe.decode(b"code,n\na,b\n", CSV, **params(descriptor))
    with pytest.raises(UnprocessableContent, match="missing column 'n'"):
        dataframe.decode(b"code\na\n", CSV, **params(descriptor))
    with pytest.raises(BadRequest, match="record 3 has 1 fields"):
        dataframe.decode(b"code,n\na,1\nb\n", CSV, **params(descriptor))
    with pytest.raises(BadRequest, match="not CSV"):
        dataframe.decode(b'code,"n\n', CSV, **params(descriptor))
    with pytest.raises(BadRequest, match="empty"):
        dataframe.decode(b"\n", CSV, **params(descriptor))
    with pytest.raises(UnsupportedMediaType, match="charset"):
        dataframe.decode(b"code,n\n", "text/csv; charset=nope", **params(descriptor))


def test_positional_columns_are_named() -> None:
    descriptor = PandasDataFrame(
        orient="values", columns=["a", "b"], dtype="float64", apply_column_names=True
    )
    frame = dataframe.decode(b"[[1, 2]]", JSON, **params(descriptor))
    assert list(frame.columns) == ["a", "b"]
    from_csv = dataframe.decode(b"first,second\n1,2\n", CSV, **params(descriptor))
    assert list(from_csv.columns) == ["a", "b"]
    with pytest.raises(UnprocessableContent, match="expected 2 columns"):
        dataframe.decode(b"first\n1\n", CSV, **params(descriptor))
    unnamed = PandasDataFrame(orient="values", columns=["a", "b"], dtype="float64")
    assert list(dataframe.decode(b"[[1, 2]]", JSON, **params(unnamed)).columns) == [0, 1]


def test_arrow_in_enforced_and_cast() -> None:
    frame = make_frame().astype({"n": "int32"})
    strict = declared("records", enforce_dtype=True)
    with pytest.raises(
        UnprocessableContent, match="column 'n': expected dtype int64, received int32"
    ):
        dataframe.decode(to_arrow(frame), ARROW, **params(strict))
    loose = dataframe.decode(to_arrow(frame), ARROW, **params(declared("records")))
    assert loose["n"].dtype == np.int64
    fractions = frame.astype({"n": "float64"}).assign(n=[1.0, 2.5, 3.0])
    with pytest.raises(UnprocessableContent, match="fractions"):
        dataframe.decode(to_arrow(fractions), ARROW, **params(declared("records")))
    with pytest.raises(BadRequest, match="not an Arrow IPC stream"):
        dataframe.decode(b"not arrow", ARROW, **params(strict))


def test_import_dosirak_works_without_pandas() -> None:
    code = (
        "import sys\n"
        "sys.modules['pandas'] = None\n"
        "sys.modules['pyarrow'] = None\n"
        "import dosirak, dosirak.io\n"
        "from dosirak.runtime.codecs import dataframe, series\n"
        "try:\n"
        "    dosirak.io.PandasDataFrame()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd="/"
    )
    assert result.returncode == 0, result.stderr
    assert "pip install 'dosirak[pandas]'" in result.stdout


# --- a real server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(serve_target: Callable[[str], Served]) -> Served:
    return serve_target(TARGET)


@pytest.fixture
def client(server: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def document(server: Served) -> dict[str, Any]:
    body: dict[str, Any] = httpx.get(f"{server.base_url}/openapi.json").json()
    return body


def response_schema(document: dict[str, Any], path: str) -> Any:
    content = document["paths"][path]["post"]["responses"]["200"]["content"]
    return validator(content[JSON]["schema"])


def assert_problem(response: httpx.Response, status: int, path: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["instance"] == path
    return body


def assert_still_serving(client: httpx.Client) -> None:
    body = make_frame().to_json(orient="records")
    response = client.post("/frame_records", content=body, headers={"content-type": JSON})
    assert response.status_code == 200


@pytest.mark.parametrize("orient", ORIENTS)
def test_every_orient_round_trips(
    client: httpx.Client, document: dict[str, Any], orient: str
) -> None:
    body = make_frame().to_json(orient=orient)  # type: ignore[call-overload]
    path = f"/frame_{orient}"
    response = client.post(path, content=body, headers={"content-type": JSON})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSON
    assert response.json() == json.loads(body)
    response_schema(document, path).validate(response.json())


@pytest.mark.parametrize("orient", ["records", "index", "split", "table"])
def test_series_round_trips(client: httpx.Client, document: dict[str, Any], orient: str) -> None:
    body = pd.Series([1.5, None, 3.0], name="s").to_json(orient=orient)  # type: ignore[call-overload]
    path = f"/series_{orient}"
    response = client.post(path, content=body, headers={"content-type": JSON})
    assert response.status_code == 200, response.text
    assert response.json() == json.loads(body)
    response_schema(document, path).validate(response.json())


def test_series_csv_and_arrow_in_and_out(client: httpx.Client) -> None:
    codes = pd.Series(["007", None, "x"], name="code", dtype="str")
    response = client.post(
        "/series_codes",
        content=codes.to_csv(index=False),
        headers={"content-type": "text/csv; charset=utf-8", "accept": CSV},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text == 'code\n007\n""\nx\n'  # the header row is the series' name
    response = client.post(
        "/series_codes", content=to_arrow(codes.to_frame()), headers={"content-type": ARROW}
    )
    assert response.json() == ["007", None, "x"]  # Arrow in, JSON out
    values = pd.Series([1, 2, 3], name="n")
    response = client.post(
        "/series_enforced",
        content=to_arrow(values.to_frame()),
        headers={"content-type": ARROW, "accept": ARROW},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == ARROW
    assert_frame_equal(from_arrow(response.content), values.to_frame())
    table = client.post("/series_table", content=b'""\n1.5\n""\n', headers={"content-type": CSV})
    assert table.json() == json.loads(pd.Series([1.5, None]).to_json(orient="table"))


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("text/*", "text/csv; charset=utf-8"),
        (f"{JSON};q=0.5, {ARROW}", ARROW),
        ("*/*", JSON),
    ],
)
def test_series_accept_chooses_the_format(
    client: httpx.Client, accept: str | None, expected: str
) -> None:
    headers = {"content-type": JSON} | ({"accept": accept} if accept else {})
    response = client.post(
        "/series_split", content=b'{"name": "s", "data": [1.5]}', headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == expected
    if expected == ARROW:
        assert from_arrow(response.content).to_dict("list") == {"s": [1.5]}
    not_acceptable = client.post(
        "/series_split", content=b"[]", headers={"content-type": JSON, "accept": "image/png"}
    )
    assert ARROW in assert_problem(not_acceptable, 406, "/series_split")["detail"]


@pytest.mark.parametrize(
    ("path", "body", "content_type", "status", "detail"),
    [
        ("/series_records", b"[1.5", JSON, 400, "not valid JSON"),
        ("/series_records", b'x,"y\n', CSV, 400, "not CSV"),
        ("/series_records", b"x\n1\n2,3\n", CSV, 400, "record 3 has 2 fields"),
        ("/series_records", b"", CSV, 400, "empty"),
        ("/series_records", b"not arrow", ARROW, 400, "not an Arrow IPC stream"),
        ("/series_records", b'["tall"]', JSON, 422, "expected dtype float64, received str"),
        ("/series_records", b"x\ntall\n", CSV, 422, "expected dtype float64, received str"),
        ("/series_records", b"a,b\n1,2\n", CSV, 422, "expected one column (the series)"),
        ("/series_enforced", b"n\n1\n2\n3.5\n", CSV, 422, "received float64"),
        ("/series_enforced", b"n\n1\n2\n", CSV, 422, "expected shape (3,), received (2,)"),
        ("/series_enforced", b"[1, 2, 3, 4]", JSON, 422, "expected shape (3,)"),
        (
            "/series_enforced",
            to_arrow(pd.DataFrame({"n": pd.array([1, 2, 3], dtype="int32")})),
            ARROW,
            422,
            "the series: expected dtype int64, received int32",
        ),
        (
            "/series_table",
            b'{"schema": {"fields": []}, "data": [{"index": 0, "a": 1, "b": 2}]}',
            JSON,
            422,
            "one value",
        ),
        ("/series_records", b"[1.5]", "text/plain", 415, "text/plain"),
    ],
)
def test_series_bad_bodies(
    client: httpx.Client, path: str, body: bytes, content_type: str, status: int, detail: str
) -> None:
    response = client.post(path, content=body, headers={"content-type": content_type})
    assert detail in assert_problem(response, status, path)["detail"]
    assert_still_serving(client)
    fine = client.post(path, content=b"n\n1\n2\n3\n", headers={"content-type": CSV})
    assert fine.status_code == 200, fine.text


def test_csv_in_and_out(client: httpx.Client) -> None:
    frame = make_frame()
    response = client.post(
        "/frame_records",
        content=frame.to_csv(index=False),
        headers={"content-type": "text/csv; charset=utf-8", "accept": CSV},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    back = pd.read_csv(io.StringIO(response.text), dtype={"label": "str"})
    assert_frame_equal(back, frame)


def test_arrow_in_and_out(client: httpx.Client) -> None:
    frame = make_frame()
    response = client.post(
        "/frame_split",
        content=to_arrow(frame),
        headers={"content-type": ARROW, "accept": ARROW},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == ARROW
    assert_frame_equal(from_arrow(response.content), frame)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, JSON),
        ("text/csv", "text/csv; charset=utf-8"),
        (ARROW, ARROW),
        ("text/*", "text/csv; charset=utf-8"),
        ("application/json;q=0.5, text/csv;q=0.9", "text/csv; charset=utf-8"),
        ("*/*", JSON),
    ],
)
def test_accept_chooses_the_response_format(
    client: httpx.Client, accept: str | None, expected: str
) -> None:
    headers = {"content-type": JSON} | ({"accept": accept} if accept else {})
    body = make_frame().to_json(orient="records")
    response = client.post("/frame_records", content=body, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == expected
    if expected == ARROW:
        assert_frame_equal(from_arrow(response.content), make_frame())


def test_unacceptable_accept_is_406(client: httpx.Client) -> None:
    response = client.post(
        "/frame_records", content=b"[]", headers={"content-type": JSON, "accept": "image/png"}
    )
    assert "text/csv" in assert_problem(response, 406, "/frame_records")["detail"]


def test_dtype_mismatch_is_422_naming_the_column(client: httpx.Client) -> None:
    bad = '[{"x": "tall", "n": 1, "label": "a", "flag": true}]'
    response = client.post("/frame_records", content=bad, headers={"content-type": JSON})
    problem = assert_problem(response, 422, "/frame_records")
    assert "column 'x'" in problem["detail"]
    assert "expected dtype float64, received str" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["body", 0, "x"]
    assert problem["errors"][0]["type"] == "dtype_error"
    csv = client.post(
        "/frame_records", content="x,n,label,flag\n1,2.5,a,true\n", headers={"content-type": CSV}
    )
    assert (
        "column 'n': expected dtype int64, received float64"
        in (assert_problem(csv, 422, "/frame_records")["detail"])
    )
    arrow = pd.DataFrame({"a": pd.array([1], dtype="int32"), "b": [1.0], "c": ["x"]})
    enforced = client.post("/enforced", content=to_arrow(arrow), headers={"content-type": ARROW})
    problem = assert_problem(enforced, 422, "/enforced")
    assert problem["detail"] == "column 'a': expected dtype int64, received int32"
    assert problem["errors"][0]["loc"] == ["body", "a"]
    assert_still_serving(client)


def test_enforced_arrow_in_exact_dtypes(client: httpx.Client) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": pd.array([0.5, 1.5], dtype="float32"), "c": ["x", "y"]})
    response = client.post(
        "/enforced", content=to_arrow(frame), headers={"content-type": ARROW, "accept": ARROW}
    )
    assert response.status_code == 200, response.text
    assert_frame_equal(from_arrow(response.content), frame)


@pytest.mark.parametrize(
    ("path", "body", "content_type", "detail"),
    [
        (
            "/fixed_shape",
            b"[[1, 2, 3]]",
            JSON,
            "expected shape (2, 3) (rows, columns), received (1, 3)",
        ),
        ("/fixed_shape", b"0,1,2\n1,2,3\n4,5,6\n7,8,9\n", CSV, "received (3, 3)"),
        ("/fixed_shape", b"[[1, 2, 3, 4], [5, 6, 7, 8]]", JSON, "received (2, 4)"),
    ],
)
def test_wrong_shape_is_422(
    client: httpx.Client, path: str, body: bytes, content_type: str, detail: str
) -> None:
    response = client.post(path, content=body, headers={"content-type": content_type})
    problem = assert_problem(response, 422, path)
    assert detail in problem["detail"]
    assert problem["errors"][0]["type"] == "shape_error"
    assert_still_serving(client)


def test_right_shape_passes(client: httpx.Client) -> None:
    response = client.post(
        "/fixed_shape", content=b"[[1, 2, 3], [4, 5, 6.5]]", headers={"content-type": JSON}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]]
    assert response.json()["columns"] == ["0", "1", "2"]


@pytest.mark.parametrize(
    ("body", "content_type", "detail"),
    [
        (b'[{"x": 1', JSON, "not valid JSON"),
        (b"", JSON, "empty"),
        (b'x,"n\n1,2\n', CSV, "not CSV"),
        (b"x,n,label,flag\n1,2,a,true\n3\n", CSV, "record 3 has 1 fields"),
        (b"\xff\xfe", CSV, "not valid utf-8"),
        (b"", CSV, "empty"),
        (b"PAR1 not arrow", ARROW, "not an Arrow IPC stream"),
        (to_arrow(make_frame())[:40], ARROW, "not an Arrow IPC stream"),
    ],
)
def test_malformed_body_is_400(
    client: httpx.Client, body: bytes, content_type: str, detail: str
) -> None:
    response = client.post("/frame_records", content=body, headers={"content-type": content_type})
    assert detail in assert_problem(response, 400, "/frame_records")["detail"]
    assert_still_serving(client)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-npy", None])
def test_wrong_content_type_is_415(client: httpx.Client, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/frame_records", content=b"[]", headers=headers)
    assert_problem(response, 415, "/frame_records")
    assert_still_serving(client)


def test_undeclared_columns_are_inferred(client: httpx.Client) -> None:
    body = b'[{"a": 1, "b": "x"}, {"a": 2.5, "b": null}]'
    response = client.post("/any_columns", content=body, headers={"content-type": JSON})
    assert response.json() == [{"a": 1.0, "b": "x"}, {"a": 2.5, "b": None}]
    ragged = client.post(
        "/any_columns", content=b'[{"a": 1}, {"b": 2}]', headers={"content-type": JSON}
    )
    problem = assert_problem(ragged, 422, "/any_columns")
    assert problem["errors"][0]["loc"] == ["body", 1]


def test_schemathesis_finds_nothing_in_any_orient(server: Served, tmp_path: Path) -> None:
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{server.base_url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "25",
            "--seed",
            "20261126",
            "--generation-deterministic",
            "--no-color",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]


# --- the sample ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(serve_target: Callable[[str], Served]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=serve_target(SAMPLE_TARGET).base_url, timeout=10) as client:
        yield client


def test_sample_readme_examples(sample: httpx.Client) -> None:
    flowers = (
        b'[{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2},'
        b' {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.2, "petal_width": null}]'
    )
    response = sample.post("/classify", content=flowers, headers={"content-type": JSON})
    assert response.json() == [
        {"species": "setosa", "class_id": 0},
        {"species": None, "class_id": -1},
    ]
    csv = b"sepal_length,sepal_width,petal_length,petal_width\n5.9,3.0,5.1,1.8\n5.5,2.4,3.8,1.1\n"
    response = sample.post("/classify", content=csv, headers={"content-type": CSV, "accept": CSV})
    assert response.text == "species,class_id\nvirginica,2\nversicolor,1\n"
    rows = sample.post("/classify_rows", json=[[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]])
    assert rows.json() == ["setosa", "virginica"]
    lengths = sample.post("/species_by_petal_length", json=[1.4, 4.7, None, 5.6])
    assert lengths.json() == {
        "name": "species",
        "index": [0, 1, 2, 3],
        "data": ["setosa", "versicolor", None, "virginica"],
    }
    as_csv = sample.post(
        "/species_by_petal_length",
        content=b"petal_length\n1.4\n5.6\n",
        headers={"content-type": CSV, "accept": CSV},
    )
    assert as_csv.text == "species\nsetosa\nvirginica\n"


def test_sample_document_carries_the_sample(sample: httpx.Client) -> None:
    document = sample.get("/openapi.json").json()
    body = document["paths"]["/classify"]["post"]["requestBody"]
    example = body["content"][JSON]["example"]
    assert example[0] == {
        "sepal_length": 5.1,
        "sepal_width": 3.5,
        "petal_length": 1.4,
        "petal_width": 0.2,
    }
    assert set(body["content"]) == {JSON, CSV, ARROW}
    validator(body["content"][JSON]["schema"]).validate(example)
