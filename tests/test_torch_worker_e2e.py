"""A PyTorch runner in a worker process given a GPU: black-box on a real uvicorn.

On a machine with CUDA the model runs on the GPU its worker was given
(``CUDA_VISIBLE_DEVICES``); elsewhere on the CPU, with the same answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from .conftest import ROOT, Served, start_server, stop_server

torch = pytest.importorskip("torch")  # CI installs the pytorch extra; this is for bare envs

TARGET = f"{ROOT / 'tests' / 'services' / 'torch_worker' / 'service.py'}:svc"


@pytest.fixture(scope="module")
def torch_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start_server(TARGET, tmp_path_factory.mktemp("torch"), timeout=180)
    yield served
    stop_server(served)


def test_the_worker_gets_its_gpu(torch_server: Served) -> None:
    response = httpx.post(
        f"{torch_server.base_url}/where", content="?", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 200
    device, visible, name, pid = response.text.split("|")
    assert visible == "0"
    assert int(pid) != torch_server.process.pid
    if torch.cuda.is_available():
        assert device == "cuda" and name == torch.cuda.get_device_name(0)
    else:
        assert device == "cpu"


def test_batched_predictions_match_the_model(torch_server: Served) -> None:
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(4, 3, generator=generator).numpy()
    rng = np.random.default_rng(3)
    inputs = [rng.normal(size=(n, 4)).astype(np.float32) for n in (1, 3, 7, 2) * 8]

    async def main() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=torch_server.base_url, timeout=60) as client:
            return await asyncio.gather(*(client.post("/predict", json=x.tolist()) for x in inputs))

    for x, response in zip(inputs, asyncio.run(main()), strict=True):
        assert response.status_code == 200
        np.testing.assert_allclose(np.array(response.json()), x @ weight, rtol=1e-4, atol=1e-4)
    metrics = httpx.get(f"{torch_server.base_url}/metrics").text
    assert 'dosirak_runner_batch_size_count{method="predict",runner="linear"}' in metrics
