"""``multipart/form-data``: named parts, each decoded by its own IO kind's codec.

The document fixes each part as ``(kind, media types, codec arguments)``; a generated
validator reads like::

    return await _multipart.read(
        request,
        content_type,
        limits,
        parts={
            "arr": ("ndarray", ("application/json", "application/x-npy"), {"dtype": "int64", ...}),
            "json": ("json", ("application/json",), {"model": _models.FooModel}),
        },
    )

A part spec may carry a fourth item, flags: ``"repeated"`` (the part may come several
times, as several files under one name: its value is a list, in order) and ``"optional"``
(it may be left out: its value is then None; an optional repeated part may come no
times). A request encodes each item of a repeated part's list as its own part, and leaves
out an optional part that is None::

    parts={"files": ("file", ("application/octet-stream",), {}, ("repeated",))}

The body is parsed as it streams in (python-multipart). Parts are matched by name, never
by position: a missing required part, a repeated part not declared repeated or an unknown
part is a 422 naming it (``loc`` ``["body", "<part>"]``). A part without a Content-Type
is taken as its first media type (browsers send none for plain fields); any other it does
not take is a 415. File parts take any Content-Type and are spooled like a raw file
body; every other part is held in memory, at most `Limits.max_part_bytes` each, and
decoded by ``dosirak.runtime.codecs.<kind>``.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import secrets
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.responses import Response

from .._cleanup import close_after_response
from ..context import Context
from ..errors import (
    BadRequest,
    ErrorItem,
    PayloadTooLarge,
    ProblemError,
    UnprocessableContent,
    UnsupportedMediaType,
)
from ._framing import Limits, ResponseValidationError
from ._response import BodyResponse
from .file import UploadedFile, append, bounded_stream

__all__ = ["FORM_DATA", "PartSpec", "decode", "encode", "encode_request", "read", "to_bytes"]

FORM_DATA = "multipart/form-data"
#: A part's IO kind, the media types it takes (the first by default), its codec arguments
#: and, optionally, its flags (``"repeated"``, ``"optional"``).
PartSpec = (
    tuple[str, tuple[str, ...], Mapping[str, Any]]
    | tuple[str, tuple[str, ...], Mapping[str, Any], tuple[str, ...]]
)
REPEATED = "repeated"
OPTIONAL = "optional"


def _flags(spec: PartSpec) -> tuple[str, ...]:
    return spec[3] if len(spec) > 3 else ()


def codec(kind: str) -> ModuleType:
    """The runtime codec module of an IO kind."""
    return importlib.import_module(f"dosirak.runtime.codecs.{kind}")


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")  # what browsers send for names
    except UnicodeDecodeError:
        return raw.decode("latin-1")


@dataclasses.dataclass
class _Part:
    name: str
    content_type: str | None
    data: bytearray = dataclasses.field(default_factory=bytearray)
    upload: UploadedFile | None = None


class _FormReader:
    """Feeds python-multipart and keeps the parts the operation takes, as they arrive."""

    def __init__(
        self,
        content_type: str,
        parts: Mapping[str, PartSpec],
        limits: Limits,
        on_upload: Callable[[UploadedFile], None],
    ) -> None:
        _, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if not boundary:
            raise BadRequest(
                "the Content-Type has no boundary parameter; send multipart/form-data "
                "with the boundary that separates its parts"
            )
        self.parts = parts
        self.limits = limits
        self.on_upload = on_upload
        #: The parts received, by name, in order (several only for a repeated part).
        self.received: dict[str, list[_Part]] = {}
        self.findings: list[ErrorItem] = []
        #: File data received but not yet written to its spooled file.
        self.pending: list[tuple[UploadedFile, bytes]] = []
        self.ended = False
        self._count = 0
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._current: _Part | None = None  # None while skipping a part not taken
        try:
            self._parser = MultipartParser(
                boundary,
                {
                    "on_part_begin": self._part_begin,
                    "on_header_field": self._header_field,
                    "on_header_value": self._header_value_data,
                    "on_header_end": self._header_end,
                    "on_headers_finished": self._headers_finished,
                    "on_part_data": self._part_data,
                    "on_part_end": self._part_end,
                    "on_end": self._end,
                },
            )
        except FormParserError as exc:
            raise BadRequest(f"the multipart boundary is not usable: {exc}") from None

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            if str(exc).startswith("Maximum header"):
                raise PayloadTooLarge(f"a part's headers are too large: {exc}") from None
            raise BadRequest(f"the multipart body is malformed: {exc}") from None

    async def flush(self) -> None:
        """Write what file parts received to their spooled files."""
        for upload, data in self.pending:
            await append(upload, data)
        self.pending.clear()

    def finish(self) -> None:
        self._parser.finalize()
        if not self.ended:
            raise BadRequest("the multipart body ends before its closing boundary")

    def _part_begin(self) -> None:
        self._count += 1
        if self._count > self.limits.max_parts:
            raise PayloadTooLarge(
                f"the multipart body has more than {self.limits.max_parts} parts, "
                "the most this server accepts"
            )
        self._headers = {}
        self._current = None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._header_name).strip().lower()] = bytes(self._header_value).strip()
        self._header_name = bytearray()
        self._header_value = bytearray()

    def _headers_finished(self) -> None:
        disposition = self._headers.get(b"content-disposition")
        if disposition is None:
            raise BadRequest(
                f"part {self._count} has no Content-Disposition header; "
                'each part needs one, such as: form-data; name="part"'
            )
        _, options = parse_options_header(disposition)
        raw_name = options.get(b"name")
        if raw_name is None:
            raise BadRequest(f"the Content-Disposition of part {self._count} names no part")
        name = _text(raw_name)
        spec = self.parts.get(name)
        if spec is None or (name in self.received and REPEATED not in _flags(spec)):
            item = (
                ErrorItem(("body", name), "this operation takes no such part", "unknown_part")
                if spec is None
                else ErrorItem(("body", name), "the part is given more than once", "repeated_part")
            )
            if item not in self.findings:
                self.findings.append(item)
            return  # its data is skipped, not held
        raw_type = self._headers.get(b"content-type")
        part = _Part(name, None if raw_type is None else raw_type.decode("latin-1"))
        kind, media_types = spec[0], spec[1]
        if kind == "file":
            raw_filename = options.get(b"filename")
            part.upload = UploadedFile(
                self.limits.spool_bytes,
                filename=None if raw_filename is None else _text(raw_filename),
                content_type=part.content_type or media_types[0],
            )
            self.on_upload(part.upload)
        self.received.setdefault(name, []).append(part)
        self._current = part

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        part = self._current
        if part is None:
            return
        if part.upload is not None:
            self.pending.append((part.upload, data[start:end]))
            return
        if len(part.data) + (end - start) > self.limits.max_part_bytes:
            raise PayloadTooLarge(
                f"part {part.name!r} passed {self.limits.max_part_bytes} bytes, the most a part "
                "other than a file may hold"
            )
        part.data += data[start:end]

    def _part_end(self) -> None:
        self._current = None

    def _end(self) -> None:
        self.ended = True


def _in_part(where: tuple[str | int, ...], item: ErrorItem) -> ErrorItem:
    rest = item.loc[1:] if item.loc[:1] == ("body",) else item.loc
    return ErrorItem(("body", *where, *rest), item.msg, item.type)


def _unprocessable(items: list[ErrorItem]) -> UnprocessableContent:
    shown = "; ".join(f"{'.'.join(map(str, i.loc[1:]))}: {i.msg}" for i in items[:3])
    more = f" (and {len(items) - 3} more)" if len(items) > 3 else ""
    return UnprocessableContent(f"the parts do not fit: {shown}{more}", items)


def _decode_parts(reader: _FormReader, parts: Mapping[str, PartSpec]) -> dict[str, Any]:
    findings = list(reader.findings)
    for name, spec in parts.items():
        if name not in reader.received and OPTIONAL not in _flags(spec):
            findings.append(ErrorItem(("body", name), "the part is missing", "missing"))
    if findings:
        raise _unprocessable(findings)
    values: dict[str, Any] = {}
    errors: list[ErrorItem] = []
    for name, spec in parts.items():
        decoded: list[Any] = []
        for index, part in enumerate(reader.received.get(name, [])):
            # A repeated part's findings say which of them: ["body", "files", 1, ...].
            where: tuple[str | int, ...] = (name, index) if REPEATED in _flags(spec) else (name,)
            try:
                decoded.append(_decode_part(part, spec))
            except UnprocessableContent as exc:
                errors.extend(_in_part(where, item) for item in exc.errors)
        if REPEATED in _flags(spec):
            values[name] = decoded if decoded or OPTIONAL not in _flags(spec) else None
        else:
            values[name] = decoded[0] if decoded else None
    if errors:
        raise _unprocessable(errors)
    return values


def _decode_part(part: _Part, spec: PartSpec) -> Any:
    kind, media_types, params = spec[0], spec[1], spec[2]
    if part.upload is not None:
        part.upload.seek(0)
        return part.upload
    content_type = part.content_type or media_types[0]
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type not in media_types:
        raise UnsupportedMediaType(
            f"part {part.name!r} has Content-Type {media_type!r}; send {' or '.join(media_types)}"
        )
    try:
        return codec(kind).decode(bytes(part.data), content_type, **params)
    except UnprocessableContent:
        raise
    except ProblemError as exc:
        raise dataclasses.replace(exc, detail=f"part {part.name!r}: {exc.detail}") from None


async def read(
    request: Request, content_type: str, limits: Limits, *, parts: Mapping[str, PartSpec]
) -> dict[str, Any]:
    """Parse the body as it streams in; the parts by name, each decoded by its kind."""

    uploads: list[UploadedFile] = []

    def on_upload(upload: UploadedFile) -> None:
        close_after_response(request, upload)
        uploads.append(upload)

    reader = _FormReader(content_type, parts, limits, on_upload)
    try:
        async for chunk in bounded_stream(request, limits.max_body_bytes):
            reader.feed(chunk)
            await reader.flush()
        reader.finish()
        return _decode_parts(reader, parts)
    except BaseException:
        for upload in uploads:
            upload.close()  # now rather than after the response: nothing will read them
        raise


def decode(
    body: bytes, content_type: str, *, parts: Mapping[str, PartSpec], limits: Limits | None = None
) -> dict[str, Any]:
    """The parts of a whole multipart body; the caller closes the files among them."""
    uploads: list[UploadedFile] = []
    reader = _FormReader(content_type, parts, limits or Limits(), uploads.append)
    try:
        reader.feed(body)
        for upload, data in reader.pending:
            upload.size += len(data)
            upload.write(data)
        reader.finish()
        return _decode_parts(reader, parts)
    except BaseException:
        for upload in uploads:
            upload.close()
        raise


def _quote(value: str) -> str:
    # As browsers write form-data names (HTML's multipart/form-data encoding algorithm).
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _serialise(result: object, parts: Mapping[str, PartSpec]) -> list[tuple[str, bytes]]:
    """Each part's headers and content; the result must have exactly the declared parts."""
    names = ", ".join(parts)
    if not isinstance(result, Mapping):
        raise ResponseValidationError(
            f"the API returned {type(result).__name__}; its Multipart output takes a dict "
            f"with the parts {names}"
        )
    # An optional part may be left out, or given as None: it is not sent.
    missing = [n for n, spec in parts.items() if n not in result and OPTIONAL not in _flags(spec)]
    unknown = [str(n) for n in result if n not in parts]
    if missing or unknown:
        raise ResponseValidationError(
            f"the API's result has parts {sorted(map(str, result))}; its Multipart output "
            f"declares {names} (missing {missing}, unknown {unknown})"
        )
    serialised: list[tuple[str, bytes]] = []
    for name, spec in parts.items():
        value = result.get(name)
        if value is None and OPTIONAL in _flags(spec):
            continue
        if REPEATED not in _flags(spec):
            serialised.append(_serialise_part(name, value, spec))
            continue
        if isinstance(value, (str, bytes, bytearray, memoryview)) or not isinstance(
            value, (list, tuple)
        ):
            raise ResponseValidationError(
                f"part {name!r} is repeated: give a list (one item per part), "
                f"not {type(value).__name__}"
            )
        if not value and OPTIONAL not in _flags(spec):
            raise ResponseValidationError(f"part {name!r} is required: give at least one item")
        serialised += [_serialise_part(name, item, spec) for item in value]
    return serialised


