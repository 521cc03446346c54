"""Unit: the primitives generated validators call."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest
from dosirak.runtime import codecs
from dosirak.runtime.context import Context
from dosirak.runtime.errors import BadRequest, UnprocessableContent, UnsupportedMediaType
from starlette.requests import Request


def parse(value: Any, **kwargs: Any) -> np.ndarray:
    options: dict[str, Any] = {
        "dtype": None,
        "shape": None,
        "enforce_dtype": False,
        "enforce_shape": False,
    }
    options.update(kwargs)
    return codecs.ndarray_from_json(orjson.dumps(value), **options)


def test_integers_cast_to_a_declared_float_dtype() -> None:
    array = parse([[1, 2], [3, 4]], dtype="float32", enforce_dtype=True)
    assert array.dtype == np.float32


def test_floats_do_not_fit_an_enforced_integer_dtype() -> None:
    with pytest.raises(UnprocessableContent, match="expected dtype int64, received float64"):
        parse([1.5, 2.0], dtype="int64", enforce_dtype=True)


def test_floats_truncate_to_an_unenforced_integer_dtype() -> None:
    assert parse([1.7, 2.2], dtype="int64").tolist() == [1, 2]


def test_integer_range_is_checked() -> None:
    with pytest.raises(UnprocessableContent, match="do not fit dtype uint8"):
        parse([0, 256], dtype="uint8")
    with pytest.raises(UnprocessableContent, match="do not fit dtype uint8"):
        parse([-1], dtype="uint8", enforce_dtype=True)
    assert parse([0, 255], dtype="uint8", enforce_dtype=True).dtype == np.uint8


def test_booleans() -> None:
    assert parse([True, False], dtype="bool").dtype == np.bool_
    with pytest.raises(UnprocessableContent, match="expected dtype bool"):
        parse([1, 0], dtype="bool", enforce_dtype=True)


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
        codecs.ndarray_from_json(
            b"[1, 123456789012345678901234567890]",
            dtype="int64",
            shape=None,
            enforce_dtype=False,
            enforce_shape=False,
        )


def _context() -> Context:
    return Context(Request({"type": "http", "method": "POST", "headers": []}))


def test_array_response_declared_dtype_and_shape() -> None:
    response = codecs.ndarray_json_response(
        np.array([1.0, 2.0]),
        _context(),
        dtype="int64",
        shape=None,
        enforce_dtype=False,
        enforce_shape=False,
    )
    assert response.body == b"[1,2]"
    with pytest.raises(codecs.ResponseValidationError, match="declares int64"):
        codecs.ndarray_json_response(
            np.array([1.0]),
            _context(),
            dtype="int64",
            shape=None,
            enforce_dtype=True,
            enforce_shape=False,
        )


def test_nan_output_is_refused_not_written_as_null() -> None:
    with pytest.raises(codecs.ResponseValidationError, match="NaN or infinity"):
        codecs.ndarray_json_response(
            np.array([1.0, np.nan]),
            _context(),
            dtype=None,
            shape=None,
            enforce_dtype=False,
            enforce_shape=False,
        )


def test_non_contiguous_and_float16_arrays_serialise() -> None:
    array = np.arange(12, dtype=np.float16).reshape(3, 4)[:, ::2]
    response = codecs.ndarray_json_response(
        array, _context(), dtype=None, shape=None, enforce_dtype=False, enforce_shape=False
    )
    assert orjson.loads(response.body) == array.tolist()


def test_text_charset() -> None:
    assert (
        codecs.text_from_body("héllo".encode("latin-1"), "text/plain; charset=latin-1") == "héllo"
    )
    with pytest.raises(BadRequest, match="not valid utf-8"):
        codecs.text_from_body(b"\xff", "text/plain")
    with pytest.raises(UnsupportedMediaType, match="charset 'klingon'"):
        codecs.text_from_body(b"x", "text/plain; charset=klingon")
