"""Shared fixtures: one real uvicorn per served target, on 127.0.0.1, per test session."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
IRIS_TARGET = f"{SAMPLES / 'iris' / 'service.py'}:svc"


@dataclass
class Served:
    """A `dosirak serve` process listening on 127.0.0.1."""

    target: str
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def train_sample(target: str, env: dict[str, str], workdir: Path) -> None:
    """A sample with a ``train.py`` beside its service (samples/iris_sklearn) serves a model
    from the store: train it into the server's ``DOSIRAK_HOME`` first."""
    service = target.rpartition(":")[0]
    train = Path(service).parent / "train.py"
    if service.endswith(".py") and train.is_file():
        subprocess.run(
            [sys.executable, str(train)], env=env, cwd=workdir, check=True, capture_output=True
        )


def start_server(
    target: str,
    workdir: Path,
    *extra: str,
    timeout: float = 60.0,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> Served:
    """Run ``dosirak serve target`` and wait until /readyz answers 200."""
    port = port or free_port()
    log_path = workdir / f"serve-{port}.log"
    env = {
        **os.environ,
        "DOSIRAK_HOME": str(workdir / "home"),
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    train_sample(target, env, workdir)
    with log_path.open("wb") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "dosirak", "serve", target, "--port", str(port), *extra],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=workdir,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"dosirak serve exited with {process.returncode}:\n{log_path.read_text()}"
            )
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return Served(target, base_url, process, log_path)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"dosirak serve did not become ready:\n{log_path.read_text()}")


def stop_server(served: Served) -> None:
    served.process.terminate()
    try:
        served.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        served.process.kill()
        served.process.wait()


@pytest.fixture(scope="session")
def serve_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Served]]:
    """Start (once per session and target) a real server; stopped when the session ends."""
    started: dict[str, Served] = {}

    def get(target: str) -> Served:
        if target not in started:
            started[target] = start_server(target, tmp_path_factory.mktemp("serve"))
        return started[target]

    yield get
    for served in started.values():
        stop_server(served)


@pytest.fixture(scope="session")
def mypy_strict(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, ...]:
    """``mypy --strict`` with one cache for every run of generated code in the session.

    Analysing numpy, pydantic and starlette takes most of each run; mypy checks each cached
    module against its source's hash and its dependencies, so sharing the cache is safe.
    """
    cache = str(tmp_path_factory.mktemp("mypy-cache"))
    return (sys.executable, "-m", "mypy", "--strict", "--cache-dir", cache)


@pytest.fixture(scope="session")
def iris_server(serve_target: Callable[[str], Served]) -> Served:
    return serve_target(IRIS_TARGET)


@pytest.fixture
def iris_client(iris_server: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=iris_server.base_url, timeout=10) as client:
        yield client


def assert_failure_logged(served: Served, path: str, body: Any, message: str) -> None:
    """POST ``body`` to an API whose runner raises: a 500 with an error id, and the server's
    log holds that id and ``message`` (the traceback stays in the log)."""
    response = httpx.post(f"{served.base_url}{path}", json=body, timeout=30)
    assert response.status_code == 500, response.text
    error_id = response.json()["error_id"]
    time.sleep(0.2)  # the log line is written after the answer
    log = served.log()
    assert error_id in log and message in log


def post_npy(url: str, array: np.ndarray, timeout: float = 60) -> np.ndarray:
    """POST ``array`` as ``.npy`` asking for ``.npy`` back; the array answered (200 only)."""
    buffer = io.BytesIO()
    np.save(buffer, array)
    npy = "application/x-npy"
    response = httpx.post(
        url,
        content=buffer.getvalue(),
        headers={"Content-Type": npy, "Accept": npy},
        timeout=timeout,
    )
    assert response.status_code == 200, response.text
    return np.load(io.BytesIO(response.content))


async def post_many(base_url: str, path: str, count: int, body: Any) -> list[httpx.Response]:
    """``count`` POSTs of the JSON ``body`` at once, each on its own connection."""
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        return await asyncio.gather(*(client.post(path, json=body) for _ in range(count)))
