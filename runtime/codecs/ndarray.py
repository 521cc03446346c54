"""numpy arrays as nested JSON arrays (`application/json`) or numpy's own `.npy` format."""

from __future__ import annotations

import functools
import json
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..context import Context
from ..errors import BadRequest, UnprocessableContent
from . import _npy
from ._framing import Limits, ResponseValidationError, read_body_buffer
from ._response import BodyResponse
from .json import loads

__all__ = ["JSON", "NPY", "decode", "encode", "read", "to_bytes"]

JSON = "application/json"
NPY = "application/x-npy"

_NUMERIC_KINDS = frozenset("biuf")
#: Which kinds of parsed JSON values each declared dtype kind takes. JSON says only
#: "boolean" or "number" (and "integer": a number with no fraction, 5.0 included).
_JSON_KIND_FITS = {"b": "b", "i": "iuf", "u": "iuf", "f": "iuf"}


def _shape_text(shape: tuple[int, ...]) -> str:
    dims = ", ".join("*" if d < 0 else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def _shape_matches(actual: tuple[int, ...], declared: tuple[int, ...]) -> bool:
    if len(actual) != len(declared):
        return False
    for a, d in zip(actual, declared):  # noqa: B905, SIM110 (same length; a loop is faster)
        if d >= 0 and a != d:
            return False
    return True


#: Declared dtype names → numpy dtypes, made once (each `np.dtype(name)` parses the name).
_dtype = functools.cache(np.dtype)


async def read(
    request: Request,
    content_type: str,
    limits: Limits,
    *,
    dtype: str | None,
    shape: tuple[int, ...] | None,
    enforce_dtype: bool,
    enforce_shape: bool,
) -> npt.NDArray[Any]:
    """Read and validate the request body as an array."""
    body = await read_body_buffer(request, limits.max_body_bytes)
    return decode(
        body,
        content_type,
        dtype=dtype,
        shape=shape,
        enforce_dtype=enforce_dtype,
        enforce_shape=enforce_shape,
    )


def decode(
    body: bytes | bytearray,
    content_type: str,
    *,
    dtype: str | None,
    shape: tuple[int, ...] | None,
    enforce_dtype: bool,
    enforce_shape: bool,
) -> npt.NDArray[Any]:
    """Parse ``body`` by its media type; 400 if it does not parse, 422 if it does not fit."""
    target = None if dtype is None else _dtype(dtype)
    if content_type != JSON and content_type.partition(";")[0].strip().lower() == NPY:
        array = _from_npy(body)
        exact = True
    else:
        array, numbers_only = _from_json(body, rank_zero=shape == (), target=target)
        exact = False
        if (
            target is not None
            and target.kind != "b"
            and array.dtype.kind != "b"
            and not numbers_only
        ):
            # numpy folds booleans mixed with numbers into numbers; the schema does not.
            # The array parsed as numeric, so the body holds only numbers and true/false,
            # and a "t" or "f" byte can only be part of a boolean (one memchr, no search).
            if b"t" in body or b"f" in body:
                raise UnprocessableContent(
                    f"expected numbers for dtype {dtype}, received booleans", kind="dtype_error"
                )
            if target.kind in "iu" and _inexact(array):
                array = _exact_integers(body, array, target)
    if target is not None and array.dtype != target:
        array = _to_dtype(array, target, enforce_dtype, exact=exact)
    if shape is not None and array.size == 0 and not _shape_matches(array.shape, shape):
        # `[]` is a valid empty batch of any rank: take the declared rank, free dims 0.
        empty = tuple(max(d, 0) for d in shape)
        if 0 in empty:
            array = np.zeros(empty, dtype=array.dtype)
    if shape is not None and not _shape_matches(array.shape, shape):
        if enforce_shape or sum(1 for d in shape if d < 0) > 1:
            raise UnprocessableContent(
                f"expected shape {_shape_text(shape)}, received {_shape_text(array.shape)}",
                kind="shape_error",
            )
        try:
            array = array.reshape(shape)
        except ValueError:
            raise UnprocessableContent(
                f"an array of shape {_shape_text(array.shape)} cannot be reshaped "
                f"to {_shape_text(shape)}",
                kind="shape_error",
            ) from None
    return array


def _from_json(
    body: bytes | bytearray, *, rank_zero: bool, target: np.dtype[Any] | None = None
) -> tuple[npt.NDArray[Any], bool]:
    """The array, and whether the body was found to hold numbers only (no booleans)."""
    value = loads(body)
    if not rank_zero and not isinstance(value, list):
        raise UnprocessableContent(
            f"expected a JSON array, received {type(value).__name__}", kind="type_error"
        )
    # Floats straight into the target dtype when the body holds nothing but numbers (a
    # few memchr): numpy then skips inferring the dtype, a pass over every element.
    # Bytes that, outside numbers, only strings, null, objects and booleans hold; written
    # out, as a generator over them cost more than the five scans of a small body.
    direct = target if target is not None and target.kind == "f" else None
    if direct is not None and (
        b'"' in body or b"n" in body or b"{" in body or b"t" in body or b"f" in body
    ):
        direct = None
    try:
        array = np.asarray(value, dtype=direct)
    except ValueError:
        raise UnprocessableContent(
            "the nested arrays are ragged: every row at one depth must have the same length",
            kind="ragged_array",
        ) from None
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise UnprocessableContent(
            "the array holds values that are not numbers or booleans", kind="type_error"
        )
    return array, direct is not None


def _inexact(array: npt.NDArray[Any]) -> bool:
    """Whether float64 may have rounded integers: past 2**53 it keeps 53 bits of them."""
    return array.dtype.kind == "f" and array.size > 0 and bool(np.abs(array).max() >= 2**53)


def _exact_integers(
    body: bytes | bytearray, array: npt.NDArray[Any], target: np.dtype[Any]
) -> npt.NDArray[Any]:
    """The JSON numbers as ``target`` integers, read exactly; ``array`` if some are fractions.

    numpy holds integers mixed with floats as float64 (9223372036854775807 becomes 2**63).
    """
    values = np.array(json.loads(body), dtype=object).reshape(-1)
    if not all(isinstance(v, int) or (isinstance(v, float) and v.is_integer()) for v in values):
        return array  # the usual checks name the fractions
    integers = [int(v) for v in values]
    info = np.iinfo(target)
    low, high = min(integers), max(integers)
    if low < info.min or high > info.max:
        raise UnprocessableContent(
            f"values from {_short(low)} to {_short(high)} do not fit dtype {target.name} "
            f"({info.min} to {info.max})",
            kind="dtype_error",
        )
    return np.array(integers, dtype=target).reshape(array.shape)


def _short(value: int) -> str:
    return str(value) if abs(value) < 10**24 else f"{value:.6g}"


def _from_npy(body: bytes | bytearray) -> npt.NDArray[Any]:
    try:
        array = _npy.loads(body)
    except _npy.ObjectArrayError as exc:
        raise UnprocessableContent(
            f"arrays of dtype {exc.dtype} are not accepted; send booleans, integers or floats",
            kind="dtype_error",
        ) from None
    except _npy.NpyFormatError as exc:
        raise BadRequest(str(exc)) from None
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise UnprocessableContent(
            f"arrays of dtype {array.dtype} are not accepted; send booleans, integers or floats",
            kind="dtype_error",
        )
    return array


def _to_dtype(
    array: npt.NDArray[Any], target: np.dtype[Any], enforce: bool, *, exact: bool
) -> npt.NDArray[Any]:
    if array.dtype == target:
        return array
    if exact:
        # .npy carries its dtype: enforced means exactly it, else a same-kind cast.
        if enforce or not np.can_cast(array.dtype, target, "same_kind"):
            raise UnprocessableContent(
                f"expected dtype {target.name}, received {array.dtype.name}", kind="dtype_error"
            )
    else:
        # JSON values are checked against the schema's item type whether or not the dtype
        # is enforced: the document promises that type.
        if array.dtype.kind not in _JSON_KIND_FITS[target.kind]:
            expected = "booleans" if target.kind == "b" else "numbers"
            raise UnprocessableContent(
                f"expected {expected} for dtype {target.name}, received "
                f"{'booleans' if array.dtype.kind == 'b' else 'numbers'}",
                kind="dtype_error",
            )
        fractional = array.dtype.kind == "f" and array.size and target.kind in "iu"
        if fractional and not (np.all(np.isfinite(array)) and np.all(array == np.trunc(array))):
            raise UnprocessableContent(
                f"expected integers for dtype {target.name}, received fractions",
                kind="dtype_error",
            )
    if target.kind in "iu" and array.size and array.dtype.kind in "iuf":
        info = np.iinfo(target)
        low, high = array.min(), array.max()
        if int(low) < info.min or int(high) > info.max:  # exactly: 2.0**63 > 2**63 - 1
            raise UnprocessableContent(
                f"values from {low} to {high} do not fit dtype {target.name} "
                f"({info.min} to {info.max})",
                kind="dtype_error",
            )
    return array.astype(target)


def to_bytes(
    result: object,
    media_type: str,
    *,
    dtype: str | None,
    shape: tuple[int, ...] | None,
    enforce_dtype: bool,
    enforce_shape: bool,
) -> bytes:
    """Check an API's array result against its declaration and serialise it."""
    try:
        array = np.asarray(result)
    except ValueError as exc:
        raise ResponseValidationError(f"the API returned no array: {exc}") from None
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise ResponseValidationError(
            f"the API returned an array of dtype {array.dtype}, which is not numeric"
        )
    if dtype is not None and array.dtype != _dtype(dtype):
        if enforce_dtype:
            raise ResponseValidationError(
                f"the API returned dtype {array.dtype.name}; its output declares {dtype}"
            )
        target = _dtype(dtype)
        with np.errstate(invalid="ignore", over="ignore"):
            cast = array.astype(target)
            # Integer and bool targets must hold the values exactly (no silent truncation);
            # float targets may round (float64 → float32), as the schema's "number" allows.
            exact = target.kind not in "biu" or np.array_equal(cast.astype(array.dtype), array)
        if not exact:
            raise ResponseValidationError(
                f"the API returned dtype {array.dtype.name} with values that {target.name} "
                "cannot hold exactly"
            )
        array = cast
    if shape is not None and enforce_shape and not _shape_matches(array.shape, shape):
        raise ResponseValidationError(
            f"the API returned shape {_shape_text(array.shape)}; "
            f"its output declares {_shape_text(shape)}"
        )
    if media_type == NPY:
        return _npy.dumps(array)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        # JSON has no NaN or Infinity; writing null would break the declared schema.
        raise ResponseValidationError(
            "the API returned NaN or infinity, which JSON cannot carry; "
            "ask for application/x-npy instead"
        )
    if not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)
    try:
        return orjson.dumps(array, option=orjson.OPT_SERIALIZE_NUMPY)
    except orjson.JSONEncodeError:  # dtypes orjson does not know natively
        return orjson.dumps(array.tolist())


def encode(
    result: object,
    context: Context,
    media_type: str,
    *,
    dtype: str | None,
    shape: tuple[int, ...] | None,
    enforce_dtype: bool,
    enforce_shape: bool,
) -> Response:
    """The response for an API's array result, in ``media_type``."""
    content = to_bytes(
        result,
        media_type,
        dtype=dtype,
        shape=shape,
        enforce_dtype=enforce_dtype,
        enforce_shape=enforce_shape,
    )
    return context.apply(BodyResponse(content, media_type))
