"""The `Image` descriptor: its document, its codec, and the image sample served for real.

Black-box tests talk to ``dosirak serve samples/image/service.py:svc`` over loopback; the
codec tests run in-process, where warnings are errors (pytest's filterwarnings), which is
how Pillow's DecompressionBombWarning would escape if the codec did not catch it.
"""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from dosirak.codegen import build_document
from dosirak.codegen._kind_image import image_media_types, image_params, image_summary
from dosirak.codegen._kinds import KINDS
from dosirak.runtime.codecs import ResponseValidationError, image
from dosirak.runtime.errors import (
    BadRequest,
    PayloadTooLarge,
    UnprocessableContent,
    UnsupportedMediaType,
)
from openapi_spec_validator import validate
from PIL import Image as PILImageModule
from PIL.Image import Image as PILImage

import dosirak
from dosirak.io import Image, Json

from .conftest import ROOT, SAMPLES, Served

TARGET = f"{SAMPLES / 'image' / 'service.py'}:svc"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
DEFAULT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/bmp", "image/gif", "image/tiff")
FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/bmp": "BMP",
    "image/gif": "GIF",
    "image/tiff": "TIFF",
}


# ---------------------------------------------------------------- helpers


def noise(height: int, width: int, channels: int = 3, seed: int = 0) -> np.ndarray:
    shape = (height, width) if channels == 1 else (height, width, channels)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def encoded(pixels: np.ndarray | PILImage, media_type: str) -> bytes:
    picture = pixels if isinstance(pixels, PILImage) else PILImageModule.fromarray(pixels)
    buffer = io.BytesIO()
    picture.save(buffer, format=FORMATS[media_type])
    return buffer.getvalue()


def opened(body: bytes) -> PILImage:
    picture = PILImageModule.open(io.BytesIO(body))
    picture.load()
    return picture


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def bomb_png(width: int, height: int) -> bytes:
    """A valid 1-bit black PNG of ``width`` x ``height``: ~110 KB for 30000 x 30000.

    Written by hand (IHDR, then every row compressed as it is made), so the test never
    holds the gigapixel image it describes.
    """
    row = bytes(1 + (width + 7) // 8)  # filter byte 0, then the row's bits
    compressor = zlib.compressobj(9)
    rows_per_block = 1000
    data = []
    for start in range(0, height, rows_per_block):
        data.append(compressor.compress(row * min(rows_per_block, height - start)))
    data.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1 bit, grayscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(data))
        + _png_chunk(b"IEND", b"")
    )


def decode(body: bytes, content_type: str, **kwargs: Any) -> PILImage:
    options: dict[str, Any] = {
        "pilmode": None,
        "media_types": DEFAULT_TYPES,
        "max_pixels": 50_000_000,
    }
    options.update(kwargs)
    return image.decode(body, content_type, **options)


def to_bytes(result: object, media_type: str = "image/png", **kwargs: Any) -> bytes:
    options: dict[str, Any] = {
        "pilmode": None,
        "media_types": DEFAULT_TYPES,
        "max_pixels": 50_000_000,
    }
    options.update(kwargs)
    return image.to_bytes(result, media_type, **options)


