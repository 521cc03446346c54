"""The client's side of each IO kind: the server's codecs, run the other way round.

A request body is what a server would answer (``to_bytes``), a response what a server
would read (``decode``): one implementation per kind serves both ends.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from dosirak.runtime.codecs import ResponseValidationError
from dosirak.runtime.errors import ProblemError

from ._operation import BodySpec

__all__ = ["RequestEncodingError", "ResponseDecodingError", "decode_response", "encode_request"]


class RequestEncodingError(ValueError):
    """The value given does not fit what the operation's request body declares."""


class ResponseDecodingError(ValueError):
    """The server's body does not parse as its declared media type."""


def _codec(kind: str) -> ModuleType:
    return importlib.import_module(f"dosirak.runtime.codecs.{kind}")


def encode_request(body: BodySpec, value: Any, media_type: str) -> tuple[bytes, str]:
    """The bytes and the Content-Type header for ``value``."""
    codec = _codec(body.kind)
    try:
        encode = getattr(codec, "encode_request", None)
        if encode is not None:  # kinds whose header carries more (a multipart boundary)
            content, content_type = encode(value, media_type, **body.params)
            return bytes(content), str(content_type)
        return bytes(codec.to_bytes(value, media_type, **body.params)), media_type
    except ResponseValidationError as exc:
        # The codec words it from a server's side; say it from the caller's.
        message = str(exc).replace("the API's result", "the request body")
        raise RequestEncodingError(message.replace("the API returned", "got")) from None


def decode_response(body: BodySpec, content: bytes, content_type: str) -> Any:
    """The value of a response body, validated as the document declares it."""
    try:
        return _codec(body.kind).decode(content, content_type, **body.params)
    except ProblemError as exc:
        raise ResponseDecodingError(f"the response body does not fit: {exc.detail}") from None
