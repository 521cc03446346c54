"""Generic, tested primitives the generated routes call with the document's literals.

A generated validator reads like::

    def classify_request(body: bytes) -> npt.NDArray[Any]:
        return _codecs.ndarray_from_json(
            body, dtype="float32", shape=(-1, 4), enforce_dtype=False, enforce_shape=True
        )
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from .context import Context
from .errors import (
    BadRequest,
    ErrorItem,
    PayloadTooLarge,
    UnprocessableContent,
    UnsupportedMediaType,
)

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "ResponseValidationError",
    "any_from_json",
    "any_json_response",
    "model_from_json",
    "model_json_response",
    "ndarray_from_json",
    "ndarray_json_response",
    "read_body",
    "require_media_type",
    "text_from_body",
    "text_response",
]

#: 100 MiB: a 1000x1000 float64 array as JSON is about 20 MiB.
DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024

M = TypeVar("M", bound=BaseModel)
_NUMERIC_KINDS = frozenset("biuf")


class ResponseValidationError(Exception):
    """An API returned something its declared output cannot carry (a server bug: 500)."""


# ---------------------------------------------------------------- request framing


def require_media_type(request: Request, accepted: tuple[str, ...]) -> str:
    """Return the Content-Type header when its media type is one of ``accepted``; else 415."""
    header = request.headers.get("content-type")
    expected = " or ".join(accepted)
    if header is None:
        raise UnsupportedMediaType(f"the request has no Content-Type; send {expected}")
    media_type = header.partition(";")[0].strip().lower()
    if media_type not in accepted:
        raise UnsupportedMediaType(f"Content-Type {media_type!r} is not accepted; send {expected}")
    return header


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The whole body, or 413 as soon as it is known to pass ``max_bytes``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise BadRequest(f"Content-Length {declared!r} is not a number") from None
        if size > max_bytes:
            raise PayloadTooLarge(
                f"the body has {size} bytes; this server accepts at most {max_bytes}"
            )
    chunks: list[bytes] = []
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes:
                raise PayloadTooLarge(
                    f"the body passed {max_bytes} bytes, the most this server accepts"
                )
            chunks.append(chunk)
    except ClientDisconnect:
        raise BadRequest("the client disconnected before the body was complete") from None
    return b"".join(chunks)


def _loads(body: bytes) -> Any:
    if not body:
        raise BadRequest("the body is empty; send a JSON document")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None


# ---------------------------------------------------------------- ndarray


def _shape_text(shape: tuple[int, ...]) -> str:
    return (
        "("
        + ", ".join("*" if d < 0 else str(d) for d in shape)
        + ("," if len(shape) == 1 else "")
        + ")"
    )


def _shape_matches(actual: tuple[int, ...], declared: tuple[int, ...]) -> bool:
    return len(actual) == len(declared) and all(
        d < 0 or a == d for a, d in zip(actual, declared, strict=True)
    )


def ndarray_from_json(
    body: bytes,
    *,
    dtype: str | None,
    shape: tuple[int, ...] | None,
    enforce_dtype: bool,
    enforce_shape: bool,
) -> npt.NDArray[Any]:
    """Parse a JSON body of nested arrays; 400 if not JSON, 422 if it does not fit."""
    value = _loads(body)
    if shape != () and not isinstance(value, list):
        raise UnprocessableContent(
            f"expected a JSON array, received {type(value).__name__}", kind="type_error"
        )
    try:
        array = np.asarray(value)
    except ValueError:
        raise UnprocessableContent(
            "the nested arrays are ragged: every row at one depth must have the same length",
            kind="ragged_array",
        ) from None
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise UnprocessableContent(
            "the array holds values that are not numbers or booleans"
            + (" (or integers too large for 64 bits)" if array.dtype.kind == "O" else ""),
            kind="type_error",
        )
    if dtype is not None:
        array = _to_dtype(array, np.dtype(dtype), enforce_dtype)
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


#: Which kinds of parsed JSON numbers a declared dtype kind takes without losing meaning.
_JSON_KIND_FITS = {"b": "b", "i": "iu", "u": "iu", "f": "iuf"}


def _to_dtype(array: npt.NDArray[Any], target: np.dtype[Any], enforce: bool) -> npt.NDArray[Any]:
    if array.dtype == target:
        return array
    if enforce and array.dtype.kind not in _JSON_KIND_FITS[target.kind]:
        raise UnprocessableContent(
            f"expected dtype {target.name}, received {array.dtype.name}", kind="dtype_error"
        )
    if target.kind in "iu" and array.size and array.dtype.kind in "iuf":
        info = np.iinfo(target)
        low, high = array.min(), array.max()
        if low < info.min or high > info.max:
            raise UnprocessableContent(
                f"values from {low} to {high} do not fit dtype {target.name} "
                f"({info.min} to {info.max})",
                kind="dtype_error",
            )
    return array.astype(target)


def ndarray_json_response(
    result: object,
    context: Context,
    *,
    dtype: str | None,
    shape: tuple[int, ...] | None,
    enforce_dtype: bool,
    enforce_shape: bool,
) -> Response:
    """Serialise an API's array result as nested JSON arrays."""
    try:
        array = np.asarray(result)
    except ValueError as exc:
        raise ResponseValidationError(f"the API returned no array: {exc}") from None
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise ResponseValidationError(
            f"the API returned an array of dtype {array.dtype}, which is not numeric"
        )
    if dtype is not None and array.dtype != np.dtype(dtype):
        if enforce_dtype:
            raise ResponseValidationError(
                f"the API returned dtype {array.dtype.name}; its output declares {dtype}"
            )
        array = array.astype(dtype)
    if shape is not None and enforce_shape and not _shape_matches(array.shape, shape):
        raise ResponseValidationError(
            f"the API returned shape {_shape_text(array.shape)}; "
            f"its output declares {_shape_text(shape)}"
        )
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        # JSON has no NaN or Infinity; writing null would break the declared schema.
        raise ResponseValidationError("the API returned NaN or infinity, which JSON cannot carry")
    try:
        content = orjson.dumps(np.ascontiguousarray(array), option=orjson.OPT_SERIALIZE_NUMPY)
    except orjson.JSONEncodeError:  # dtypes orjson does not know natively
        content = orjson.dumps(array.tolist())
    return context.apply(Response(content, media_type="application/json"))


