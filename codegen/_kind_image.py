"""The ``image`` IO kind: raw ``image/*`` bodies, decoded with Pillow by the runtime.

Reads only the ``x-dosirak-io`` dict, never Pillow: generating a server needs no extra.
"""

from __future__ import annotations

from typing import Any

__all__ = ["image_media_types", "image_params", "image_schema", "image_summary"]

Spec = dict[str, Any]

#: What `dosirak.io.Image()` declares when a document leaves them out; the same values
#: as `dosirak.runtime.codecs.image` (a test keeps them equal: codegen imports no runtime).
_DEFAULT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/bmp", "image/gif", "image/tiff")
_DEFAULT_MAX_PIXELS = 50_000_000


def image_media_types(spec: Spec) -> tuple[str, ...]:
    """``mime_type`` first (the default output), then the other allowed types in order."""
    allowed = tuple(spec.get("allowed_mime_types") or _DEFAULT_TYPES)
    first = spec.get("mime_type") or allowed[0]
    return (first, *(t for t in allowed if t != first))


def image_schema(
    spec: Spec, media_type: str, _: dict[str, Any] | None, components: dict[str, Any]
) -> dict[str, Any]:
    return {"type": "string", "format": "binary", "contentMediaType": media_type}


def image_params(spec: Spec) -> list[tuple[str, Any]]:
    return [
        ("pilmode", spec.get("pilmode")),
        ("media_types", image_media_types(spec)),
        ("max_pixels", int(spec.get("max_pixels") or _DEFAULT_MAX_PIXELS)),
    ]


def image_summary(spec: Spec) -> str:
    text = "an image"
    if spec.get("pilmode"):
        text += f" in mode {spec['pilmode']}"
    return f"{text}, at most {int(spec.get('max_pixels') or _DEFAULT_MAX_PIXELS)} pixels"
