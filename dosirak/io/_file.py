from __future__ import annotations

import re
from typing import Any, ClassVar

from dosirak.runtime.codecs.file import UploadedFile

from ._base import IODescriptor

__all__ = ["File", "UploadedFile"]

# A media type without parameters or wildcards (RFC 6838 restricted names).
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


class File(IODescriptor):
    """A file: the raw body (or one part of a `Multipart`) in; bytes, a file or a path out.

    The API receives an `UploadedFile`, a `tempfile.SpooledTemporaryFile` positioned at its
    start: in memory up to the server's ``Limits.spool_bytes`` (1 MiB), in an anonymous
    temporary file beyond; ``.name`` is the file name the client gave (None if none),
    ``.content_type`` what it sent, ``.size`` the bytes received. The server closes it once
    the response is sent: copy what must outlive the request.

    It may return ``bytes``, a binary file object (streamed from where it stands, then
    closed: ``seek(0)`` a file you have just written) or a path (``str`` or
    ``pathlib.Path``, streamed, sent with its name as an attachment).

    The media type is ``mime_type``, ``application/octet-stream`` by default. A raw body
    must be sent with it (415 otherwise); a `Multipart` file part may carry any
    Content-Type, browsers guessing differently for one file.

    Example::

        @svc.api(input=File(mime_type="text/csv"), output=Json())
        def digest(upload: UploadedFile) -> dict[str, object]:
            data = upload.read()
            return {"name": upload.name, "sha256": hashlib.sha256(data).hexdigest()}

        @svc.api(input=Text(), output=File(mime_type="text/csv"))
        def report(name: str) -> pathlib.Path:
            return REPORTS / f"{name}.csv"
    """

    kind: ClassVar[str] = "file"
    python_type: ClassVar[Any] = UploadedFile

    def __init__(self, mime_type: str | None = None) -> None:
        if mime_type is not None:
            if not isinstance(mime_type, str) or not _MEDIA_TYPE.match(mime_type.lower()):
                raise ValueError(
                    f"File: mime_type {mime_type!r} must be a media type such as "
                    "'text/csv', without parameters or wildcards"
                )
            mime_type = mime_type.lower()
        self.mime_type = mime_type

    def io_spec(self) -> dict[str, Any]:
        return {"type": self.kind, "mime_type": self.mime_type}