# ---------------------------------------------------------------- JSON


def any_from_json(body: bytes) -> Any:
    """Any JSON value; 400 if the body is not JSON."""
    return _loads(body)


def model_from_json(model: type[M], body: bytes) -> M:
    """Validate a JSON body into ``model``; 400 if not JSON, 422 with every finding."""
    if not body:
        raise BadRequest("the body is empty; send a JSON document")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise BadRequest(f"the body is not valid JSON: {errors[0]['msg']}") from None
        items = [ErrorItem(("body", *e["loc"]), e["msg"], e["type"]) for e in errors]
        count = len(items)
        raise UnprocessableContent(
            f"the body does not fit {model.__name__}: {count} error{'s' if count > 1 else ''}",
            items,
        ) from None


def any_json_response(result: object, context: Context) -> Response:
    """Serialise any JSON-able result (pydantic models and numpy values included)."""
    try:
        content = orjson.dumps(result, default=_json_default, option=orjson.OPT_SERIALIZE_NUMPY)
    except TypeError as exc:
        raise ResponseValidationError(
            f"the API returned a value JSON cannot carry: {exc}"
        ) from None
    return context.apply(Response(content, media_type="application/json"))


def _json_default(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def model_json_response(model: type[M], result: object, context: Context) -> Response:
    """Check ``result`` against ``model`` and serialise it by the wire (alias) names."""
    if not isinstance(result, model):
        source = result.model_dump(by_alias=True) if isinstance(result, BaseModel) else result
        try:
            result = model.model_validate(source)
        except ValidationError as exc:
            raise ResponseValidationError(
                f"the API's result does not fit {model.__name__}: {exc}"
            ) from None
    content = result.model_dump_json(by_alias=True)
    return context.apply(Response(content, media_type="application/json"))


# ---------------------------------------------------------------- text


def text_from_body(body: bytes, content_type: str) -> str:
    """Decode a text body by its charset (UTF-8 unless named); 400 if it does not decode."""
    charset = "utf-8"
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip('"')
    try:
        return body.decode(charset)
    except LookupError:
        raise UnsupportedMediaType(f"charset {charset!r} is unknown; send UTF-8") from None
    except UnicodeDecodeError as exc:
        raise BadRequest(
            f"the body is not valid {charset} text: {exc.reason} at byte {exc.start}"
        ) from None


def text_response(result: object, context: Context) -> Response:
    if not isinstance(result, str):
        raise ResponseValidationError(f"the API returned {type(result).__name__}, not str")
    return context.apply(Response(result, media_type="text/plain; charset=utf-8"))
