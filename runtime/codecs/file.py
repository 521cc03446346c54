"""Files: a raw body or a multipart part in, spooled to disk past a threshold; streamed out.

In, the API receives an `UploadedFile` (a `tempfile.SpooledTemporaryFile`): held in memory
up to `Limits.spool_bytes`, in an anonymous temporary file beyond, closed once the response
is sent. Out, the API returns ``bytes``, a binary file object (streamed, then closed) or a
path (``str`` or ``os.PathLike``, streamed with `FileResponse`).
"""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from tempfile import SpooledTemporaryFile
from typing import IO, Any
from urllib.parse import quote

from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, Response, StreamingResponse

from .._cleanup import close_after_response
from .._threads import codec_threads
from ..context import Context
from ..errors import BadRequest, PayloadTooLarge
from ._framing import Limits, ResponseValidationError
from ._response import BodyResponse

__all__ = [
    "OCTET_STREAM",
    "UploadedFile",
    "append",
    "bounded_stream",
    "decode",
    "encode",
    "read",
    "to_bytes",
]

OCTET_STREAM = "application/octet-stream"
#: Bytes read from a returned file per chunk of the response.
CHUNK_BYTES = 64 * 1024


class UploadedFile(SpooledTemporaryFile[bytes]):
    """An uploaded file: in memory up to ``max_size`` bytes, in a temporary file beyond.

    ``name`` is the file name the client gave (None when it gave none), ``content_type``
    the Content-Type it sent (or the declared one), ``size`` the bytes received. The file
    is positioned at its start, and closed by the server once the response is sent.

    Example::

        @svc.api(input=File(mime_type="text/csv"), output=Json())
        def count_rows(upload: UploadedFile) -> dict[str, object]:
            return {"name": upload.name, "rows": sum(1 for _ in upload)}
    """

    def __init__(
        self,
        max_size: int,
        *,
        filename: str | None = None,
        content_type: str = OCTET_STREAM,
    ) -> None:
        super().__init__(max_size=max_size, mode="w+b")
        self.filename = filename
        self.content_type = content_type
        self.size = 0
        self._spool_bytes = max_size

    @property
    def name(self) -> str | None:
        """The client's file name (a spooled file has no path of its own)."""
        return self.filename

    def __repr__(self) -> str:
        return f"<UploadedFile name={self.filename!r} size={self.size}>"


async def append(upload: UploadedFile, data: bytes) -> None:
    """Write ``data`` at the end of ``upload``; off the event loop once it is on disk."""
    upload.size += len(data)
    if upload.size > upload._spool_bytes:
        await codec_threads.run(upload.write, data)
    else:
        upload.write(data)


async def bounded_stream(request: Request, max_bytes: int) -> AsyncIterator[bytes]:
    """The body's chunks, or 413 as soon as it is known to pass ``max_bytes``."""
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
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_bytes:
                raise PayloadTooLarge(
                    f"the body passed {max_bytes} bytes, the most this server accepts"
                )
            if chunk:
                yield chunk
    except ClientDisconnect:
        raise BadRequest("the client disconnected before the body was complete") from None


def disposition_filename(header: str | None) -> str | None:
    """The ``filename`` parameter of a Content-Disposition header, if it has one."""
    if not header:
        return None
    _, options = parse_options_header(header)
    raw = options.get(b"filename")
    if raw is None:
        return None
    try:
        return raw.decode("utf-8")  # what browsers send
    except UnicodeDecodeError:
        return raw.decode("latin-1")


async def read(request: Request, content_type: str, limits: Limits) -> UploadedFile:
    """Stream the body into a spooled file; 413 as soon as it passes the body limit."""
    upload = UploadedFile(
        limits.spool_bytes,
        filename=disposition_filename(request.headers.get("content-disposition")),
        content_type=content_type,
    )
    close_after_response(request, upload)
    try:
        async for chunk in bounded_stream(request, limits.max_body_bytes):
            await append(upload, chunk)
    except BaseException:
        upload.close()  # now rather than after the response: nothing will read it
        raise
    upload.seek(0)
    return upload


def decode(
    body: bytes, content_type: str, *, spool_bytes: int = Limits.spool_bytes
) -> UploadedFile:
    """An `UploadedFile` holding ``body``; the caller closes it."""
    upload = UploadedFile(spool_bytes, content_type=content_type)
    upload.write(body)
    upload.size = len(body)
    upload.seek(0)
    return upload


def _as_path(result: object) -> Path | None:
    if isinstance(result, (str, os.PathLike)):
        path = Path(result)
        if not path.is_file():
            raise ResponseValidationError(f"the API returned the path {str(path)!r}, not a file")
        return path
    return None


def _as_binary_file(result: object) -> IO[bytes] | None:
    if not callable(getattr(result, "read", None)):
        return None
    mode = getattr(result, "mode", "b")
    if isinstance(result, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode):
        raise ResponseValidationError("the API returned a text file; open it in binary mode")
    return result  # type: ignore[return-value]


def to_bytes(result: object, media_type: str) -> bytes:
    """The bytes of a result: bytes as they are, a file read (and closed), a path's content."""
    if isinstance(result, (bytes, bytearray, memoryview)):
        return bytes(result)
    path = _as_path(result)
    if path is not None:
        return path.read_bytes()
    file = _as_binary_file(result)
    if file is None:
        raise ResponseValidationError(
            f"the API returned {type(result).__name__}; a file output takes bytes, "
            "a binary file object or a path"
        )
    try:
        content = file.read()
    finally:
        file.close()
    if not isinstance(content, bytes):
        raise ResponseValidationError(f"the API's file gave {type(content).__name__}, not bytes")
    return content


def _disposition(filename: str) -> str:
    quoted = quote(filename)
    if quoted == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename*=utf-8''{quoted}"


def _chunks(file: IO[bytes]) -> Iterator[bytes]:
    while chunk := file.read(CHUNK_BYTES):
        if not isinstance(chunk, bytes):
            raise ResponseValidationError(f"the API's file gave {type(chunk).__name__}, not bytes")
        yield chunk


def encode(result: object, context: Context, media_type: str) -> Response:
    """Bytes as the body; a path or a file object streamed (a file from where it stands)."""
    if isinstance(result, (bytes, bytearray, memoryview)):
        return context.apply(BodyResponse(bytes(result), media_type))
    path = _as_path(result)
    if path is not None:
        return context.apply(FileResponse(path, media_type=media_type, filename=path.name))
    file = _as_binary_file(result)
    if file is None:
        raise ResponseValidationError(
            f"the API returned {type(result).__name__}; a file output takes bytes, "
            "a binary file object or a path"
        )
    close_after_response(context.request, file)
    headers: dict[str, Any] = {}
    name = getattr(file, "name", None)
    if isinstance(name, str) and os.path.basename(name):
        headers["content-disposition"] = _disposition(os.path.basename(name))
    # A sync iterator: Starlette reads it in a worker thread, off the event loop.
    response = StreamingResponse(_chunks(file), media_type=media_type, headers=headers)
    return context.apply(response)
