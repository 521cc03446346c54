"""Black-box: every API of the tabular, image and multipart samples through the generated
clients (sync and async) and `dosirak.Client.from_url`, against real servers."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import io
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest
from dosirak.codegen import build_document, generate_files, write_files
from PIL import Image

import dosirak
from dosirak._loader import load_service
from dosirak.client import RequestEncodingError

from .conftest import SAMPLES, Served

TABULAR = f"{SAMPLES / 'tabular' / 'service.py'}:svc"
IMAGE = f"{SAMPLES / 'image' / 'service.py'}:svc"
MULTIPART = f"{SAMPLES / 'multipart' / 'service.py'}:svc"

CSV = "text/csv"
ARROW = "application/vnd.apache.arrow.stream"
JSON = "application/json"
NPY = "application/x-npy"

Sample = tuple[ModuleType, str]


@pytest.fixture(scope="session")
def client_package(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], ModuleType]]:
    """Generate a service's client package and import it (once per target)."""
    made: dict[str, ModuleType] = {}
    root = tmp_path_factory.mktemp("sample_clients")

    def get(target: str) -> ModuleType:
        if target not in made:
            service = load_service(target)
            out = root / service.name
            write_files(generate_files(build_document(service)), out)
            (project,) = (out / "client").iterdir()
            sys.path.insert(0, str(project))
            made[target] = importlib.import_module(project.name)
        return made[target]

    yield get
    for module in made.values():
        for name in [n for n in sys.modules if n.split(".")[0] == module.__name__]:
            del sys.modules[name]


def _sample(
    target: str,
    serve_target: Callable[[str], Served],
    client_package: Callable[[str], ModuleType],
) -> Sample:
    return client_package(target), serve_target(target).base_url


@pytest.fixture
def tabular(
    serve_target: Callable[[str], Served], client_package: Callable[[str], ModuleType]
) -> Sample:
    return _sample(TABULAR, serve_target, client_package)


@pytest.fixture
def image(
    serve_target: Callable[[str], Served], client_package: Callable[[str], ModuleType]
) -> Sample:
    return _sample(IMAGE, serve_target, client_package)


@pytest.fixture
def multipart(
    serve_target: Callable[[str], Served], client_package: Callable[[str], ModuleType]
) -> Sample:
    return _sample(MULTIPART, serve_target, client_package)


# --- tabular: PandasDataFrame / PandasSeries ------------------------------------------

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
FLOWERS = pd.DataFrame(
    [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 2.8, 4.3, 1.3], [6.7, 3.0, 5.2, np.nan]],
    columns=FEATURES,
    dtype=np.float64,
)
PREDICTED = pd.DataFrame(
    {
        "species": pd.array(["setosa", "virginica", "versicolor", None], dtype="str"),
        "class_id": np.array([0, 2, 1, -1], dtype=np.int64),
    }
)
ROW_SPECIES = pd.Series(["setosa", "virginica", "versicolor", None], dtype="str")
FRAME_TYPES = [JSON, CSV, ARROW]


def _assert_predicted(result: Any, expected: pd.DataFrame = PREDICTED) -> None:
    assert isinstance(result, pd.DataFrame)
    pd.testing.assert_frame_equal(result.reset_index(drop=True), expected)


@pytest.mark.parametrize("accept", FRAME_TYPES)
@pytest.mark.parametrize("media_type", FRAME_TYPES)
def test_tabular_classify_every_media_type(tabular: Sample, media_type: str, accept: str) -> None:
    package, url = tabular
    with package.Client(url) as client:
        _assert_predicted(client.classify(FLOWERS, media_type=media_type, accept=accept))


@pytest.mark.parametrize("prefer_json", [False, True])
def test_tabular_sync_round_trips(tabular: Sample, prefer_json: bool) -> None:
    package, url = tabular
    with package.Client(url, prefer_json=prefer_json) as client:
        _assert_predicted(client.classify(FLOWERS))
        for media_type in FRAME_TYPES:
            # Columns go by position (orient "values"): the names sent do not matter.
            renamed = FLOWERS.set_axis(list("abcd"), axis=1)
            for frame in (FLOWERS, renamed):
                rows = client.classify_rows(frame, media_type=media_type)
                assert isinstance(rows, pd.Series)
                pd.testing.assert_series_equal(rows, ROW_SPECIES)

        lengths = pd.Series([1.4, 4.7, np.nan, 5.6], index=[10, 11, 12, 13], name="petal_length")
        expected = pd.Series(["setosa", "versicolor", None, "virginica"], dtype="str")
        for media_type in FRAME_TYPES:
            for accept in FRAME_TYPES:
                species = client.species_by_petal_length(
                    lengths, media_type=media_type, accept=accept
                )
                assert isinstance(species, pd.Series)
                # The index is not sent: the answer has the server's 0..n-1.
                pd.testing.assert_series_equal(
                    species.reset_index(drop=True), expected, check_names=False
                )
                if accept == JSON:  # orient "split" carries the name
                    assert species.name == "species"