def _serialise_part(name: str, value: object, spec: PartSpec) -> tuple[str, bytes]:
    kind, media_types, params = spec[0], spec[1], spec[2]
    filename = getattr(value, "name", None) if kind == "file" else None
    try:
        content = codec(kind).to_bytes(value, media_types[0], **params)
    except ResponseValidationError as exc:
        raise ResponseValidationError(f"part {name!r}: {exc}") from None
    disposition = f'form-data; name="{_quote(name)}"'
    if isinstance(filename, str) and os.path.basename(filename):
        disposition += f'; filename="{_quote(os.path.basename(filename))}"'
    content_type = media_types[0]
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    head = f"Content-Disposition: {disposition}\r\nContent-Type: {content_type}\r\n\r\n"
    return head, content


def _assemble(serialised: list[tuple[str, bytes]], boundary: str) -> bytes:
    delimiter = f"--{boundary}\r\n".encode()
    chunks: list[bytes] = []
    for head, content in serialised:
        chunks += [delimiter, head.encode(), content, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks)


def _boundary(serialised: list[tuple[str, bytes]]) -> str:
    while True:  # a random boundary is unlikely to occur in a part, but make sure
        boundary = secrets.token_hex(16)
        marker = f"--{boundary}".encode()
        if not any(marker in content for _, content in serialised):
            return boundary


def to_bytes(result: object, media_type: str, *, parts: Mapping[str, PartSpec]) -> bytes:
    """The multipart body of a result, delimited by ``media_type``'s boundary parameter."""
    _, options = parse_options_header(media_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise ValueError(f"media type {media_type!r} names no boundary")
    return _assemble(_serialise(result, parts), boundary.decode("latin-1"))


def encode_request(
    value: object, media_type: str, *, parts: Mapping[str, PartSpec]
) -> tuple[bytes, str]:
    """A body of the parts in ``value`` and its Content-Type, with the boundary chosen."""
    serialised = _serialise(value, parts)
    boundary = _boundary(serialised)
    return _assemble(serialised, boundary), f"{FORM_DATA}; boundary={boundary}"


def encode(
    result: object, context: Context, media_type: str, *, parts: Mapping[str, PartSpec]
) -> Response:
    """A ``multipart/form-data`` response: one part per entry of the dict the API returned."""
    content, content_type = encode_request(result, media_type, parts=parts)
    return context.apply(BodyResponse(content, content_type))
