"""What the dataframe and series codecs share: dtypes, JSON cells, conversions.

pandas and pyarrow are optional extras: they are imported inside the functions, so
``import dosirak`` and every other codec work without them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UnprocessableContent, UnsupportedMediaType
from ._framing import ResponseValidationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ARROW",
    "CSV",
    "INSTALL_HINT",
    "JSON",
    "Loc",
    "Mismatch",
    "check_cells",
    "column_from_cells",
    "conform",
    "dtype_class",
    "index_from_keys",
    "json_cells",
    "json_labels",
    "label_value",
    "require_pandas",
    "require_pyarrow",
    "shape_matches",
    "shape_text",
]

JSON = "application/json"
CSV = "text/csv"
ARROW = "application/vnd.apache.arrow.stream"
INSTALL_HINT = "pip install 'dosirak[pandas]'"

Loc = tuple["str | int", ...]
_INT_NAMES = frozenset(f"{s}int{b}" for s in ("", "u") for b in (8, 16, 32, 64))
_FLOAT_NAMES = frozenset({"float16", "float32", "float64"})


def require_pandas() -> None:
    """Fail with the install command when the optional extra is missing."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        raise ImportError(f"tabular bodies need pandas: {INSTALL_HINT}") from None


def require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise UnsupportedMediaType(
            f"this server cannot read Arrow: pyarrow is not installed ({INSTALL_HINT}); "
            "send application/json or text/csv"
        ) from None


def dtype_class(dtype: str | None) -> str:
    """``bool``, ``int``, ``float``, ``string`` or ``any`` (object, or not declared)."""
    if dtype == "bool":
        return "bool"
    if dtype in _INT_NAMES:
        return "int"
    if dtype in _FLOAT_NAMES:
        return "float"
    if dtype in ("str", "string"):
        return "string"
    return "any"