def assert_problem(response: httpx.Response, status: int, *, path: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["instance"] == path
    return body


# ---------------------------------------------------------------- the document


def _service() -> dosirak.Service:
    svc = dosirak.Service("pictures")

    @svc.api(input=Image(pilmode="RGB"), output=Image(mime_type="image/png"))
    def flip(picture: PILImage) -> PILImage:
        return picture

    @svc.api(
        input=Image(allowed_mime_types=["image/png", "image/webp"], max_pixels=1000),
        output=Json(),
    )
    def size(picture: PILImage) -> list[int]:
        return list(picture.size)

    return svc


def test_document_declares_each_image_type_as_binary() -> None:
    document = build_document(_service())
    validate(document)
    flip = document["paths"]["/flip"]["post"]
    request = flip["requestBody"]
    assert list(request["content"]) == list(DEFAULT_TYPES)
    for media_type, media in request["content"].items():
        assert media == {
            "schema": {"type": "string", "format": "binary", "contentMediaType": media_type}
        }
    assert request["x-dosirak-io"] == {
        "type": "image",
        "pilmode": "RGB",
        "mime_type": "image/jpeg",
        "allowed_mime_types": list(DEFAULT_TYPES),
        "max_pixels": 50_000_000,
    }
    # The declared output type comes first: it is what a request without Accept gets.
    response = flip["responses"]["200"]
    assert next(iter(response["content"])) == "image/png"
    assert set(response["content"]) == set(DEFAULT_TYPES)
    assert response["x-dosirak-io"]["mime_type"] == "image/png"
    assert set(flip["responses"]) >= {"400", "406", "413", "415", "500"}


def test_allowed_types_restrict_the_document() -> None:
    document = build_document(_service())
    request = document["paths"]["/size"]["post"]["requestBody"]
    # mime_type was not given and image/jpeg is not allowed: the first allowed type.
    assert list(request["content"]) == ["image/png", "image/webp"]
    assert request["x-dosirak-io"]["max_pixels"] == 1000


def test_kind_reads_only_the_extension() -> None:
    spec = {
        "type": "image",
        "pilmode": "L",
        "mime_type": "image/webp",
        "allowed_mime_types": ["image/png", "image/webp"],
        "max_pixels": 123,
    }
    assert KINDS["image"].media_types is image_media_types
    assert image_media_types(spec) == ("image/webp", "image/png")
    assert image_params(spec) == [
        ("pilmode", "L"),
        ("media_types", ("image/webp", "image/png")),
        ("max_pixels", 123),
    ]
    assert image_summary(spec) == "an image in mode L, at most 123 pixels"
    # A spec-first document may say no more than the type: the descriptor's defaults.
    assert image_media_types({"type": "image"}) == image.DEFAULT_MEDIA_TYPES
    assert image_params({"type": "image"})[2] == ("max_pixels", image.DEFAULT_MAX_PIXELS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pilmode": "RGBZ"}, "not a Pillow mode"),
        ({"allowed_mime_types": ["image/svg+xml"]}, "not an image type this Pillow"),
        ({"allowed_mime_types": ["text/plain"]}, "not an image type this Pillow"),
        ({"allowed_mime_types": []}, "empty"),
        ({"mime_type": "image/png", "allowed_mime_types": ["image/jpeg"]}, "not one of"),
        ({"max_pixels": 0}, "positive int"),
    ],
)
def test_descriptor_refuses_what_it_cannot_serve(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Image(**kwargs)


def test_descriptor_takes_a_list_not_a_string() -> None:
    with pytest.raises(TypeError, match="list of media types"):
        Image(allowed_mime_types="image/png")


def test_dosirak_imports_without_pillow_and_image_names_the_extra() -> None:
    script = (
        "import sys\n"
        "sys.modules['PIL'] = None  # as if Pillow were not installed\n"
        "import dosirak, dosirak.io, dosirak.runtime.codecs.image\n"
        "try:\n"
        "    dosirak.io.Image()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert "pip install 'dosirak[image]'" in result.stdout


# ---------------------------------------------------------------- the codec


@pytest.mark.parametrize("media_type", DEFAULT_TYPES)
def test_decode_every_default_type(media_type: str) -> None:
    pixels = noise(12, 20)
    picture = decode(encoded(pixels, media_type), media_type, pilmode="RGB")
    assert picture.size == (20, 12)
    assert picture.mode == "RGB"
    if media_type in ("image/png", "image/bmp", "image/tiff"):  # lossless
        assert np.array_equal(np.asarray(picture), pixels)


def test_decode_as_a_multipart_part_checks_its_own_type() -> None:
    body = encoded(noise(4, 4), "image/png")
    assert decode(body, "image/png; name=photo").size == (4, 4)
    with pytest.raises(UnsupportedMediaType, match="application/octet-stream"):
        decode(body, "application/octet-stream")
    with pytest.raises(UnsupportedMediaType):
        decode(body, "image/png", media_types=("image/jpeg",))


def test_decode_refuses_a_mislabelled_image() -> None:
    with pytest.raises(BadRequest, match="the body is image/png but its Content-Type says"):
        decode(encoded(noise(4, 4), "image/png"), "image/jpeg")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"definitely not an image", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image"),
    ],
)
def test_decode_refuses_garbage(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        decode(body, "image/png")


def test_decode_refuses_a_truncated_png() -> None:
    body = encoded(noise(64, 64), "image/png")
    with pytest.raises(BadRequest, match="truncated or damaged"):
        decode(body[: len(body) // 2], "image/png")


def test_pixel_limit_is_checked_before_decoding() -> None:
    body = bomb_png(2000, 1000)
    with pytest.raises(PayloadTooLarge, match="2000x1000 = 2000000 pixels"):
        decode(body, "image/png", max_pixels=1_000_000)
    assert decode(body, "image/png", max_pixels=2_000_000).size == (2000, 1000)


@pytest.mark.parametrize(
    "side",
    [
        10_000,  # 100 Mpx: past Pillow's 89 Mpx warning (an exception here)
        20_000,  # 400 Mpx: past twice that, Pillow's DecompressionBombError
    ],
)
def test_pillows_own_bomb_guard_is_a_413_not_an_escaping_warning(side: int) -> None:
    # A service that raised max_pixels past Pillow's limit meets Pillow's guard.
    with pytest.raises(PayloadTooLarge, match="more than 89478485 pixels"):
        decode(bomb_png(side, side), "image/png", max_pixels=10**12)


def test_pilmode_converts_a_transparent_palette_without_warning() -> None:
    palette = PILImageModule.fromarray(noise(8, 8)).convert("P")
    palette.info["transparency"] = 0
    body = encoded(palette, "image/png")
    assert decode(body, "image/png", pilmode="RGB").mode == "RGB"
    assert decode(body, "image/png").mode == "P"


def test_pilmode_that_cannot_be_reached_is_a_422() -> None:
    body = encoded(PILImageModule.new("P", (4, 4)), "image/gif")
    with pytest.raises(UnprocessableContent, match="mode P cannot be converted to I;16"):
        decode(body, "image/gif", pilmode="I;16")


@pytest.mark.parametrize(
    ("pixels", "mode"),
    [
        (noise(6, 5, 1), "L"),
        (noise(6, 5, 3)[:, :, :1], "L"),
        (noise(6, 5, 3), "RGB"),
        (noise(6, 5, 4), "RGBA"),
    ],
)
def test_arrays_encode_by_their_shape(pixels: np.ndarray, mode: str) -> None:
    picture = opened(to_bytes(pixels, "image/png"))
    assert picture.mode == mode
    assert np.array_equal(np.asarray(picture), pixels.reshape(np.asarray(picture).shape))


@pytest.mark.parametrize("media_type", DEFAULT_TYPES)
def test_rgba_results_fit_every_format(media_type: str) -> None:
    picture = opened(to_bytes(noise(6, 5, 4), media_type))
    assert picture.size == (5, 6)
    assert picture.format == FORMATS[media_type]


def test_pilmode_applies_to_results() -> None:
    assert opened(to_bytes(noise(6, 5, 3), pilmode="L")).mode == "L"


@pytest.mark.parametrize(
    ("result", "message"),
    [
        ("a string", "returned str"),
        (np.zeros((4, 4), dtype=np.float32), "dtype float32"),
        (np.zeros((4, 4, 5), dtype=np.uint8), "shape"),
        (np.zeros((4,), dtype=np.uint8), "shape"),
        (np.zeros((0, 4), dtype=np.uint8), "empty"),
    ],
)
def test_results_that_are_no_image_are_server_errors(result: object, message: str) -> None:
    with pytest.raises(ResponseValidationError, match=message):
        to_bytes(result)


def test_wide_modes_are_refused_where_they_would_be_clipped() -> None:
    wide = PILImageModule.new("I;16", (4, 4), 40000)
    assert opened(to_bytes(wide, "image/png")).mode == "I;16"  # PNG holds 16 bits
    with pytest.raises(ResponseValidationError, match="scale it to 8 bits"):
        to_bytes(wide, "image/jpeg")


# ---------------------------------------------------------------- black-box


@pytest.fixture(scope="module")
def server(serve_target: Callable[[str], Served]) -> Served:
    return serve_target(TARGET)


@pytest.fixture
def client(server: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        yield http


def post(client: httpx.Client, path: str, body: bytes, content_type: str, **headers: str) -> Any:
    return client.post(path, content=body, headers={"content-type": content_type, **headers})


@pytest.mark.parametrize("media_type", ["image/png", "image/jpeg", "image/webp", "image/gif"])
def test_thumbnail_round_trip(client: httpx.Client, media_type: str) -> None:
    response = post(
        client, "/grayscale_thumbnail", encoded(noise(300, 400), media_type), media_type
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    picture = opened(response.content)
    assert picture.format == "PNG"
    assert picture.mode == "L"
    assert picture.size == (100, 75)  # every 4th pixel of 400 x 300


def test_thumbnail_is_the_luma_of_the_colour(client: httpx.Client) -> None:
    pixels = np.zeros((10, 10, 3), dtype=np.uint8)
    pixels[:] = (200, 100, 50)
    response = post(client, "/grayscale_thumbnail", encoded(pixels, "image/png"), "image/png")
    gray = np.asarray(opened(response.content))
    assert gray.shape == (10, 10)
    assert np.all(gray == 124)  # 0.299 * 200 + 0.587 * 100 + 0.114 * 50 = 124.2


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("image/webp", "image/webp"),
        ("image/jpeg;q=0.5, image/tiff", "image/tiff"),
        ("image/*", "image/png"),
        ("*/*", "image/png"),
    ],
)
def test_accept_picks_the_output_type(client: httpx.Client, accept: str, media_type: str) -> None:
    body = encoded(noise(20, 20), "image/png")
    response = post(client, "/grayscale_thumbnail", body, "image/png", accept=accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    assert opened(response.content).format == FORMATS[media_type]


def test_unacceptable_accept_is_a_406(client: httpx.Client) -> None:
    body = encoded(noise(20, 20), "image/png")
    response = post(client, "/grayscale_thumbnail", body, "image/png", accept="application/json")
    assert_problem(response, 406, path="/grayscale_thumbnail")


def test_stats_answers_json(client: httpx.Client) -> None:
    pixels = np.zeros((30, 40, 3), dtype=np.uint8)
    pixels[:, :20] = (255, 0, 0)  # left half red, right half black
    response = post(client, "/stats", encoded(pixels, "image/png"), "image/png")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "width": 40,
        "height": 30,
        "mean_rgb": [127.5, 0.0, 0.0],
        "brightness": round(127.5 * 0.299, 3),
    }


def test_stats_takes_rgba_converted_to_rgb(client: httpx.Client) -> None:
    response = post(client, "/stats", encoded(noise(8, 8, 4), "image/webp"), "image/webp")
    assert response.status_code == 200, response.text
    assert response.json()["width"] == 8


@pytest.mark.parametrize("content_type", ["image/svg+xml", "text/plain", "image/jpg", None])
def test_types_not_allowed_are_a_415(client: httpx.Client, content_type: str | None) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    body = b'<svg xmlns="http://www.w3.org/2000/svg"/>'
    response = client.post("/stats", content=body, headers=headers)
    assert_problem(response, 415, path="/stats")


@pytest.mark.parametrize("case", ["garbage", "truncated", "empty", "mislabelled", "truncated_jpeg"])
def test_bodies_that_are_no_image_are_a_400(client: httpx.Client, case: str) -> None:
    png = encoded(noise(64, 64), "image/png")
    jpeg = encoded(noise(64, 64), "image/jpeg")
    body, content_type = {
        "garbage": (b"\x00\x01 random garbage \xff" * 10, "image/png"),
        "truncated": (png[: len(png) // 2], "image/png"),
        "empty": (b"", "image/png"),
        "mislabelled": (jpeg, "image/png"),
        "truncated_jpeg": (jpeg[: len(jpeg) // 2], "image/jpeg"),
    }[case]
    response = post(client, "/grayscale_thumbnail", body, content_type)
    assert_problem(response, 400, path="/grayscale_thumbnail")


@pytest.mark.parametrize(
    "side",
    [
        8_000,  # 64 Mpx: over the API's 50 Mpx, under Pillow's guard
        10_000,  # 100 Mpx: over Pillow's warning too
        30_000,  # 900 Mpx: over Pillow's DecompressionBombError too
    ],
)
def test_decompression_bomb_is_a_quick_413_and_the_server_keeps_serving(
    client: httpx.Client, server: Served, side: int
) -> None:
    bomb = bomb_png(side, side)
    assert len(bomb) < 200_000
    started = time.monotonic()
    response = post(client, "/stats", bomb, "image/png")
    elapsed = time.monotonic() - started
    body = assert_problem(response, 413, path="/stats")
    assert "pixels" in body["detail"]
    assert elapsed < 5, f"the bomb took {elapsed:.1f}s: it was decoded"
    good = post(client, "/stats", encoded(noise(4, 4), "image/png"), "image/png")
    assert good.status_code == 200, good.text
    assert client.get("/livez").status_code == 200
    assert "Traceback" not in server.log()


def test_published_document_matches(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    validate(document)
    request = document["paths"]["/grayscale_thumbnail"]["post"]["requestBody"]
    assert list(request["content"]) == list(DEFAULT_TYPES)
    response = document["paths"]["/stats"]["post"]["responses"]["200"]
    assert list(response["content"]) == ["application/json"]
