"""A served service loads only what it uses: start-up time and memory (issue 5).

Each check runs in a fresh interpreter (``sys.modules`` of this test process is shared with
every other test) that builds the app the way uvicorn does, with ``create_app()``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import dosirak.io

# Like bench/services/dosirak_service.py: a sync API calling a batchable runner with
# `run`, a pydantic JSON API and an async API awaiting `async_run`.
SERVICE = """
import numpy as np
from pydantic import BaseModel

import dosirak
from dosirak.io import Json, NumpyNdarray


class Model(dosirak.Runnable):
    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    def predict(self, x: np.ndarray) -> np.ndarray:
        return x.sum(axis=1)


model = dosirak.Runner(Model, name="model")
svc = dosirak.Service("lazy", runners=[model])


class Order(BaseModel):
    id: int
    tags: list[str]


@svc.api(input=NumpyNdarray(dtype="float64", shape=(-1, 4)), output=NumpyNdarray())
def classify(rows: np.ndarray) -> np.ndarray:
    return model.predict.run(rows)


@svc.api(input=NumpyNdarray(dtype="float64", shape=(-1, 4)), output=NumpyNdarray())
async def classify_async(rows: np.ndarray) -> np.ndarray:
    return await model.predict.async_run(rows)


@svc.api(input=Json(pydantic_model=Order), output=Json(pydantic_model=Order))
def order(body: Order) -> Order:
    return body
"""

# Loaded on first use only; a service like SERVICE never uses them.
NOT_SERVED = (
    "anyio.from_thread",  # sync calls into the loop: imported by the first such call
    "dosirak.runtime._workers",  # worker processes: subprocess, sockets, the wire
    "dosirak.runtime._wire",
    "dosirak.io._file",
    "dosirak.io._image",
    "dosirak.io._multipart",
    "dosirak.io._pandas",
    "dosirak.codegen._kind_file",
    "dosirak.codegen._kind_image",
    "dosirak.codegen._kind_multipart",
    "dosirak.codegen._kind_pandas",
)
# Serving SERVICE's requests (a sync API in threads calling a batched runner, an async
# API, JSON) takes no anyio thread machinery: its asyncio backend costs ~17 ms to import.
NOT_USED_BY_REQUESTS = ("anyio._backends._asyncio", "anyio.from_thread")
# Generation only: not loaded when the generated code is already in the cache.
GENERATOR = ("jinja2", "openapi_spec_validator", "dosirak.codegen._generate")

PROBE = textwrap.dedent(
    """
    import json, sys
    from dosirak.runtime.server import create_app

    create_app()
    watched = json.loads(sys.argv[1])
    print(json.dumps(sorted(m for m in watched if m in sys.modules)))
    """
)


# Starts the app as uvicorn does (lifespan) and answers requests through it, then lists
# which watched modules are loaded. The first 32 calls of a sync API run in threads.
SERVING_PROBE = textwrap.dedent(
    """
    import asyncio, json, sys
    from uvicorn.config import Config
    from uvicorn.lifespan.on import LifespanOn
    from dosirak.runtime.server import create_app

    async def post(app, state, path, body):
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
            "root_path": "", "query_string": b"", "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 2), "state": dict(state),
            "headers": [(b"content-type", b"application/json")],
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        sent = []

        async def receive():
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)
        return sent[0]["status"]

    async def main():
        config = Config(create_app(), log_level="warning")
        config.load()
        lifespan = LifespanOn(config)
        await lifespan.startup()
        app, state = config.loaded_app, lifespan.state
        rows = b"[[5.1, 3.5, 1.4, 0.2]]"
        calls = [post(app, state, "/classify", rows) for _ in range(40)]
        calls += [post(app, state, "/classify_async", rows) for _ in range(8)]
        calls += [post(app, state, "/order", b'{"id": 1, "tags": ["a"]}') for _ in range(4)]
        statuses = await asyncio.gather(*calls)
        await lifespan.shutdown()
        assert set(statuses) == {200}, statuses

    asyncio.run(main())
    watched = json.loads(sys.argv[1])
    print(json.dumps(sorted(m for m in watched if m in sys.modules)))
    """
)


def loaded_after_create_app(
    tmp_path: Path, watched: tuple[str, ...], probe: str = PROBE
) -> list[str]:
    """Which of ``watched`` a fresh server process holds once its app is built (or, with
    `SERVING_PROBE`, once it has answered requests)."""
    service = tmp_path / "service.py"
    if not service.exists():
        service.write_text(SERVICE)
    env = {
        **os.environ,
        "DOSIRAK_HOME": str(tmp_path / "home"),
        "DOSIRAK_SERVE_TARGET": f"{service}:svc",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(watched)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_a_served_service_loads_no_module_it_does_not_use(tmp_path: Path) -> None:
    # Sanity: the probe sees modules that are loaded (the check cannot pass vacuously).
    assert loaded_after_create_app(tmp_path, ("dosirak.io._json", "dosirak.runtime._app")) == [
        "dosirak.io._json",
        "dosirak.runtime._app",
    ]
    assert loaded_after_create_app(tmp_path, NOT_SERVED) == []


def test_answering_requests_takes_no_anyio_thread_machinery(tmp_path: Path) -> None:
    # Sanity: the probe served (it asserts 200s) and sees what serving loaded.
    assert loaded_after_create_app(tmp_path, ("dosirak.runtime._threads",), SERVING_PROBE) == [
        "dosirak.runtime._threads"
    ]
    assert loaded_after_create_app(tmp_path, NOT_USED_BY_REQUESTS, SERVING_PROBE) == []


def test_a_cache_hit_loads_no_generator_and_finds_bytecode(tmp_path: Path) -> None:
    # The first start generates the server (it needs the generator) ...
    assert set(loaded_after_create_app(tmp_path, GENERATOR)) == set(GENERATOR)
    # ... with its bytecode, even where the interpreter writes none itself.
    entries = list((tmp_path / "home" / "cache" / "gen").iterdir())
    assert len(entries) == 1, entries
    compiled = {p.name.split(".")[0] for p in (entries[0] / "server" / "__pycache__").iterdir()}
    assert {"__init__", "routes", "validators"} <= compiled
    # ... and the next one finds it in the cache.
    assert loaded_after_create_app(tmp_path, GENERATOR) == []


def test_lazy_descriptors_keep_their_public_names() -> None:
    from dosirak.io._file import File, UploadedFile
    from dosirak.io._image import Image
    from dosirak.io._multipart import Multipart
    from dosirak.io._pandas import PandasDataFrame, PandasSeries

    assert dosirak.io.File is File
    assert dosirak.io.UploadedFile is UploadedFile
    assert dosirak.io.Image is Image
    assert dosirak.io.Multipart is Multipart
    assert dosirak.io.PandasDataFrame is PandasDataFrame
    assert dosirak.io.PandasSeries is PandasSeries
    assert set(dosirak.io.__all__) <= set(dir(dosirak.io))
    star: dict[str, object] = {}
    exec("from dosirak.io import *", star)
    assert set(dosirak.io.__all__) <= set(star)


def test_an_unknown_descriptor_is_an_attribute_error() -> None:
    name = "Nope"
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        getattr(dosirak.io, name)
    with pytest.raises(ImportError, match="cannot import name 'Nope'"):
        exec("from dosirak.io import Nope", {})