def shape_text(shape: Sequence[int]) -> str:
    dims = ", ".join("*" if d < 0 else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def shape_matches(actual: Sequence[int], declared: Sequence[int]) -> bool:
    return len(actual) == len(declared) and all(
        d < 0 or a == d for a, d in zip(actual, declared, strict=True)
    )


# --- JSON values in -----------------------------------------------------------------


def _json_dtype(value: Any) -> str:
    """The dtype pandas gives a JSON value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "str"
    return f"object ({'array' if isinstance(value, list) else 'object'})"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _rounded(value: Any) -> bool:
    """Whether a float may be an integer too long for 64 bits that the parser rounded.

    orjson reads integers beyond 64 bits as floats; every such one below -2**63 rounds
    to a float no greater than -2**63, which would pass as int64's minimum.
    """
    return isinstance(value, float) and value <= -(2.0**63)


def _cell_fits(value: Any, cls: str, dtype: str | None) -> str | None:
    """Why ``value`` does not fit a column of ``dtype``, or None when it does."""
    if cls == "bool":
        return None if isinstance(value, bool) else ""
    if cls == "int":
        if not _is_number(value) or (isinstance(value, float) and not value.is_integer()):
            return ""
        info = np.iinfo(np.dtype(dtype))
        fits = info.min <= value <= info.max and not _rounded(value)
        return None if fits else f"; it does not fit {dtype}"
    if cls == "float":
        if value is None:
            return None
        if not _is_number(value):
            return ""
        top = float(np.finfo(np.dtype(dtype)).max)
        return None if abs(value) <= top else f"; it does not fit {dtype}"
    if cls == "string":
        return None if value is None or isinstance(value, str) else ""
    return None if value is None or isinstance(value, (str, int, float)) else ""


def check_cells(
    values: Sequence[Any], dtype: str | None, what: str, loc: Callable[[int], Loc]
) -> None:
    """422 at the first value that does not fit ``dtype`` (a JSON scalar when None).

    ``what`` names the values in the message: "column 'x'", "the series".
    """
    cls = dtype_class(dtype)
    for row, value in enumerate(values):
        why = _cell_fits(value, cls, dtype)
        if why is not None:
            expected = dtype or "a JSON scalar"
            shown = "null" if value is None else repr(value)[:40]
            raise UnprocessableContent(
                f"{what}: expected dtype {expected}, received "
                f"{_json_dtype(value)} ({shown} at {_where(loc(row))}{why})",
                loc=loc(row),
                kind="dtype_error",
            )


def _where(loc: Loc) -> str:
    return "/".join(str(part) for part in loc)


def column_from_cells(values: list[Any], dtype: str | None) -> pd.Series:
    """A column of checked JSON values in ``dtype`` (inferred by pandas when None)."""
    import pandas as pd

    cls = dtype_class(dtype)
    if dtype is None:
        return pd.Series(values, dtype=object if not values else None)
    if cls == "int":
        return pd.Series([int(v) for v in values], dtype=dtype)
    if cls == "float":
        return pd.Series([math.nan if v is None else v for v in values], dtype=dtype)
    return pd.Series(values, dtype=dtype)


def label_value(value: Any, loc: Loc) -> str | int:
    """An index label from a JSON string or integer (1.0 is one, as JSON Schema says)."""
    if isinstance(value, str):
        return value
    if _is_number(value) and float(value).is_integer():
        if -(2**63) <= value < 2**63 and not _rounded(value):
            return int(value)
        raise UnprocessableContent(
            "an integer index label must fit int64", loc=loc, kind="type_error"
        )
    raise UnprocessableContent(
        f"an index label must be a string or an integer, received {_json_dtype(value)}",
        loc=loc,
        kind="type_error",
    )


def index_from_keys(keys: list[str]) -> pd.Index:
    """Index labels from JSON object keys: integers where every key is one, else strings."""
    import pandas as pd

    if keys and all(k.lstrip("-").isdigit() and str(int(k)) == k for k in keys):
        return pd.Index([int(k) for k in keys], dtype="int64")
    return pd.Index(keys, dtype=object)


# --- conversions of typed columns (Arrow in, results out) ---------------------------


class Mismatch(Exception):
    """A column that cannot be its declared dtype; the message says why."""


def series_class(series: pd.Series) -> str:
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.StringDtype):
        return "string"
    if dtype.kind == "O":
        return "any"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    return "other"


def _scalars_only(series: pd.Series) -> bool:
    mask = series.isna().to_numpy()
    return all(
        m or isinstance(v, (str, bool, int, float, np.bool_, np.integer, np.floating))
        for v, m in zip(series.tolist(), mask, strict=True)
    )


def conform(series: pd.Series, dtype: str | None, *, enforce: bool) -> pd.Series:
    """``series`` in ``dtype``; raise `Mismatch` unless that is exact or lossless.

    With ``enforce`` the dtype must already be the declared one (the string dtypes
    count as one; ``object`` takes any scalars). Undeclared (None): any supported dtype.
    """
    got = series_class(series)
    received = f"received {series.dtype}"
    if dtype is None:
        if got == "other" or (got == "any" and not _scalars_only(series)):
            raise Mismatch(f"dtype {series.dtype} is not supported; {_SUPPORTED}")
        return series
    cls = dtype_class(dtype)
    if str(series.dtype) == dtype:
        return series
    if cls == "any":
        if got == "other" or not _scalars_only(series):
            raise Mismatch(f"expected dtype object holding JSON scalars, {received}")
        return series.astype(object)
    if cls == "string" and got == "string":
        return _astype(series, dtype)
    if enforce:
        raise Mismatch(f"expected dtype {dtype}, {received}")
    missing = bool(series.isna().any())
    if cls == "string":
        if got == "any" and all(isinstance(v, str) for v in series.dropna().tolist()):
            return _astype(series, dtype)
        if missing and series.isna().all():
            return _astype(series.astype(object).where(series.notna(), None), dtype)
        raise Mismatch(f"expected dtype {dtype} (strings), {received}")
    if got not in ("bool", "int", "float") or (got == "bool") != (cls == "bool"):
        raise Mismatch(f"expected dtype {dtype}, {received}")
    if missing:
        raise Mismatch(f"expected dtype {dtype}, {received} with missing values")
    values = series.to_numpy()
    if cls == "int":
        if got == "float" and not np.all(values == np.trunc(values)):
            raise Mismatch(f"expected dtype {dtype}, {received} with fractions")
        info = np.iinfo(np.dtype(dtype))
        if len(values) and (values.min() < info.min or values.max() > info.max):
            raise Mismatch(
                f"expected dtype {dtype}, {received} with values from {values.min()} "
                f"to {values.max()}"
            )
    if cls == "float" and len(values):
        finite = values[np.isfinite(values)] if got == "float" else values
        if len(finite) and np.abs(finite).max() > np.finfo(np.dtype(dtype)).max:
            raise Mismatch(f"expected dtype {dtype}, {received} with values too large for it")
    return _astype(series, dtype)


_SUPPORTED = "columns may be bool, integers, floats or strings"


def _astype(series: pd.Series, dtype: str) -> pd.Series:
    import pandas as pd

    return series.astype(pd.api.types.pandas_dtype(dtype))


# --- JSON values out ----------------------------------------------------------------


def json_cells(series: pd.Series, what: str) -> list[Any]:
    """The column's values as JSON scalars: NaN and missing values are None.

    `ResponseValidationError` for infinity (JSON has none) and for non-scalar objects.
    """
    cls = series_class(series)
    mask = series.isna().to_numpy()
    if cls in ("bool", "int", "float") and not mask.any():
        values = series.to_numpy()
        if cls == "float" and not np.isfinite(values).all():
            raise _infinite(what)
        return list(values.tolist())
    cells: list[Any] = []
    for value, missing in zip(series.tolist(), mask, strict=True):
        if missing:
            cells.append(None)
        elif isinstance(value, (np.generic,)):
            cells.append(_finite(value.item(), what))
        elif isinstance(value, (str, bool, int, float)):
            cells.append(_finite(value, what))
        else:
            raise ResponseValidationError(
                f"{what} holds a {type(value).__name__}, which a JSON table cell cannot be; "
                f"{_SUPPORTED}"
            )
    return cells


def _finite(value: Any, what: str) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise _infinite(what)
    return value


def _infinite(what: str) -> ResponseValidationError:
    return ResponseValidationError(
        f"{what} holds infinity, which JSON cannot carry (CSV and Arrow can, where offered)"
    )


def json_labels(index: pd.Index, *, unique: bool) -> list[str | int]:
    """Index labels as JSON carries them: integers stay, others become strings."""
    import pandas as pd

    if isinstance(index, pd.MultiIndex):
        raise ResponseValidationError("the API returned a MultiIndex; reset it to columns")
    labels: list[str | int] = [
        int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else str(v)
        for v in index.tolist()
    ]
    if unique and len({str(v) for v in labels}) != len(labels):
        raise ResponseValidationError(
            "the API returned repeated index labels, which JSON object keys cannot be"
        )
    return labels
