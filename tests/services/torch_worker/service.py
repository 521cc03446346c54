"""A PyTorch runner given one GPU, in a worker process (CUDA when the machine has it)."""

from __future__ import annotations

import os

import numpy as np
import torch

import dosirak
from dosirak.io import NumpyNdarray, Text


class TorchLinear(dosirak.Runnable):
    SUPPORTED_RESOURCES = ("cpu", "nvidia.com/gpu")
    SUPPORTS_CPU_MULTI_THREADING = True

    def __init__(self) -> None:
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        generator = torch.Generator().manual_seed(0)
        self.weight = torch.randn(4, 3, generator=generator).to(self.device)

    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    @torch.inference_mode()
    def predict(self, x: np.ndarray) -> np.ndarray:
        result = torch.from_numpy(x).to(self.device) @ self.weight
        return result.cpu().numpy()

    @dosirak.Runnable.method
    def where(self, _: str) -> str:
        name = torch.cuda.get_device_name(0) if self.device.type == "cuda" else "cpu"
        return f"{self.device.type}|{os.environ.get('CUDA_VISIBLE_DEVICES')}|{name}|{os.getpid()}"


linear = dosirak.Runner(
    TorchLinear, name="linear", workers=1, resources={"nvidia.com/gpu": 1}, max_batch_size=32
)
svc = dosirak.Service("torch_worker", runners=[linear])


@svc.api(input=NumpyNdarray(dtype="float32", shape=(-1, 4)), output=NumpyNdarray(dtype="float32"))
async def predict(x: np.ndarray) -> np.ndarray:
    return await linear.predict.async_run(x)  # type: ignore[no-any-return]


@svc.api(input=Text(), output=Text())
async def where(text: str) -> str:
    return await linear.where.async_run(text)  # type: ignore[no-any-return]
