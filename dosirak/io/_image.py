from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ._base import IODescriptor

__all__ = ["Image"]


class Image(IODescriptor):
    """An image: the raw body in an ``image/*`` type, `PIL.Image.Image` in Python.

    Needs Pillow: ``pip install 'dosirak[image]'`` (constructing one without it says so).

    As input, the body's Content-Type must be one of ``allowed_mime_types`` (415 if not),
    and the bytes must be an image of that very type: a PNG labelled ``image/jpeg`` is a
    400, like bytes that are no image at all or a truncated one. Only the first frame of
    an animated GIF or a multi-page TIFF is read; EXIF orientation is not applied. An
    image whose header declares more than ``max_pixels`` pixels is answered 413 before
    any pixel is decoded (a decompression bomb: a few kilobytes of PNG can declare
    gigapixels); ``max_pixels`` defaults to 50 megapixels, under Pillow's own guard
    (``PIL.Image.MAX_IMAGE_PIXELS``, about 89), which a larger value must be raised past
    too. With ``pilmode`` (a Pillow mode such as ``"RGB"`` or ``"L"``) the function
    receives the image converted to it.

    As output, the function returns a PIL image or a uint8 numpy array of shape (H, W)
    or (H, W, C), C being 1, 2, 3 or 4 (gray, gray+alpha, RGB, RGBA); it is converted to
    ``pilmode`` when given and encoded as ``mime_type``, or as another of
    ``allowed_mime_types`` the Accept header prefers. Where the format cannot hold the
    mode (alpha in a JPEG), alpha and palettes are dropped to RGB or L; 16-bit and float
    images (I, I;16, F) are not clipped to fit but refused, and like any other result
    that is no image that is a 500 (the API's bug, not the client's).

    ``allowed_mime_types`` defaults to image/jpeg, image/png, image/webp, image/bmp,
    image/gif and image/tiff; ``mime_type`` (default image/jpeg, else the first allowed
    type) must be one of them. Every type must be one Pillow reads and writes.

    Example::

        @svc.api(input=Image(pilmode="RGB"), output=Image(mime_type="image/png"))
        def thumbnail(image: PIL.Image.Image) -> PIL.Image.Image:
            image.thumbnail((128, 128))
            return image
    """

    kind: ClassVar[str] = "image"

    def __init__(
        self,
        pilmode: str | None = None,
        mime_type: str | None = None,
        allowed_mime_types: Sequence[str] | None = None,
        *,
        max_pixels: int | None = None,
    ) -> None:
        from dosirak.runtime.codecs import image as codec

        pil = codec.pil()  # fails here, at definition time, when Pillow is missing
        if pilmode is not None and pilmode not in pil.MODES:
            raise ValueError(
                f"Image: pilmode {pilmode!r} is not a Pillow mode; use one of "
                f"{', '.join(sorted(pil.MODES))}"
            )
        if isinstance(allowed_mime_types, str):
            raise TypeError("Image: allowed_mime_types is a list of media types, not one string")
        if allowed_mime_types is None:
            allowed_mime_types = codec.DEFAULT_MEDIA_TYPES
        # Unique, in order, as media types are compared: lowercase.
        allowed = list(dict.fromkeys(t.strip().lower() for t in allowed_mime_types))
        if not allowed:
            raise ValueError("Image: allowed_mime_types is empty")
        for media_type in allowed:
            formats = codec.pil_formats(media_type) if media_type.startswith("image/") else ()
            if not formats or formats[0] not in pil.OPEN or formats[0] not in pil.SAVE:
                raise ValueError(
                    f"Image: {media_type!r} is not an image type this Pillow reads and writes"
                )
        if mime_type is None:
            mime_type = "image/jpeg" if "image/jpeg" in allowed else allowed[0]
        mime_type = mime_type.strip().lower()
        if mime_type not in allowed:
            raise ValueError(
                f"Image: mime_type {mime_type!r} is not one of allowed_mime_types {allowed}"
            )
        if max_pixels is None:
            max_pixels = codec.DEFAULT_MAX_PIXELS
        if isinstance(max_pixels, bool) or not isinstance(max_pixels, int) or max_pixels < 1:
            raise ValueError(f"Image: max_pixels must be a positive int, got {max_pixels!r}")
        self.pilmode = pilmode
        self.mime_type = mime_type
        self.allowed_mime_types = tuple(allowed)
        self.max_pixels = max_pixels

    def io_spec(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "pilmode": self.pilmode,
            "mime_type": self.mime_type,
            "allowed_mime_types": list(self.allowed_mime_types),
            "max_pixels": self.max_pixels,
        }
