"""Plain text in and out; a generator result streams as server-sent events."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..context import Context
from ..errors import BadRequest, UnsupportedMediaType
from ._framing import Limits, ResponseValidationError, read_body

__all__ = ["PLAIN", "decode", "encode", "read", "to_bytes"]

PLAIN = "text/plain"


async def read(request: Request, content_type: str, limits: Limits) -> str:
    return decode(await read_body(request, limits.max_body_bytes), content_type)


def decode(body: bytes, content_type: str) -> str:
    """Decode by the charset parameter (UTF-8 unless named); 400 if it does not decode."""
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


def to_bytes(result: object, media_type: str) -> bytes:
    if not isinstance(result, str):
        raise ResponseValidationError(f"the API returned {type(result).__name__}, not str")
    return result.encode()


def encode(result: object, context: Context, media_type: str) -> Response:
    content = to_bytes(result, media_type)
    return context.apply(Response(content, media_type="text/plain; charset=utf-8"))