def test_tabular_async_round_trips(tabular: Sample) -> None:
    package, url = tabular

    async def main() -> Sequence[Any]:
        async with package.AsyncClient(url) as client:
            return await asyncio.gather(
                client.classify(FLOWERS),
                client.classify(FLOWERS, media_type=CSV, accept=ARROW),
                client.classify(FLOWERS, media_type=ARROW, accept=CSV),
                client.classify_rows(FLOWERS, media_type=ARROW),
                client.species_by_petal_length(pd.Series([1.0, 6.0])),
            )

    by_json, by_csv, by_arrow, rows, species = asyncio.run(main())
    for frame in (by_json, by_csv, by_arrow):
        _assert_predicted(frame)
    pd.testing.assert_series_equal(rows, ROW_SPECIES)
    assert species.tolist() == ["setosa", "virginica"]
    assert species.name == "species"


@pytest.mark.parametrize("media_type", FRAME_TYPES)
def test_tabular_empty_table(tabular: Sample, media_type: str) -> None:
    package, url = tabular
    empty = FLOWERS.iloc[:0]
    with package.Client(url) as client:
        _assert_predicted(client.classify(empty, media_type=media_type), PREDICTED.iloc[:0])


def test_tabular_errors_are_typed(tabular: Sample) -> None:
    package, url = tabular
    with package.Client(url) as client:
        # The declared columns and enforced dtypes are checked before sending.
        with pytest.raises(RequestEncodingError, match="expected dtype float64, received str"):
            client.classify(FLOWERS.assign(sepal_length="tall"))
        with pytest.raises(RequestEncodingError, match="declares"):
            client.classify(FLOWERS.drop(columns="petal_width"))
        with pytest.raises(RequestEncodingError, match="infinity"):
            client.classify(FLOWERS.assign(petal_width=np.inf))  # JSON cannot carry it
        with pytest.raises(RequestEncodingError, match="declares"):
            client.classify_rows(FLOWERS.iloc[:, :3])
        with pytest.raises(package.ClientError) as unsupported:
            client.classify(FLOWERS, media_type="application/xml")
        assert unsupported.value.status == 415
        assert "application/xml" in unsupported.value.detail
        with pytest.raises(package.ClientError) as not_acceptable:
            client.species_by_petal_length(pd.Series([1.0]), accept="text/html")
        assert not_acceptable.value.status == 406
        assert not isinstance(not_acceptable.value, package.ValidationError)
    # Infinity does travel as CSV and Arrow: not a missing value (-1), a class (every
    # distance is infinite, so the first).
    with package.Client(url) as client:
        far = FLOWERS.iloc[:1].assign(petal_width=np.inf)
        for media_type in (CSV, ARROW):
            assert client.classify(far, media_type=media_type)["class_id"].tolist() == [0]


# --- image: Image in, Image or Json out -----------------------------------------------

LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float64)


