"""The response a codec answers with: bytes known at once, headed as Starlette heads them."""

from __future__ import annotations

from starlette.responses import Response

__all__ = ["BodyResponse"]


class BodyResponse(Response):
    """A Starlette `Response` of ``content`` with Content-Length and Content-Type.

    Its headers are those ``Response(content, media_type=...)`` writes (``text/`` types
    without a charset get ``; charset=utf-8``), made without `Response`'s general
    ``render`` and ``init_headers``, which showed in profiles of small requests::

        response = BodyResponse(b'{"ok":true}', "application/json")
    """

    def __init__(self, content: bytes, media_type: str, status_code: int = 200) -> None:
        self.status_code = status_code
        self.media_type = media_type
        self.background = None
        self.body = content
        if media_type.startswith("text/") and "charset=" not in media_type.lower():
            media_type += "; charset=" + self.charset
        content_type = (b"content-type", media_type.encode("latin-1"))
        if status_code < 200 or status_code in (204, 304):  # no body: no length, as Starlette
            self.raw_headers = [content_type]
        else:
            self.raw_headers = [(b"content-length", b"%d" % len(content)), content_type]
