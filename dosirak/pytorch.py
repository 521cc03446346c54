"""PyTorch modules: save to the model store, load on the best device, serve with a runner.

Example::

    import dosirak

    dosirak.pytorch.save_model("regressor", net)         # a torch.nn.Module
    runner = dosirak.pytorch.get("regressor:latest").to_runner()
    runner.run(np.ones((8, 4), dtype=np.float32))         # numpy in, numpy out

The runner loads the module on CUDA when a GPU is available, else on the CPU (or on
``init_params={"device": ...}``), in eval mode, and calls it under ``torch.inference_mode()``.
``__call__`` is batchable along the first dimension unless ``signatures=`` says otherwise.
Arguments may be tensors or numpy arrays: arrays become tensors on the model's device
(floating ones in the model's floating dtype) and the results come back as numpy arrays;
tensors come back as tensors on the device of the first tensor argument. Loading unpickles
the saved module, which runs code from it: it warns with `dosirak.models.UnsafeModelWarning`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

try:
    import torch
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError("dosirak.pytorch needs PyTorch: pip install 'dosirak[pytorch]'") from exc

import numpy as np

from dosirak.models import Model, ModelSignature
from dosirak.models._framework_api import FrameworkApi
from dosirak.models._model import warn_unpickling
from dosirak.models._runnable import ModelRunnable
from dosirak.models._saving import ModelLike, SignaturesArg, model_for, save_with

__all__ = [
    "FRAMEWORK",
    "PytorchRunnable",
    "default_device",
    "get",
    "get_runnable",
    "load_model",
    "save_model",
]

FRAMEWORK = "pytorch"
_FILE = "saved_model.pt"


def default_device() -> torch.device:
    """CUDA when a GPU is visible, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def save_model(
    name: str,
    model: torch.nn.Module,
    *,
    signatures: SignaturesArg = None,
    labels: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    custom_objects: Mapping[str, Any] | None = None,
) -> Model:
    """Save a module (whole, with torch.save) as a new version of ``name``."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"dosirak.pytorch.save_model: expected a torch.nn.Module, got {model!r}")

    def write(folder: Path) -> None:
        torch.save(model, folder / _FILE)

    return save_with(
        name,
        model,
        framework=FRAMEWORK,
        framework_version=str(torch.__version__),
        write=write,
        signatures=signatures,
        default_signatures={"__call__": ModelSignature(batchable=True, batch_dim=0)},
        labels=labels,
        metadata=metadata,
        custom_objects=custom_objects,
    )


def load_model(model: ModelLike, device: str | torch.device | None = None) -> torch.nn.Module:
    """The module from the store, on ``device`` (default: `default_device`), in eval mode."""
    found = model_for(model, FRAMEWORK)
    target = torch.device(device) if device is not None else default_device()
    path = found.file(_FILE)
    warn_unpickling(found)
    module = torch.load(path, map_location=target, weights_only=False)
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"model {str(found.tag)!r} does not hold a torch.nn.Module")
    return module.to(target).eval()


class PytorchRunnable(ModelRunnable):
    """Calls a stored module's methods without autograd, on its device."""

    SUPPORTED_RESOURCES: ClassVar[tuple[str, ...]] = ("nvidia.com/gpu", "cpu")
    SUPPORTS_CPU_MULTI_THREADING: ClassVar[bool] = True

    def __init__(self, device: str | None = None, threads: int | None = None) -> None:
        if threads is not None:
            torch.set_num_threads(threads)
        self.device = torch.device(device) if device is not None else default_device()
        self.module = load_model(self.model, self.device)
        floating = [p.dtype for p in self.module.parameters() if p.dtype.is_floating_point]
        self.float_dtype = floating[0] if floating else torch.get_default_dtype()

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        found: list[torch.Tensor | np.ndarray] = []
        tensor_args = tuple(self._to_tensor(a, found) for a in args)
        tensor_kwargs = {k: self._to_tensor(v, found) for k, v in kwargs.items()}
        with torch.inference_mode():
            result = getattr(self.module, method)(*tensor_args, **tensor_kwargs)
        first = found[0] if found else None
        if isinstance(first, np.ndarray):
            return _map(result, lambda t: t.detach().cpu().numpy())
        if isinstance(first, torch.Tensor):
            return _map(result, lambda t: t.to(first.device))
        return result

    def _to_tensor(self, value: Any, found: list[torch.Tensor | np.ndarray]) -> Any:
        if isinstance(value, np.ndarray):
            found.append(value)
            array = value if value.flags.writeable else value.copy()  # torch wants writable
            tensor = torch.from_numpy(np.ascontiguousarray(array))
            # One copy: cast and move together.
            dtype = self.float_dtype if tensor.dtype.is_floating_point else None
            return tensor.to(self.device, dtype=dtype)
        if isinstance(value, torch.Tensor):
            found.append(value)
            return value.to(self.device)
        if isinstance(value, (list, tuple)):
            return type(value)(self._to_tensor(v, found) for v in value)
        if isinstance(value, dict):
            return {k: self._to_tensor(v, found) for k, v in value.items()}
        return value


def _map(value: Any, convert: Any) -> Any:
    """Apply ``convert`` to every tensor in a (nested) result."""
    if isinstance(value, torch.Tensor):
        return convert(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_map(v, convert) for v in value)
    if isinstance(value, dict):
        return {k: _map(v, convert) for k, v in value.items()}
    return value


_API = FrameworkApi(FRAMEWORK, PytorchRunnable)
get = _API.get
get_runnable = _API.get_runnable
_make_runnable = _API.make_runnable
