from __future__ import annotations

import importlib.util
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from ._base import IODescriptor

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PandasDataFrame", "PandasSeries"]

INSTALL_HINT = "pip install 'dosirak[pandas]'"
FrameOrient = Literal["records", "split", "index", "columns", "values", "table"]
SeriesOrient = Literal["records", "values", "index", "split", "table"]
FRAME_ORIENTS = ("records", "split", "index", "columns", "values", "table")
SERIES_ORIENTS = ("records", "values", "index", "split", "table")
#: Orients whose JSON names no column: there ``columns=`` names them by position.
POSITIONAL_ORIENTS = ("values",)


def _require_pandas(owner: str) -> None:
    try:
        import pandas  # noqa: F401
    except ImportError:
        raise ImportError(f"{owner} needs pandas, an optional extra: {INSTALL_HINT}") from None


def _has_pyarrow() -> bool:
    try:
        return importlib.util.find_spec("pyarrow") is not None
    except (ImportError, ValueError):  # ValueError: a None placeholder in sys.modules
        return False


def dtype_name(dtype: Any, owner: str) -> str:
    """The name of a dtype dosirak's tabular bodies carry; TypeError for any other.

    Supported: numpy bool, signed and unsigned integers, floats; pandas' ``str`` and
    ``string`` dtypes (strings, missing values as null); ``object`` (any JSON scalar).
    """
    import numpy as np
    import pandas as pd

    if isinstance(dtype, bool):  # BentoML's dtype=True/False ("infer or not") is no dtype
        raise TypeError(f"{owner}: dtype={dtype!r} is not a dtype; name one, or leave None")
    try:
        resolved = pd.api.types.pandas_dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{owner}: {dtype!r} is not a dtype: {exc}") from None
    if isinstance(resolved, pd.StringDtype):
        return str(resolved)  # "str" (NaN for missing) or "string" (pd.NA)
    if isinstance(resolved, np.dtype):
        if resolved.kind in "biuf" and resolved.name != "float128":
            return resolved.name
        if resolved.kind == "O":
            return "object"
        if resolved.kind == "U":  # pandas 2 spells str as numpy unicode
            return "str"
    raise TypeError(
        f"{owner}: dtype {resolved} is not supported; use bool, an integer or float dtype, "
        "str, string or object"
    )


def _shape(shape: Sequence[int] | None, rank: int, owner: str) -> tuple[int, ...] | None:
    if shape is None:
        return None
    dims = tuple(shape)
    if len(dims) != rank or not all(
        isinstance(d, int) and not isinstance(d, bool) and (d >= 0 or d == -1) for d in dims
    ):
        what = "(rows, columns)" if rank == 2 else "(length,)"
        raise ValueError(
            f"{owner}: shape {shape!r} must be {what}: non-negative ints, -1 for any size"
        )
    return dims


