"""Plain text in and out; a generator result streams as server-sent events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import orjson
from starlette.concurrency import iterate_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..context import Context
from ..endpoint import internal_error
from ..errors import BadRequest, ProblemError, UnsupportedMediaType
from ._framing import Limits, ResponseValidationError, read_body
from ._response import BodyResponse

__all__ = ["EVENT_STREAM", "PLAIN", "decode", "encode", "event", "read", "to_bytes"]

PLAIN = "text/plain"
EVENT_STREAM = "text/event-stream"


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


def encode(result: object, context: Context, media_type: str, *, stream: bool = False) -> Response:
    """The response: the text, or with ``stream`` one server-sent event per item yielded."""
    if not stream:
        content = to_bytes(result, media_type)
        return context.apply(BodyResponse(content, "text/plain; charset=utf-8"))
    if isinstance(result, AsyncIterator):
        items: AsyncIterator[object] = result
    elif isinstance(result, Iterator):
        items = iterate_in_threadpool(result)  # a sync generator may block: not on the loop
    else:
        raise ResponseValidationError(
            f"the API streams but returned {type(result).__name__}, not a generator"
        )
    response = StreamingResponse(
        _events(items, context.request.url.path),
        media_type=EVENT_STREAM,
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )
    return context.apply(response)


def event(data: str, name: str | None = None) -> bytes:
    """One server-sent event; each line of ``data`` becomes a ``data:`` field."""
    lines = [f"event: {name}"] if name else []
    lines += [f"data: {line}" for line in data.split("\n")]
    return ("\n".join(lines) + "\n\n").encode()


async def _events(items: AsyncIterator[object], instance: str) -> AsyncIterator[bytes]:
    # Headers are sent by now: a failure can only end the stream with an error event,
    # whose data is the problem document the status line can no longer carry.
    try:
        async for item in items:
            if not isinstance(item, str):
                raise ResponseValidationError(f"the API yielded {type(item).__name__}, not str")
            yield event(item)
    except ProblemError as problem:
        yield event(orjson.dumps(problem.to_json(instance)).decode(), name="error")
    except Exception:
        failure = internal_error(f"the stream of {instance}")
        yield event(orjson.dumps(failure.to_json(instance)).decode(), name="error")
