"""Images as raw bodies (or multipart parts) in one of the declared ``image/*`` types.

Pillow is an optional extra (``dosirak[image]``): it is imported on first use, so the
rest of dosirak works without it. Decoding is defensive, as the bytes are the client's:
only the plugins of the declared types are tried, the pixel count is checked from the
header before any pixel is decoded (413), and whatever Pillow raises on damaged or
truncated data is a 400. Example::

    image = decode(png_bytes, "image/png", pilmode="RGB", media_types=("image/png",),
                   max_pixels=50_000_000)
"""

from __future__ import annotations

import functools
import io
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response

from .._threads import codec_threads
from ..context import Context
from ..errors import BadRequest, PayloadTooLarge, UnprocessableContent, UnsupportedMediaType
from ._framing import Limits, ResponseValidationError, read_body
from ._response import BodyResponse

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_MEDIA_TYPES",
    "INSTALL_HINT",
    "decode",
    "encode",
    "pil",
    "pil_formats",
    "read",
    "to_bytes",
]

INSTALL_HINT = "pip install 'dosirak[image]'"
#: Accepted and produced unless a descriptor names others; all six ship with Pillow's wheels.
DEFAULT_MEDIA_TYPES = (
    "image/jpeg",
    "image/png",
    "image/webp",
    "image/bmp",
    "image/gif",
    "image/tiff",
)
#: 50 megapixels (an 8K frame is 33): below Pillow's own guard (a warning past 89), so
#: whatever Pillow warns about is refused here too.
DEFAULT_MAX_PIXELS = 50_000_000

#: Pillow formats that a media type's bytes may be; the first is the one written.
#: MPO is what Pillow calls a camera JPEG holding several pictures (the JPEG decoder
#: makes it); DIB is a BMP without its file header.
_ALIASES = {"image/jpeg": ("JPEG", "MPO"), "image/bmp": ("BMP", "DIB")}