class PandasDataFrame(IODescriptor):
    """A table: JSON in one pandas ``orient``, CSV, or Arrow; `pandas.DataFrame` in Python.

    Bodies are read and written by ``Content-Type`` and ``Accept``: ``application/json``
    in ``orient`` (the form `DataFrame.to_json(orient=...)` writes and
    `pandas.read_json(orient=...)` reads), ``text/csv`` (a header row, no index column)
    and, where pyarrow is installed, an Arrow IPC stream
    (``application/vnd.apache.arrow.stream``; the columns, not the index).

    ``columns`` names the columns; ``dtype`` is one dtype for every column or a dict
    column → dtype. The document declares each known column with its JSON type; JSON
    and CSV carry no dtype, so their values are always checked against the declared
    dtype and converted to it (integers for an int column, numbers for a float one):
    a value that does not fit is 422, naming the column, the expected and the received
    dtype. Arrow carries dtypes: with ``enforce_dtype`` a column must arrive in exactly
    its declared dtype; without, a lossless cast is made (int32 → int64, whole doubles
    → int64) and anything else is 422. Columns must be the declared ones (422 otherwise).

    ``shape`` is ``(rows, columns)`` with ``-1`` for any size; it is checked (422) and
    written into the schema only with ``enforce_shape``. ``apply_column_names`` names
    positional columns: with ``orient="values"`` the JSON rows, and the CSV header or
    Arrow columns, are taken in order and named ``columns``.

    Missing values: a float column's NaN, and a str column's missing value, travel as
    JSON ``null`` both ways, and the schema says such columns are nullable; int and bool
    columns cannot hold one. JSON has no infinity: a result holding one is a server
    error unless the client asks for CSV or Arrow. Index labels that JSON object keys
    carry (orients ``index`` and ``columns``) come in as strings, or as integers where
    every label is one; ``index``/``columns``/``table`` output needs unique labels.
    Every row must have the same columns (every column the same labels); 422 otherwise.

    Example::

        @svc.api(
            input=PandasDataFrame.from_sample(pd.DataFrame({"x": [1.0], "y": [2.0]})),
            output=PandasDataFrame(columns=["label"], dtype={"label": "str"}),
        )
        def predict(df: pd.DataFrame) -> pd.DataFrame: ...
    """

    kind: ClassVar[str] = "dataframe"

    def __init__(
        self,
        orient: FrameOrient = "records",
        columns: Sequence[str] | None = None,
        dtype: Any | Mapping[str, Any] | None = None,
        enforce_dtype: bool = False,
        shape: Sequence[int] | None = None,
        enforce_shape: bool = False,
        apply_column_names: bool = False,
    ) -> None:
        owner = type(self).__name__
        _require_pandas(owner)
        if orient not in FRAME_ORIENTS:
            raise ValueError(f"{owner}: orient {orient!r} is not one of {FRAME_ORIENTS}")
        self.orient: str = orient
        self.columns: tuple[str, ...] | None = None
        if columns is not None:
            if isinstance(columns, str) or not all(isinstance(c, str) for c in columns):
                raise TypeError(f"{owner}: columns must be a list of str, got {columns!r}")
            self.columns = tuple(columns)
            if len(set(self.columns)) != len(self.columns):
                raise ValueError(f"{owner}: columns {list(self.columns)} repeat a name")
        self.dtype: str | dict[str, str] | None = None
        if isinstance(dtype, Mapping):
            self.dtype = {str(k): dtype_name(v, owner) for k, v in dtype.items()}
            unknown = [k for k in self.dtype if self.columns and k not in self.columns]
            if unknown:
                raise ValueError(f"{owner}: dtype names columns {unknown} not in columns")
            if self.columns is None and orient in ("split", *POSITIONAL_ORIENTS):
                raise TypeError(
                    f"{owner}: orient {orient!r} puts values by position; a dtype per "
                    "column needs columns= too"
                )
        elif dtype is not None:
            self.dtype = dtype_name(dtype, owner)
        self.shape = _shape(shape, 2, owner)
        width = None if self.shape is None else self.shape[1]
        if self.columns is not None and width not in (None, -1, len(self.columns)):
            raise ValueError(
                f"{owner}: shape {self.shape} has {width} columns but "
                f"columns names {len(self.columns)}"
            )
        if apply_column_names:
            if self.columns is None:
                raise TypeError(f"{owner}: apply_column_names=True needs columns=")
            if orient not in POSITIONAL_ORIENTS:
                raise TypeError(
                    f"{owner}: apply_column_names=True names positional columns; orient "
                    f"{orient!r} names its columns itself: use orient='values'"
                )
        if orient == "table" and "index" in (self.columns or ()):
            raise ValueError(
                f"{owner}: orient 'table' carries the index as the field 'index'; "
                "rename the column 'index'"
            )
        self.enforce_dtype = enforce_dtype
        self.enforce_shape = enforce_shape
        self.apply_column_names = apply_column_names
        # Arrow bodies where pyarrow is installed; the document records the choice.
        self.arrow = _has_pyarrow()
        self._sample: pd.DataFrame | None = None

    @classmethod
    def from_sample(
        cls,
        sample: pd.DataFrame,
        orient: FrameOrient = "records",
        enforce_dtype: bool = True,
        enforce_shape: bool = True,
        apply_column_names: bool = False,
    ) -> PandasDataFrame:
        """Columns and dtypes from ``sample``, which is also the document's example.

        The shape is ``(-1, columns)``: a sample fixes the columns, not the batch size.

        Example::

            PandasDataFrame.from_sample(pd.DataFrame({"x": [1.5, 2.0], "y": [0.5, 1.0]}))
        """
        _require_pandas(cls.__name__)
        import pandas as pd

        if not isinstance(sample, pd.DataFrame):
            raise TypeError(f"{cls.__name__}.from_sample takes a DataFrame, got {sample!r}")
        names = list(sample.columns)
        if not all(isinstance(name, str) for name in names):
            raise TypeError(f"{cls.__name__}.from_sample: column names must be str, got {names!r}")
        descriptor = cls(
            orient=orient,
            columns=names,
            dtype={str(name): dt for name, dt in sample.dtypes.items()},
            enforce_dtype=enforce_dtype,
            shape=(-1, len(names)),
            enforce_shape=enforce_shape,
            apply_column_names=apply_column_names,
        )
        descriptor._sample = sample
        return descriptor

    def io_spec(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "orient": self.orient,
            "columns": None if self.columns is None else list(self.columns),
            "dtype": self.dtype,
            "enforce_dtype": self.enforce_dtype,
            "shape": None if self.shape is None else list(self.shape),
            "enforce_shape": self.enforce_shape,
            "apply_column_names": self.apply_column_names,
            "arrow": self.arrow,
        }

    def example(self) -> Any | None:
        if self._sample is None:
            return None
        from dosirak.runtime.codecs.dataframe import to_json_value

        return to_json_value(self._sample, **self._params())

    def _params(self) -> dict[str, Any]:
        return {
            "orient": self.orient,
            "columns": self.columns,
            "dtype": self.dtype,
            "enforce_dtype": self.enforce_dtype,
            "shape": self.shape,
            "enforce_shape": self.enforce_shape,
            "apply_column_names": self.apply_column_names,
        }