def _picture() -> npt.NDArray[np.uint8]:
    """300 x 200 RGB: red rises along x, green along y, blue constant."""
    pixels = np.zeros((200, 300, 3), dtype=np.uint8)
    pixels[..., 0] = (np.arange(300) * 255 // 299).astype(np.uint8)[None, :]
    pixels[..., 1] = (np.arange(200) * 255 // 199).astype(np.uint8)[:, None]
    pixels[..., 2] = 77
    return pixels


PICTURE = _picture()
#: What /grayscale_thumbnail computes: every 3rd row and column (300 / 128 rounds up to 3).
THUMBNAIL = np.clip(np.rint(PICTURE[::3, ::3].astype(np.float64) @ LUMA), 0, 255).astype(np.uint8)
MEAN_RGB = PICTURE.reshape(-1, 3).astype(np.float64).mean(axis=0)
IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/bmp", "image/gif", "image/tiff"]
#: How each type comes back: lossless types give the thumbnail's pixels exactly.
THUMBNAIL_FORMS = {
    "image/png": ("PNG", "L", True),
    "image/bmp": ("BMP", "L", True),
    "image/tiff": ("TIFF", "L", True),
    "image/jpeg": ("JPEG", "L", False),
    "image/webp": ("WEBP", "RGB", False),  # WebP has no grayscale mode
    "image/gif": ("GIF", "P", False),
}


def _assert_stats(stats: Any, package: ModuleType, tolerance: float) -> None:
    assert isinstance(stats, package.models.ImageStats)
    assert (stats.width, stats.height) == (300, 200)
    np.testing.assert_allclose(stats.mean_rgb, MEAN_RGB, atol=tolerance)
    assert stats.brightness == pytest.approx(float(MEAN_RGB @ LUMA), abs=tolerance)


def _assert_thumbnail(thumbnail: Any, accept: str) -> None:
    format_name, mode, exact = THUMBNAIL_FORMS[accept]
    assert isinstance(thumbnail, Image.Image)
    assert (thumbnail.format, thumbnail.mode, thumbnail.size) == (format_name, mode, (100, 67))
    gray = np.asarray(thumbnail.convert("L"))
    if exact:
        np.testing.assert_array_equal(gray, THUMBNAIL)
    else:
        assert np.abs(gray.astype(np.int64) - THUMBNAIL).mean() < 4


def test_image_sync_round_trips(image: Sample) -> None:
    package, url = image
    picture = Image.fromarray(PICTURE)
    with package.Client(url) as client:
        # Lossless types measure the exact pixels; JPEG (the default) nearly.
        for media_type in ("image/png", "image/bmp", "image/tiff"):
            _assert_stats(client.stats(picture, media_type=media_type), package, 1e-3)
        _assert_stats(client.stats(PICTURE, media_type="image/png"), package, 1e-3)  # an array
        for lossy in (None, "image/jpeg", "image/webp", "image/gif"):
            _assert_stats(client.stats(picture, media_type=lossy), package, 3.0)
        for accept in IMAGE_TYPES:
            thumbnail = client.grayscale_thumbnail(picture, media_type="image/png", accept=accept)
            _assert_thumbnail(thumbnail, accept)
        _assert_thumbnail(client.grayscale_thumbnail(picture, media_type="image/png"), "image/png")
        # A grayscale image goes in as RGB (the declared pilmode): gray stays gray.
        gray = Image.fromarray(np.full((10, 20), 90, dtype=np.uint8))
        stats = client.stats(gray, media_type="image/png")
        assert (stats.width, stats.height, stats.mean_rgb) == (20, 10, [90.0, 90.0, 90.0])


def test_image_async_round_trips(image: Sample) -> None:
    package, url = image
    picture = Image.fromarray(PICTURE)

    async def main() -> Sequence[Any]:
        async with package.AsyncClient(url) as client:
            return await asyncio.gather(
                client.stats(picture, media_type="image/png"),
                client.grayscale_thumbnail(picture, media_type="image/tiff"),
                client.grayscale_thumbnail(PICTURE, media_type="image/png", accept="image/bmp"),
            )

    stats, png, bmp = asyncio.run(main())
    _assert_stats(stats, package, 1e-3)
    _assert_thumbnail(png, "image/png")
    _assert_thumbnail(bmp, "image/bmp")


def test_image_errors_are_typed(image: Sample) -> None:
    package, url = image
    with package.Client(url) as client:
        with pytest.raises(RequestEncodingError, match=r"takes a PIL\.Image\.Image"):
            client.stats(b"\x89PNG not really")
        with pytest.raises(RequestEncodingError, match="empty array"):
            client.stats(np.zeros((0, 4, 3), dtype=np.uint8))
        with pytest.raises(RequestEncodingError, match="dtype float64"):
            client.grayscale_thumbnail(PICTURE.astype(np.float64))
        with pytest.raises(package.ClientError) as not_acceptable:
            client.grayscale_thumbnail(Image.fromarray(PICTURE), accept="text/html")
        assert not_acceptable.value.status == 406
        # More pixels than the API decodes (50 megapixels): refused from the header.
        huge = Image.new("L", (8000, 7000))
        with pytest.raises(package.ClientError) as too_large:
            client.stats(huge)
        assert too_large.value.status == 413
        assert "56000000" in too_large.value.detail


def test_image_undeclared_media_type_is_an_encoding_error(image: Sample) -> None:
    package, url = image
    with package.Client(url) as client, pytest.raises(RequestEncodingError):
        client.stats(Image.fromarray(PICTURE), media_type="image/svg+xml")


# --- multipart: Multipart in and out, File in and out ---------------------------------

#: 2.5 MB: past the server's 1 MiB spool threshold, so the upload lives on disk there.
PAYLOAD = np.random.default_rng(7).integers(0, 256, 2_500_000, dtype=np.uint8).tobytes()
ARR = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int64)


def _read_and_close(file: Any) -> bytes:
    assert callable(getattr(file, "read", None))
    try:
        content = file.read()
    finally:
        file.close()
    assert isinstance(content, bytes)
    return content


def _digest_of(content: bytes) -> tuple[int, str]:
    return len(content), hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize("prefer_json", [False, True])
def test_multipart_predict(multipart: Sample, prefer_json: bool) -> None:
    package, url = multipart
    foo = package.models.FooModel
    with package.Client(url, prefer_json=prefer_json) as client:
        for accept in (None, JSON, NPY):
            result = client.predict(
                {"arr": ARR, "json": foo(field1=4, field2=0.5, field3="abc")}, accept=accept
            )
            assert isinstance(result, np.ndarray)
            assert result.dtype == np.int64
            assert result.tolist() == [1, 2, 3, 4]
        # A plain dict for the JSON part, validated into FooModel before sending.
        whole = client.predict({"arr": ARR, "json": {"field1": 99, "field2": 1.0, "field3": ""}})
        np.testing.assert_array_equal(whole, ARR.ravel())
        none = client.predict({"json": foo(field1=0, field2=0.0, field3="x"), "arr": ARR})
        assert none.shape == (0,)
        assert none.dtype == np.int64


def test_multipart_files(multipart: Sample, tmp_path: Path) -> None:
    package, url = multipart
    path = tmp_path / "flowers.csv"
    path.write_bytes(b"n,square\n1,1\n2,4\n")
    with package.Client(url) as client:
        # /digest: a raw file body, as bytes, a file object, a path or an open file.
        for body in (PAYLOAD, io.BytesIO(PAYLOAD)):
            digest = client.digest(body)
            assert isinstance(digest, package.models.Digest)
            assert (digest.size, digest.sha256) == _digest_of(PAYLOAD)
        assert client.digest(b"").size == 0
        assert (client.digest(path).size, client.digest(path).sha256) == _digest_of(
            path.read_bytes()
        )
        with path.open("rb") as opened:
            assert client.digest(opened).sha256 == _digest_of(path.read_bytes())[1]
        # /echo: the upload streamed back, byte for byte.
        echoed = client.echo(io.BytesIO(PAYLOAD))
        assert _read_and_close(echoed) == PAYLOAD
        assert _read_and_close(client.echo(b"\x00\r\n--x--\r\n")) == b"\x00\r\n--x--\r\n"
        # /upload_form: a multipart form of a file part (with its name) and a text part.
        with path.open("rb") as opened:
            form = client.upload_form({"table": opened, "note": "two rows, ünïcode"})
        assert isinstance(form, package.models.FormSummary)
        assert form.filename == "flowers.csv"
        assert form.content_type.partition(";")[0] == CSV
        assert (form.lines, form.note) == (3, "two rows, ünïcode")
        anonymous = client.upload_form({"note": "", "table": b"a\nb\n"})
        assert (anonymous.filename, anonymous.lines, anonymous.note) == (None, 2, "")


@pytest.mark.parametrize("prefer_json", [False, True])
def test_multipart_table_and_shout(multipart: Sample, prefer_json: bool) -> None:
    package, url = multipart
    big = 3_000_000_000  # its square is past 2**53: exact only as integers
    expected = f"n,square\n1,1\n-2,4\n{big},{big * big}\n".encode()
    with package.Client(url, prefer_json=prefer_json) as client:
        for media_type in (None, JSON, NPY):
            table = client.table(np.array([1, -2, big]), media_type=media_type)
            assert table.content_type.partition(";")[0] == CSV
            assert _read_and_close(table) == expected
        assert _read_and_close(client.table(np.array([], dtype=np.int64))) == b"n,square\n"
        shout = client.shout("the lunchbox is ready")
        assert set(shout) == {"upper", "counts"}
        assert shout["upper"] == "THE LUNCHBOX IS READY"
        assert shout["counts"] == package.models.WordCount(characters=21, words=4)
        assert client.shout("") == {
            "upper": "",
            "counts": package.models.WordCount(characters=0, words=0),
        }


def test_multipart_async_round_trips(multipart: Sample) -> None:
    package, url = multipart
    foo = package.models.FooModel(field1=2, field2=0.5, field3="abc")

    async def main() -> Sequence[Any]:
        async with package.AsyncClient(url) as client:
            return await asyncio.gather(
                client.predict({"arr": ARR, "json": foo}),
                client.predict({"arr": ARR, "json": foo}, accept=JSON),
                client.digest(io.BytesIO(PAYLOAD)),
                client.upload_form({"table": b"x\n", "note": "n"}),
                client.table(np.array([3]), media_type=JSON),
                client.echo(PAYLOAD),
                client.shout("ab cd"),
            )

    by_npy, by_json, digest, form, table, echoed, shout = asyncio.run(main())
    assert by_npy.tolist() == by_json.tolist() == [1, 2]
    assert (digest.size, digest.sha256) == _digest_of(PAYLOAD)
    assert (form.lines, form.note) == (1, "n")
    assert _read_and_close(table) == b"n,square\n3,9\n"
    assert _read_and_close(echoed) == PAYLOAD
    assert shout["upper"] == "AB CD"
    assert shout["counts"].words == 2


def test_multipart_errors_are_typed(multipart: Sample) -> None:
    package, url = multipart
    foo = package.models.FooModel(field1=1, field2=0.5, field3="abc")
    with package.Client(url) as client:
        with pytest.raises(RequestEncodingError, match=r"missing \['json'\]"):
            client.predict({"arr": ARR})
        with pytest.raises(RequestEncodingError, match=r"part 'arr'.*int64"):
            client.predict({"arr": ARR.astype(np.float64), "json": foo})
        with pytest.raises(RequestEncodingError, match=r"part 'json'.*FooModel"):
            client.predict({"arr": ARR, "json": {"field1": "one"}})
        with pytest.raises(RequestEncodingError, match="shape"):
            client.table(ARR)
        with pytest.raises(RequestEncodingError, match="not str"):
            client.shout(b"bytes")
        # NaN fits the model in Python but JSON carries it as null: the server says 422.
        with pytest.raises(package.ValidationError) as invalid:
            client.predict({"arr": ARR, "json": {"field1": 1, "field2": np.nan, "field3": ""}})
        assert invalid.value.status == 422
        assert invalid.value.errors[0]["loc"] == ["body", "json", "field2"]
        with pytest.raises(package.ClientError) as not_acceptable:
            client.table(np.array([1]), accept=JSON)
        assert not_acceptable.value.status == 406


@pytest.mark.parametrize("media_type", [JSON, NPY])
def test_multipart_fractions_are_not_truncated(multipart: Sample, media_type: str) -> None:
    package, url = multipart
    with package.Client(url) as client, pytest.raises((RequestEncodingError, package.ClientError)):
        _read_and_close(client.table(np.array([1.5]), media_type=media_type))


# --- dosirak.Client.from_url: one API of each sample -----------------------------------


def test_from_url_samples(serve_target: Callable[[str], Served], tmp_path: Path) -> None:
    with dosirak.Client.from_url(serve_target(TABULAR).base_url) as tabular:
        assert tabular.operations == ["classify", "classify_rows", "species_by_petal_length"]
        _assert_predicted(tabular.classify(FLOWERS, media_type=CSV, accept=ARROW))
        with pytest.raises(dosirak.client.ClientError) as info:
            tabular.classify(FLOWERS, accept="text/html")
        assert info.value.status == 406
    with dosirak.Client.from_url(serve_target(IMAGE).base_url) as image:
        stats = image.stats(Image.fromarray(PICTURE), media_type="image/png")
        assert type(stats).__name__ == "ImageStats"
        assert (stats.width, stats.height) == (300, 200)
        np.testing.assert_allclose(stats.mean_rgb, MEAN_RGB, atol=1e-3)
    with dosirak.Client.from_url(serve_target(MULTIPART).base_url, prefer_json=True) as files:
        foo = files.models.FooModel(field1=5, field2=1.5, field3="z")
        assert files.predict({"arr": ARR, "json": foo}).tolist() == [1, 2, 3, 4, 5]
        with pytest.raises(dosirak.client.ValidationError):
            files.predict({"arr": ARR, "json": {"field1": 1, "field2": np.nan, "field3": ""}})

    async def main() -> tuple[Any, IO[bytes]]:
        client = await dosirak.AsyncClient.from_url(serve_target(MULTIPART).base_url)
        async with client:
            return await client.shout("x y"), await client.echo(PAYLOAD)

    shout, echoed = asyncio.run(main())
    assert shout["upper"] == "X Y"
    assert shout["counts"].characters == 3
    assert _read_and_close(echoed) == PAYLOAD