@functools.cache
def pil() -> ModuleType:
    """``PIL.Image``, or an ImportError that says how to install it."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError(
            f"dosirak's Image descriptor needs Pillow, which is not installed: {INSTALL_HINT}"
        ) from exc
    Image.init()  # register every plugin, so MIME and SAVE are complete
    return Image


def pil_formats(media_type: str) -> tuple[str, ...]:
    """The Pillow formats ``media_type`` names (empty if Pillow knows none)."""
    if media_type in _ALIASES:
        return _ALIASES[media_type]
    image = pil()
    return tuple(sorted(f for f, m in image.MIME.items() if m == media_type))


def _media_type_of(format_name: str | None) -> str:
    for media_type, formats in _ALIASES.items():
        if format_name in formats:
            return media_type
    mime: dict[str, str] = pil().MIME
    return mime.get(format_name or "", f"an unknown format ({format_name})")


def _essence(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


async def read(
    request: Request,
    content_type: str,
    limits: Limits,
    *,
    pilmode: str | None,
    media_types: tuple[str, ...],
    max_pixels: int,
) -> PILImage:
    """Read the request body and decode it, off the event loop (decoding takes a while)."""
    body = await read_body(request, limits.max_body_bytes)
    decoder = functools.partial(
        decode,
        body,
        content_type,
        pilmode=pilmode,
        media_types=media_types,
        max_pixels=max_pixels,
    )
    return await codec_threads.run(decoder)


def decode(
    body: bytes,
    content_type: str,
    *,
    pilmode: str | None,
    media_types: tuple[str, ...],
    max_pixels: int,
) -> PILImage:
    """A loaded `PIL.Image.Image` (first frame), converted to ``pilmode`` when given.

    415 if ``content_type`` is not one of ``media_types``; 400 if the bytes are not an
    image of that type (a PNG sent as image/jpeg included) or are truncated; 413 if the
    header declares more than ``max_pixels`` pixels.
    """
    declared = _essence(content_type)
    if declared not in media_types:
        raise UnsupportedMediaType(
            f"Content-Type {declared!r} is not accepted; send {' or '.join(media_types)}"
        )
    if not body:
        raise BadRequest(f"the body is empty; send a {declared} image")
    image_module = pil()
    # Only the declared types' decoders: no guessing among Pillow's dozens of formats.
    formats = [f for t in media_types for f in pil_formats(t) if f in image_module.OPEN]
    try:
        image: PILImage = image_module.open(io.BytesIO(body), formats=formats)
    except (image_module.DecompressionBombError, image_module.DecompressionBombWarning) as exc:
        # Pillow's own guard (its global PIL.Image.MAX_IMAGE_PIXELS), above ours unless a
        # service raised max_pixels past it; its warning arrives as an exception where
        # warnings are errors. Either way: too many pixels, never a 500.
        guard = image_module.MAX_IMAGE_PIXELS
        limit = max_pixels if guard is None else min(max_pixels, guard)
        raise PayloadTooLarge(
            f"the image has more than {limit} pixels, the most this API decodes ({exc})"
        ) from None
    except Exception as exc:  # Pillow raises many kinds for bytes it cannot identify
        # "cannot identify image file <_io.BytesIO object at 0x...>" says nothing more.
        reason = "" if isinstance(exc, image_module.UnidentifiedImageError) else f": {exc}"
        raise BadRequest(
            f"the body is not an image of an accepted type ({', '.join(media_types)}){reason}"
        ) from None
    # Not closed: closing frees the pixels, and the file is only these bytes in memory.
    actual = _media_type_of(image.format)
    if actual != declared:
        raise BadRequest(
            f"the body is {actual} but its Content-Type says {declared}; "
            "send the type the bytes really are"
        )
    width, height = image.size
    if width * height > max_pixels:
        raise PayloadTooLarge(
            f"the image is {width}x{height} = {width * height} pixels; "
            f"this API accepts at most {max_pixels}"
        )
    try:
        image.load()
    except Exception as exc:  # truncated data, bad checksums, decoder errors
        raise BadRequest(f"the {declared} image is truncated or damaged: {exc}") from None
    if pilmode is not None and image.mode != pilmode:
        try:
            image = _convert(image, pilmode)
        except ValueError as exc:
            raise UnprocessableContent(
                f"an image of mode {image.mode} cannot be converted to {pilmode}: {exc}",
                kind="image_mode",
            ) from None
    return image


def _convert(image: PILImage, mode: str) -> PILImage:
    # Premultiplied alpha converts only to its plain form; a palette with transparency
    # goes through RGBA, as Pillow advises (and warns otherwise).
    if image.mode in _UNPREMULTIPLIED and mode != image.mode:
        image = image.convert(_UNPREMULTIPLIED[image.mode])
    if image.mode in ("P", "PA") and mode != "RGBA" and "transparency" in image.info:
        image = image.convert("RGBA")
    return image if image.mode == mode else image.convert(mode)


_UNPREMULTIPLIED = {"La": "LA", "RGBa": "RGBA"}
#: Modes of 8-bit channels: where a format cannot hold one, dropping alpha or the palette
#: (to L or RGB) keeps what the picture shows. Wider modes (I, I;16, F) would be clipped.
_GRAY = frozenset({"1", "L", "LA", "La"})
_EIGHT_BIT = _GRAY | {"P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV"}


#: Modes an array's shape stands for: (H, W) and (H, W, channels).
_ARRAY_MODES = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


def _as_image(result: object) -> PILImage:
    image_module = pil()
    if isinstance(result, image_module.Image):
        image: PILImage = result
        return image
    if not isinstance(result, np.ndarray):
        raise ResponseValidationError(
            f"the API returned {type(result).__name__}; an image output takes a "
            "PIL.Image.Image or a uint8 numpy array of shape (H, W) or (H, W, C)"
        )
    array: Any = result
    if array.dtype != np.uint8:
        raise ResponseValidationError(
            f"the API returned an array of dtype {array.dtype}; an image array is uint8"
        )
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if not (array.ndim == 2 or (array.ndim == 3 and array.shape[2] in _ARRAY_MODES)):
        raise ResponseValidationError(
            f"the API returned an array of shape {array.shape}; an image array is (H, W) "
            "or (H, W, C) with C of 1 (gray), 2 (gray, alpha), 3 (RGB) or 4 (RGBA)"
        )
    if array.size == 0:
        raise ResponseValidationError(f"the API returned an empty array {array.shape}")
    converted: PILImage = image_module.fromarray(np.ascontiguousarray(array))
    return converted


def to_bytes(
    result: object,
    media_type: str,
    *,
    pilmode: str | None,
    media_types: tuple[str, ...],
    max_pixels: int,
) -> bytes:
    """Encode a PIL image or a uint8 array as ``media_type`` (after ``pilmode``, if set).

    An 8-bit mode the format cannot hold loses its alpha or palette (to RGB or L, as a
    JPEG needs); a wider one (I, I;16, F) would be clipped, so it is a
    `ResponseValidationError`, like a result that is no image.
    """
    image = _as_image(result)
    if pilmode is not None and image.mode != pilmode:
        try:
            image = _convert(image, pilmode)
        except ValueError as exc:
            raise ResponseValidationError(
                f"the API returned an image of mode {image.mode}, which cannot be "
                f"converted to the declared {pilmode}: {exc}"
            ) from None
    formats = pil_formats(media_type)
    if not formats:
        raise ResponseValidationError(
            f"{media_type} is not an image type this API writes; it writes {', '.join(media_types)}"
        )
    format_name = formats[0]
    try:
        return _save(image, format_name)
    except (OSError, ValueError, KeyError):
        pass
    if image.mode not in _EIGHT_BIT:
        raise ResponseValidationError(
            f"an image of mode {image.mode} cannot be written as {media_type}; scale it "
            "to 8 bits (mode L or RGB), or declare a format that holds it (image/tiff)"
        )
    fallback = "L" if image.mode in _GRAY else "RGB"
    try:
        return _save(_convert(image, fallback), format_name)
    except (OSError, ValueError, KeyError) as exc:
        raise ResponseValidationError(
            f"an image of mode {image.mode} cannot be written as {media_type}: {exc}"
        ) from None


def _save(image: PILImage, format_name: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format_name)
    return buffer.getvalue()


def encode(
    result: object,
    context: Context,
    media_type: str,
    *,
    pilmode: str | None,
    media_types: tuple[str, ...],
    max_pixels: int,
) -> Response:
    """The response for an API's image result, in the negotiated ``media_type``."""
    content = to_bytes(
        result, media_type, pilmode=pilmode, media_types=media_types, max_pixels=max_pixels
    )
    return context.apply(BodyResponse(content, media_type))