class PandasSeries(IODescriptor):
    """A column of values: JSON in one pandas ``orient``, CSV, or Arrow; `pandas.Series`.

    Bodies are read and written by ``Content-Type`` and ``Accept``, as `PandasDataFrame`
    does, the series being a table of one column:

    - ``application/json`` in ``orient``: ``records`` or ``values`` (an array),
      ``index`` (an object label → value), ``split`` (``{"name", "index", "data"}``) or
      ``table`` (pandas' Table Schema and rows ``{"index": label, <name>: value}``;
      pandas names the values of a series without a name ``values``, and so does
      dosirak, both ways: a series named "values" comes back without a name).
    - ``text/csv``: a header row of one field, the series' name (empty, written ``""``,
      for a series without one), then one value per line; no index column. An empty
      field is a missing value; blank lines are skipped.
    - ``application/vnd.apache.arrow.stream`` where pyarrow is installed: an Arrow IPC
      stream of a one-column table, the column named by the series' name ("" for none).

    CSV and Arrow carry no index: the series read from them is indexed 0, 1, 2...
    ``dtype`` checks and converts the values as `PandasDataFrame` does a column's: JSON
    and CSV values must fit it (422 naming the expected and received dtype), enforced
    or not, as the schema says; an Arrow column must be exactly ``dtype`` with
    ``enforce_dtype``, or losslessly castable to it without. A table of more than one
    column is 422. ``shape`` is ``(length,)``, ``-1`` for any, checked (422) with
    ``enforce_shape``. A float NaN or a missing string travels as ``null``; infinity
    cannot travel as JSON (a server error unless the client accepts CSV or Arrow).

    Example::

        @svc.api(input=PandasSeries(dtype="float64"), output=PandasSeries(dtype="str"))
        def label(lengths: pd.Series) -> pd.Series: ...
    """

    kind: ClassVar[str] = "series"

    def __init__(
        self,
        orient: SeriesOrient = "records",
        dtype: Any | None = None,
        enforce_dtype: bool = False,
        shape: Sequence[int] | None = None,
        enforce_shape: bool = False,
    ) -> None:
        owner = type(self).__name__
        _require_pandas(owner)
        if orient not in SERIES_ORIENTS:
            raise ValueError(f"{owner}: orient {orient!r} is not one of {SERIES_ORIENTS}")
        self.orient: str = orient
        self.dtype = None if dtype is None else dtype_name(dtype, owner)
        self.enforce_dtype = enforce_dtype
        self.shape = _shape(shape, 1, owner)
        self.enforce_shape = enforce_shape
        # Arrow bodies where pyarrow is installed; the document records the choice.
        self.arrow = _has_pyarrow()
        self._sample: pd.Series[Any] | None = None

    @classmethod
    def from_sample(
        cls,
        sample: pd.Series[Any],
        orient: SeriesOrient = "records",
        enforce_dtype: bool = True,
        enforce_shape: bool = True,
    ) -> PandasSeries:
        """The dtype from ``sample``, which is also the document's example; any length.

        Example::

            PandasSeries.from_sample(pd.Series([1.4, 4.7, 5.6]))
        """
        _require_pandas(cls.__name__)
        import pandas as pd

        if not isinstance(sample, pd.Series):
            raise TypeError(f"{cls.__name__}.from_sample takes a Series, got {sample!r}")
        descriptor = cls(
            orient=orient,
            dtype=sample.dtype,
            enforce_dtype=enforce_dtype,
            shape=(-1,),
            enforce_shape=enforce_shape,
        )
        descriptor._sample = sample
        return descriptor

    def io_spec(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "orient": self.orient,
            "dtype": self.dtype,
            "enforce_dtype": self.enforce_dtype,
            "shape": None if self.shape is None else list(self.shape),
            "enforce_shape": self.enforce_shape,
            "arrow": self.arrow,
        }

    def example(self) -> Any | None:
        if self._sample is None:
            return None
        from dosirak.runtime.codecs.series import to_json_value

        return to_json_value(
            self._sample,
            orient=self.orient,
            dtype=self.dtype,
            enforce_dtype=self.enforce_dtype,
            shape=self.shape,
            enforce_shape=self.enforce_shape,
        )
