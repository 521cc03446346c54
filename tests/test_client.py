"""Black-box: the generated clients, sync and async, against real servers."""

from __future__ import annotations

import asyncio
import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from dosirak.codegen import build_document, generate_files, write_files

from dosirak._loader import load_service
from dosirak.client import RequestEncodingError

from .conftest import IRIS_TARGET, SAMPLES, Served

HERE = Path(__file__).parent
STREAMING = f"{SAMPLES / 'streaming' / 'service.py'}:svc"
JSON_TYPES = f"{HERE / 'services' / 'json_types' / 'service.py'}:svc"


@pytest.fixture(scope="session")
def client_package(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], ModuleType]]:
    """Generate a service's client package and import it (once per target)."""
    made: dict[str, ModuleType] = {}
    root = tmp_path_factory.mktemp("clients")

    def get(target: str) -> ModuleType:
        if target not in made:
            service = load_service(target)
            out = root / service.name
            files = generate_files(build_document(service))
            write_files(files, out)
            (project,) = (out / "client").iterdir()
            sys.path.insert(0, str(project))
            made[target] = importlib.import_module(project.name)
        return made[target]

    yield get
    for module in made.values():
        for name in [n for n in sys.modules if n.split(".")[0] == module.__name__]:
            del sys.modules[name]


SETOSA = [5.1, 3.5, 1.4, 0.2]
VIRGINICA = [6.7, 3.0, 5.2, 2.3]


@pytest.fixture
def iris(
    iris_server: Served, client_package: Callable[[str], ModuleType]
) -> tuple[ModuleType, str]:
    return client_package(IRIS_TARGET), iris_server.base_url


@pytest.mark.parametrize("prefer_json", [False, True])
def test_iris_sync_round_trips(iris: tuple[ModuleType, str], prefer_json: bool) -> None:
    package, url = iris
    batch = np.array([SETOSA, VIRGINICA])
    with package.Client(url, prefer_json=prefer_json) as client:
        for method in ("classify", "predict", "classify_validated", "classify_ensemble"):
            result = getattr(client, method)(batch)
            assert isinstance(result, np.ndarray)
            assert result.tolist() == [0, 2], method
        assert client.classify_validated(batch).dtype == np.int64


def test_iris_async_round_trips(iris: tuple[ModuleType, str]) -> None:
    package, url = iris
    batch = np.array([SETOSA, VIRGINICA], dtype=np.float32)

    async def main() -> list[Any]:
        async with package.AsyncClient(url) as client:
            return await asyncio.gather(
                client.classify(batch),
                client.predict(batch),
                client.classify_validated(batch),
                client.classify_ensemble(batch.astype(np.float64)),
            )

    assert [r.tolist() for r in asyncio.run(main())] == [[0, 2]] * 4


def test_iris_errors_are_typed(iris: tuple[ModuleType, str]) -> None:
    package, url = iris
    with package.Client(url) as client:
        # The declared shape is checked before sending; the model checks the rest.
        with pytest.raises(RequestEncodingError, match="declares"):
            client.classify_validated(np.zeros((2, 3)))
        with pytest.raises(package.ValidationError) as info:
            client.classify(np.zeros((2, 3)))
        assert info.value.status == 422
        assert info.value.errors[0]["loc"] == ["body"]
        assert "expected rows of 4 numbers" in info.value.detail
        with pytest.raises(package.ClientError) as not_acceptable:
            client.classify(np.zeros((1, 4)), accept="text/html")
        assert not_acceptable.value.status == 406
    with (
        package.Client("http://127.0.0.1:9", timeout=2) as dead,
        pytest.raises(package.TransportError),
    ):
        dead.classify(np.zeros((1, 4)))


def test_streaming_client(
    serve_target: Callable[[str], Served], client_package: Callable[[str], ModuleType]
) -> None:
    served = serve_target(STREAMING)
    package = client_package(STREAMING)
    with package.Client(served.base_url) as client:
        whole = client.complete("the lunchbox")
        words = list(client.stream("the lunchbox"))
        assert words == whole.split()
        with pytest.raises(package.ValidationError):
            list(client.stream(" "))

    async def main() -> list[str]:
        async with package.AsyncClient(served.base_url) as client:
            return [word async for word in client.stream_async("the lunchbox")]

    assert asyncio.run(main()) == whole.split()


def test_json_types_client(
    serve_target: Callable[[str], Served], client_package: Callable[[str], ModuleType]
) -> None:
    served = serve_target(JSON_TYPES)
    package = client_package(JSON_TYPES)
    models = package.models
    with package.Client(served.base_url) as client:
        receipt = client.checkout([models.Item(name="rice", price=2.0)])
        assert isinstance(receipt, models.Receipt)
        assert receipt.total == 2.0
        assert client.classify(models.Refund(kind="refund", amount=1.5)) == {"refund": 1.5}
        items = client.items_of({"egg": 0.5})
        assert isinstance(items[0], models.Item)
        with pytest.raises(package.ServerError) as info:
            client.broken_output([1])
        assert info.value.error_id
        with pytest.raises(RequestEncodingError, match="request body does not fit"):
            client.checkout([{"name": "x", "price": -1}])


def test_client_from_url(iris_server: Served, serve_target: Callable[[str], Served]) -> None:
    import dosirak

    client = dosirak.Client.from_url(iris_server.base_url)
    with client:
        assert client.operations == [
            "classify",
            "classify_ensemble",
            "classify_validated",
            "predict",
        ]
        assert client.classify(np.array([SETOSA])).tolist() == [0]
        with pytest.raises(dosirak.client.ValidationError):
            client.classify(np.zeros((1, 3)))
        with pytest.raises(AttributeError, match="no operation 'nope'"):
            client.nope  # noqa: B018
    served = serve_target(JSON_TYPES)
    with dosirak.Client.from_url(served.base_url) as typed:
        receipt = typed.checkout([{"name": "rice", "price": 2}])
        assert type(receipt).__name__ == "Receipt"
        assert receipt.total == 2.0

    async def main() -> list[str]:
        streaming = serve_target(STREAMING)
        client = await dosirak.AsyncClient.from_url(streaming.base_url)
        async with client:
            return [word async for word in client.stream("the lunchbox")]

    assert len(asyncio.run(main())) > 1
