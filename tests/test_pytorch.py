"""The pytorch runner: eval mode, no autograd, device choice (CUDA when a GPU is visible,
else the CPU), numpy or tensors in and out. Skipped only where torch is not installed.

On a GPU machine every test here runs on CUDA: ``DEVICE`` is "cuda" there."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

import torch

import dosirak
from dosirak.models import ModelSignature, UnsafeModelWarning

from ._model_helpers import home as home
from ._model_helpers import run_python

DEVICE = "cuda" if torch.cuda.is_available() else "cpu"


class TinyNet(torch.nn.Module):
    """BatchNorm refuses a batch of one in training mode, and dropout is random there:
    both tell whether the runner put the module in eval mode."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.linear = torch.nn.Linear(4, 3)
        self.norm = torch.nn.BatchNorm1d(3)
        self.dropout = torch.nn.Dropout(p=0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.dropout(self.norm(self.linear(x)))
        return out

    def embed(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.linear(x)
        return hidden, hidden.sum(dim=1)


def expected(net: TinyNet, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return net.eval()(torch.from_numpy(x.astype(np.float32))).numpy()  # type: ignore[no-any-return]


def test_save_records_a_batchable_call(home: Path) -> None:
    model = dosirak.pytorch.save_model("tiny", TinyNet(), labels={"kind": "test"})
    assert model.info.framework == "pytorch"
    assert model.info.framework_version == str(torch.__version__)
    assert dict(model.info.signatures) == {"__call__": ModelSignature(True, 0)}
    assert (model.path / "saved_model.pt").is_file()
    with pytest.raises(TypeError, match=r"expected a torch.nn.Module"):
        dosirak.pytorch.save_model("tiny", object())  # type: ignore[arg-type]


def test_runner_numpy_in_numpy_out_in_eval_mode(home: Path) -> None:
    net = TinyNet()
    dosirak.pytorch.save_model("tiny", net)
    runner = dosirak.pytorch.get("tiny:latest").to_runner(max_batch_size=16)
    assert runner.name == "tiny"
    assert runner.methods["__call__"].config.batchable is True
    assert runner.methods["__call__"].config.batch_dim == 0
    assert "nvidia.com/gpu" in runner.runnable_class.SUPPORTED_RESOURCES
    assert runner.runnable_class.SUPPORTS_CPU_MULTI_THREADING is True
    with pytest.warns(UnsafeModelWarning, match="runs code stored in them"):
        runner.init_local()
    one = np.array([[5.1, 3.5, 1.4, 0.2]])  # float64, one row: fine only in eval mode
    one.setflags(write=False)  # as decoded request bodies are: no torch warning
    out = runner.run(one)
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(out, expected(net, one), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(runner.run(one), out)  # no dropout: deterministic
    batch = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)
    asynced = asyncio.run(runner.async_run(batch))
    np.testing.assert_allclose(asynced, expected(net, batch), rtol=1e-4, atol=1e-5)
    runner.shutdown()


def test_runner_loads_on_the_gpu_when_there_is_one(home: Path) -> None:
    dosirak.pytorch.save_model("tiny", TinyNet())
    cls = dosirak.pytorch.get_runnable("tiny")
    assert dosirak.pytorch.get("tiny").to_runnable() is cls
    assert issubclass(cls, dosirak.pytorch.PytorchRunnable)
    with pytest.warns(UnsafeModelWarning):
        runnable = cls()
    assert runnable.device.type == DEVICE
    assert all(p.device.type == DEVICE for p in runnable.module.parameters())
    assert runnable.module.training is False
    with pytest.warns(UnsafeModelWarning):
        on_cpu = cls(device="cpu")
    assert {p.device.type for p in on_cpu.module.parameters()} == {"cpu"}


@pytest.mark.parametrize("device", ["cpu", "cuda"] if DEVICE == "cuda" else ["cpu"])
def test_tensors_in_tensors_out_on_the_callers_device(home: Path, device: str) -> None:
    net = TinyNet()
    dosirak.pytorch.save_model("tiny", net)
    runner = dosirak.pytorch.get("tiny").to_runner()
    with pytest.warns(UnsafeModelWarning):
        runner.init_local()
    x = torch.ones((2, 4), device=device, requires_grad=True)
    out = runner.run(x)
    assert isinstance(out, torch.Tensor)
    assert out.device.type == device
    assert out.requires_grad is False  # no autograd in the runner
    np.testing.assert_allclose(
        out.cpu().numpy(), expected(net, np.ones((2, 4))), rtol=1e-4, atol=1e-5
    )


def test_other_methods_and_nested_results(home: Path) -> None:
    net = TinyNet()
    signatures = {"embed": {"batchable": True, "batch_dim": [0, 0]}}
    model = dosirak.pytorch.save_model("tiny", net, signatures=signatures)
    assert dict(model.info.signatures) == {"embed": ModelSignature(True, (0, 0))}
    runner = model.to_runner()
    assert runner.methods["embed"].config.batch_dim == (0, 0)
    with pytest.warns(UnsafeModelWarning):
        hidden, total = runner.embed.run(np.ones((3, 4), dtype=np.float32))
    assert isinstance(hidden, np.ndarray) and hidden.shape == (3, 3)
    np.testing.assert_allclose(total, hidden.sum(axis=1), rtol=1e-4, atol=1e-6)


def test_load_model_puts_the_module_in_eval_mode(home: Path) -> None:
    dosirak.pytorch.save_model("tiny", TinyNet().train())
    with pytest.warns(UnsafeModelWarning):
        module = dosirak.pytorch.load_model("tiny:latest", device="cpu")
    assert isinstance(module, TinyNet)
    assert module.training is False


def test_cpu_resources_set_torch_threads(home: Path) -> None:
    dosirak.pytorch.save_model("tiny", TinyNet())
    code = textwrap.dedent(
        """
        import warnings, torch, dosirak
        warnings.simplefilter("ignore")
        runner = dosirak.pytorch.get("tiny").to_runner(resources={"cpu": 1})
        runner.init_local()
        print(torch.get_num_threads())
        """
    )
    result = run_python(code, home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
