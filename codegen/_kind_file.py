"""The ``file`` IO kind: a raw body of one media type, or a multipart file part.

Reads only the ``x-dosirak-io`` dict: ``{"type": "file", "mime_type": "text/csv" | None}``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["file_media_types", "file_schema", "file_summary"]

Spec = dict[str, Any]

OCTET_STREAM = "application/octet-stream"


def file_media_types(spec: Spec) -> tuple[str, ...]:
    return (spec.get("mime_type") or OCTET_STREAM,)


def file_schema(
    spec: Spec, media_type: str, _: dict[str, Any] | None, components: dict[str, Any]
) -> dict[str, Any]:
    # `format: binary` for OpenAPI 3.0 tools; `contentMediaType` is 3.1's own spelling.
    return {"type": "string", "format": "binary", "contentMediaType": media_type}


def file_summary(spec: Spec) -> str:
    return f"a file of type {file_media_types(spec)[0]}"
