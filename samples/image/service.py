"""Images in and out: grayscale thumbnails made with numpy, and colour statistics as JSON.

Needs Pillow: ``pip install 'dosirak[image]'``.
"""

from __future__ import annotations

import numpy as np
from PIL.Image import Image as PILImage
from pydantic import BaseModel, Field

import dosirak
from dosirak.io import Image, Json

svc = dosirak.Service("image_tools")

#: ITU-R BT.601 luma weights: how bright red, green and blue look to the eye.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float64)
THUMBNAIL_EDGE = 128


class ImageStats(BaseModel):
    """What one image holds, measured on its RGB pixels."""

    width: int = Field(ge=1)
    height: int = Field(ge=1)
    mean_rgb: list[float] = Field(min_length=3, max_length=3)
    brightness: float = Field(ge=0, le=255)


@svc.api(input=Image(pilmode="RGB"), output=Image(mime_type="image/png"))
def grayscale_thumbnail(image: PILImage) -> np.ndarray:
    """A grayscale thumbnail at most 128 pixels on its longer side.

    Any accepted image type in; PNG out unless the Accept header asks for another type.
    """
    pixels = np.asarray(image, dtype=np.float64)  # (H, W, 3)
    height, width = pixels.shape[:2]
    # Keep every step-th row and column (nearest neighbour): cheap and dependency-free.
    step = max(1, -(-max(height, width) // THUMBNAIL_EDGE))  # ceil division
    small = pixels[::step, ::step]
    gray = small @ LUMA
    return np.clip(np.rint(gray), 0, 255).astype(np.uint8)


@svc.api(input=Image(pilmode="RGB"), output=Json(pydantic_model=ImageStats))
def stats(image: PILImage) -> ImageStats:
    """The size, mean colour and mean brightness of an image."""
    pixels = np.asarray(image, dtype=np.float64)
    mean = pixels.reshape(-1, 3).mean(axis=0)
    return ImageStats(
        width=image.width,
        height=image.height,
        mean_rgb=[round(float(c), 3) for c in mean],
        brightness=round(float(mean @ LUMA), 3),
    )
