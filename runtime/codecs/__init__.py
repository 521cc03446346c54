"""Codecs the generated code calls, one module per IO kind, with the document's literals.

Each kind's module has ``read`` (request → value), ``decode`` (bytes → value, also for
multipart parts), ``to_bytes`` and ``encode`` (result → response). A generated validator
reads like::

    async def classify_request(request, content_type, limits):
        return await _ndarray.read(
            request, content_type, limits, dtype="float32", shape=(-1, 4), ...
        )
"""

from ._framing import (
    DEFAULT_MAX_BODY_BYTES,
    Limits,
    ResponseValidationError,
    declared_status,
    negotiate,
    read_body,
    require_media_type,
)

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "Limits",
    "ResponseValidationError",
    "declared_status",
    "negotiate",
    "read_body",
    "require_media_type",
]
