"""HTTP framing shared by every codec: media types, Accept negotiation, bounded reads."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ..context import Context
from ..errors import BadRequest, NotAcceptable, PayloadTooLarge, UnsupportedMediaType

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "Limits",
    "ResponseValidationError",
    "declared_status",
    "header",
    "negotiate",
    "read_body",
    "read_body_buffer",
    "require_media_type",
]

#: 100 MiB: a 1000x1000 float64 array as JSON is about 20 MiB.
DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one request may take; the server's configuration, not the document's."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: Multipart: the most parts, and the most bytes a part other than a file may hold.
    max_parts: int = 64
    max_part_bytes: int = 16 * 1024 * 1024
    #: Files larger than this are spooled to disk rather than held in memory.
    spool_bytes: int = 1024 * 1024


class ResponseValidationError(Exception):
    """An API returned something its declared output cannot carry (a server bug: 500)."""


def declared_status(
    response: Response,
    context: Context,
    statuses: tuple[int, ...],
    required_headers: tuple[tuple[int, tuple[str, ...]], ...] = (),
) -> Response:
    """Give the response its default status, or check the one the function set is declared;
    check it carries the headers the document requires for that status (lower-case names)."""
    chosen = context.response_status
    if chosen is None:
        response.status_code = statuses[0]
    elif chosen not in statuses:
        raise ResponseValidationError(
            f"the API set status {chosen} through its Context, which the document does not "
            f"declare; declare it: @svc.api(..., statuses={(*statuses, chosen)!r})"
        )
    for status, names in required_headers:
        if status == response.status_code:
            present = {name for name, _ in response.raw_headers}
            missing = [name for name in names if name.encode("latin-1") not in present]
            if missing:
                raise ResponseValidationError(
                    f"the document requires response header(s) {', '.join(missing)} with status "
                    f"{status}, which the handler did not set; set them: "
                    f"context.response.headers[{missing[0]!r}] = ..."
                )
    return response


def header(request: Request, name: bytes) -> str | None:
    """The first value of the header ``name`` (lower-case bytes), as Starlette reads it.

    A scan of the raw ASGI headers: building `request.headers` costs more than the
    few lookups a route makes.
    """
    for key, value in request.scope["headers"]:
        if key == name:
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None


def require_media_type(request: Request, accepted: tuple[str, ...]) -> str:
    """Return the Content-Type header when its media type is one of ``accepted``; else 415."""
    value = header(request, b"content-type")
    if value in accepted:  # the usual case: exactly one of the declared types
        return value
    expected = " or ".join(accepted)
    if value is None:
        raise UnsupportedMediaType(f"the request has no Content-Type; send {expected}")
    media_type = value.partition(";")[0].strip().lower()
    if media_type not in accepted:
        raise UnsupportedMediaType(f"Content-Type {media_type!r} is not accepted; send {expected}")
    return value


def negotiate(request: Request, offered: tuple[str, ...]) -> str:
    """The offered media type the Accept header prefers (the first offered if it has none).

    As RFC 9110 says: each offered type takes the quality of the most specific range that
    matches it; the highest quality wins, ties go to the order of ``offered``; 406 if none.
    """
    accept = header(request, b"accept")
    if not accept or accept == "*/*":
        return offered[0]
    if accept in offered:  # the usual case: one exact type, no parameters
        return accept
    chosen = _negotiated.get((accept, offered))
    if chosen is None:
        chosen = _negotiate(accept, offered)
        if len(_negotiated) >= 512:  # a client sending ever new headers: start over
            _negotiated.clear()
        _negotiated[(accept, offered)] = chosen
    return chosen


_negotiated: dict[tuple[str, tuple[str, ...]], str] = {}


def _negotiate(header: str, offered: tuple[str, ...]) -> str:
    ranges: list[tuple[str, float]] = []
    for item in header.split(","):
        media_range, *params = (p.strip() for p in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media_range.lower(), quality))
    best: tuple[float, int] | None = None
    chosen = offered[0]
    for index, media_type in enumerate(offered):
        main = media_type.split("/")[0] + "/*"
        matching = [
            (2 if r == media_type else 1 if r == main else 0, q)
            for r, q in ranges
            if r in (media_type, main, "*/*")
        ]
        if not matching:
            continue
        quality = max(matching)[1]
        if quality > 0 and (best is None or (quality, -index) > best):
            best = (quality, -index)
            chosen = media_type
    if best is None:
        raise NotAcceptable(
            f"none of the media types in Accept ({header}) can be produced; "
            f"this operation answers {' or '.join(offered)}"
        )
    return chosen


async def read_body_buffer(request: Request, max_bytes: int) -> bytes | bytearray:
    """The whole body, or 413 as soon as it is known to pass ``max_bytes``.

    A body that came in several messages is a `bytearray`, so what is decoded from it
    (an array) may share its memory and stay writable.
    """
    declared = header(request, b"content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise BadRequest(f"Content-Length {declared!r} is not a number") from None
        if size > max_bytes:
            raise PayloadTooLarge(
                f"the body has {size} bytes; this server accepts at most {max_bytes}"
            )
    # ASGI messages read directly: Starlette's stream() generator costs more than the
    # copy it saves, and a small body comes in one message. dosirak's HTTP protocol hands
    # over a body that has all come without even that (`_http.py`).
    receive = request.receive
    take_whole = getattr(getattr(receive, "__self__", None), "take_whole_body", None)
    if take_whole is not None:
        whole: bytes | bytearray | None = take_whole()
        if whole is not None:
            if len(whole) > max_bytes:
                raise PayloadTooLarge(
                    f"the body passed {max_bytes} bytes, the most this server accepts"
                )
            return whole
    message = await receive()
    if message["type"] != "http.request":
        raise BadRequest("the client disconnected before the body was complete")
    first: bytes = message.get("body", b"")
    if len(first) > max_bytes:
        raise PayloadTooLarge(f"the body passed {max_bytes} bytes, the most this server accepts")
    if not message.get("more_body", False):
        return first
    # Several messages: kept until the last, then joined into one bytearray (the same one
    # copy as bytes.join; an array decoded from it can share its memory and stay
    # writable). Appending to a growing buffer instead copies it again at each growth.
    chunks = [first]
    received = len(first)
    while message.get("more_body", False):
        message = await receive()
        if message["type"] != "http.request":
            raise BadRequest("the client disconnected before the body was complete")
        chunk: bytes = message.get("body", b"")
        if chunk:
            received += len(chunk)
            if received > max_bytes:
                raise PayloadTooLarge(
                    f"the body passed {max_bytes} bytes, the most this server accepts"
                )
            chunks.append(chunk)
    body = bytearray(received)
    view = memoryview(body)
    offset = 0
    for chunk in chunks:
        view[offset : offset + len(chunk)] = chunk
        offset += len(chunk)
    return body


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The whole body as bytes, or 413 as soon as it is known to pass ``max_bytes``."""
    body = await read_body_buffer(request, max_bytes)
    return body if isinstance(body, bytes) else bytes(body)
