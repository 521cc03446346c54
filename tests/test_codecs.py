"""Unit: the primitives generated validators call."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import orjson
import pytest
from dosirak.runtime.codecs import ResponseValidationError, ndarray, negotiate, text
from dosirak.runtime.codecs import json as json_codec
from dosirak.runtime.codecs._response import BodyResponse
from dosirak.runtime.codecs.json import JSON
from dosirak.runtime.context import Context
from dosirak.runtime.errors import (
    BadRequest,
    NotAcceptable,
    PayloadTooLarge,
    UnprocessableContent,
    UnsupportedMediaType,
)
from pydantic import BaseModel, field_serializer
from starlette.requests import Request
from starlette.responses import Response


def parse(value: Any, **kwargs: Any) -> np.ndarray:
    options: dict[str, Any] = {
        "dtype": None,
        "shape": None,
        "enforce_dtype": False,
        "enforce_shape": False,
    }
    options.update(kwargs)
    return ndarray.decode(orjson.dumps(value), "application/json", **options)


def test_integers_cast_to_a_declared_float_dtype() -> None:
    array = parse([[1, 2], [3, 4]], dtype="float32", enforce_dtype=True)
    assert array.dtype == np.float32


def test_json_values_must_fit_the_schema_item_type_enforced_or_not() -> None:
    # The document says "integer": 2.0 is one, 1.5 is not, whether or not enforced.
    for enforce in (True, False):
        assert parse([1, 2.0], dtype="int64", enforce_dtype=enforce).tolist() == [1, 2]
        with pytest.raises(UnprocessableContent, match="expected integers for dtype int64"):
            parse([1.5, 2.0], dtype="int64", enforce_dtype=enforce)
        with pytest.raises(UnprocessableContent, match="expected numbers for dtype float32"):
            parse([True, False], dtype="float32", enforce_dtype=enforce)


def test_integer_range_is_checked() -> None:
    with pytest.raises(UnprocessableContent, match="do not fit dtype uint8"):
        parse([0, 256], dtype="uint8")
    with pytest.raises(UnprocessableContent, match="do not fit dtype uint8"):
        parse([-1], dtype="uint8", enforce_dtype=True)
    assert parse([0, 255], dtype="uint8", enforce_dtype=True).dtype == np.uint8


def test_booleans() -> None:
    assert parse([True, False], dtype="bool").dtype == np.bool_
    with pytest.raises(UnprocessableContent, match="expected booleans for dtype bool"):
        parse([1, 0], dtype="bool")


def test_empty_batch_takes_the_declared_rank() -> None:
    assert parse([], dtype="float32", shape=(-1, 4), enforce_shape=True).shape == (0, 4)


def test_shape_reshapes_unless_enforced() -> None:
    assert parse([1, 2, 3, 4, 5, 6, 7, 8], shape=(-1, 4)).shape == (2, 4)
    with pytest.raises(UnprocessableContent, match=r"expected shape \(\*, 4\), received \(8,\)"):
        parse([1, 2, 3, 4, 5, 6, 7, 8], shape=(-1, 4), enforce_shape=True)
    with pytest.raises(UnprocessableContent, match="cannot be reshaped"):
        parse([1, 2, 3], shape=(-1, 4))


def test_scalar_only_for_rank_zero() -> None:
    assert parse(3.5, shape=()).shape == ()
    with pytest.raises(UnprocessableContent, match="expected a JSON array"):
        parse(3.5)


def test_huge_numbers_do_not_fit_integer_dtypes() -> None:
    # orjson reads integers past 64 bits as floats; the range check still catches them.
    with pytest.raises(UnprocessableContent, match="do not fit dtype int64"):
        ndarray.decode(
            b"[1, 123456789012345678901234567890]",
            "application/json",
            dtype="int64",
            shape=None,
            enforce_dtype=False,
            enforce_shape=False,
        )


def _context() -> Context:
    return Context(Request({"type": "http", "method": "POST", "headers": []}))


def test_array_response_declared_dtype_and_shape() -> None:
    response = ndarray.encode(
        np.array([1.0, 2.0]),
        _context(),
        "application/json",
        dtype="int64",
        shape=None,
        enforce_dtype=False,
        enforce_shape=False,
    )
    assert response.body == b"[1,2]"
    with pytest.raises(ResponseValidationError, match="declares int64"):
        ndarray.encode(
            np.array([1.0]),
            _context(),
            "application/json",
            dtype="int64",
            shape=None,
            enforce_dtype=True,
            enforce_shape=False,
        )


def test_nan_output_is_refused_not_written_as_null() -> None:
    with pytest.raises(ResponseValidationError, match="NaN or infinity"):
        ndarray.encode(
            np.array([1.0, np.nan]),
            _context(),
            "application/json",
            dtype=None,
            shape=None,
            enforce_dtype=False,
            enforce_shape=False,
        )


def test_non_contiguous_and_float16_arrays_serialise() -> None:
    array = np.arange(12, dtype=np.float16).reshape(3, 4)[:, ::2]
    response = ndarray.encode(
        array,
        _context(),
        "application/json",
        dtype=None,
        shape=None,
        enforce_dtype=False,
        enforce_shape=False,
    )
    assert orjson.loads(response.body) == array.tolist()


def test_text_charset() -> None:
    assert text.decode("héllo".encode("latin-1"), "text/plain; charset=latin-1") == "héllo"
    with pytest.raises(BadRequest, match="not valid utf-8"):
        text.decode(b"\xff", "text/plain")
    with pytest.raises(UnsupportedMediaType, match="charset 'klingon'"):
        text.decode(b"x", "text/plain; charset=klingon")


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def parse_npy(body: bytes, **kwargs: Any) -> np.ndarray:
    options: dict[str, Any] = {
        "dtype": None,
        "shape": None,
        "enforce_dtype": False,
        "enforce_shape": False,
    }
    options.update(kwargs)
    return ndarray.decode(body, "application/x-npy", **options)


def test_npy_round_trip_keeps_dtype_and_shape() -> None:
    array = np.arange(24, dtype=">i2").reshape(2, 3, 4)
    np.testing.assert_array_equal(parse_npy(npy(array)), array)
    assert parse_npy(npy(array), dtype="float32").dtype == np.float32


def test_npy_enforced_dtype_is_exact() -> None:
    with pytest.raises(UnprocessableContent, match="expected dtype float32, received float64"):
        parse_npy(npy(np.zeros(3)), dtype="float32", enforce_dtype=True)


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b"not npy at all", BadRequest, "not a .npy array"),
        (npy(np.zeros((100, 4)))[:-5], BadRequest, "truncated"),
        (npy(np.zeros(3)) + b"x", BadRequest, "bytes after the array"),
        (npy(np.array(["a", "b"])), UnprocessableContent, "dtype <U1"),
        (npy(np.array([1, "x"], dtype=object)), UnprocessableContent, "dtype object"),
    ],
)
def test_bad_npy(body: bytes, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        parse_npy(body)


def test_npy_output_carries_nan() -> None:
    response = ndarray.encode(
        np.array([1.0, np.nan]),
        _context(),
        "application/x-npy",
        dtype=None,
        shape=None,
        enforce_dtype=False,
        enforce_shape=False,
    )
    assert response.headers["content-type"] == "application/x-npy"
    result = np.load(io.BytesIO(bytes(response.body)))
    assert np.isnan(result[1])


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/x-npy", "application/x-npy"),
        ("application/json;q=0.5, application/x-npy", "application/x-npy"),
        ("application/*", "application/json"),
        ("application/json;q=0, */*", "application/x-npy"),
        ("text/html, application/x-npy;q=0.1", "application/x-npy"),
    ],
)
def test_negotiate(accept: str | None, chosen: str) -> None:
    headers = [] if accept is None else [(b"accept", accept.encode())]
    request = Request({"type": "http", "method": "POST", "headers": headers})
    assert negotiate(request, ("application/json", "application/x-npy")) == chosen


def test_negotiate_406() -> None:
    request = Request({"type": "http", "method": "POST", "headers": [(b"accept", b"text/html")]})
    with pytest.raises(NotAcceptable, match="text/html"):
        negotiate(request, ("application/json",))


class _Declared(BaseModel):
    a: int


class _SameSchema(BaseModel):  # a service's own class of the declared schema
    a: int


class _OtherType(BaseModel):
    a: str


class _MoreFields(BaseModel):
    a: int
    b: int


class _OwnSerializer(BaseModel):  # the same schema, but it writes its own JSON
    a: int

    @field_serializer("a")
    def _as_text(self, value: int):  # type: ignore[no-untyped-def]  # unannotated on purpose
        return str(value)


def test_json_result_of_a_model_of_the_declared_schema_is_written_validated() -> None:
    assert json_codec.to_bytes(_SameSchema(a=1), JSON, model=_Declared) == b'{"a":1}'
    # equal schemas do not make equal output: what it wrote is validated, not trusted
    assert json_codec.to_bytes(_OwnSerializer(a=5), JSON, model=_Declared) == b'{"a":5}'


def test_json_result_of_another_schema_is_validated_against_the_declared_one() -> None:
    with pytest.raises(ResponseValidationError, match="does not fit _Declared"):
        json_codec.to_bytes(_OtherType(a="x"), JSON, model=_Declared)
    # validated into the declared model: what it does not declare is not sent
    assert json_codec.to_bytes(_MoreFields(a=1, b=2), JSON, model=_Declared) == b'{"a":1}'


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([[1.0, True]], "received booleans"),
        ([[1.0, None]], "not numbers or booleans"),
        ([[1.0, "2"]], "not numbers or booleans"),
        ([[1.0, 2.0], [3.0]], "ragged"),
    ],
)
def test_float_arrays_refuse_what_is_not_a_number(value: Any, message: str) -> None:
    with pytest.raises(UnprocessableContent, match=message):
        parse(value, dtype="float64")
    assert parse([[1, 2.5]], dtype="float64").dtype == np.float64


def _reading(messages: list[dict[str, Any]], headers: list[tuple[bytes, bytes]]) -> Request:
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    return Request(scope, receive)


def _chunks(*parts: bytes) -> list[dict[str, Any]]:
    return [
        {"type": "http.request", "body": part, "more_body": i < len(parts) - 1}
        for i, part in enumerate(parts)
    ]


def test_a_body_in_several_messages_is_read_whole_with_or_without_its_length() -> None:
    import asyncio

    from dosirak.runtime.codecs._framing import read_body_buffer

    async def read(messages: list[dict[str, Any]], length: bytes | None) -> bytes | bytearray:
        headers = [] if length is None else [(b"content-length", length)]
        body: bytes | bytearray = await read_body_buffer(_reading(messages, headers), 100)
        return body

    assert asyncio.run(read(_chunks(b"abc"), b"3")) == b"abc"
    assert asyncio.run(read(_chunks(b"ab", b"", b"cd"), b"4")) == bytearray(b"abcd")
    assert asyncio.run(read(_chunks(b"ab", b"cd"), None)) == bytearray(b"abcd")
    with pytest.raises(PayloadTooLarge, match="at most 100"):
        asyncio.run(read(_chunks(b"x"), b"101"))
    with pytest.raises(PayloadTooLarge, match="passed 100 bytes"):
        asyncio.run(read(_chunks(b"x" * 60, b"y" * 60), None))  # found out on the way
    gone = [*_chunks(b"ab", b"cd")[:1], {"type": "http.disconnect"}]
    with pytest.raises(BadRequest, match="disconnected"):
        asyncio.run(read(gone, b"4"))


@pytest.mark.parametrize(
    "media_type",
    ["application/json", "application/x-npy", "text/plain", "text/csv; charset=latin-1"],
)
@pytest.mark.parametrize("status", [200, 201, 204, 304])
def test_body_response_is_headed_as_starlettes(media_type: str, status: int) -> None:
    ours = BodyResponse(b"[1,2]", media_type, status)
    theirs = Response(b"[1,2]", status_code=status, media_type=media_type)
    assert (ours.raw_headers, ours.body, ours.status_code, ours.media_type) == (
        theirs.raw_headers,
        theirs.body,
        theirs.status_code,
        theirs.media_type,
    )
