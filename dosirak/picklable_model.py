"""Any picklable Python object as a model: saved with pickle, served through a runner.

Example::

    import dosirak

    class Doubler:
        def __call__(self, x):
            return [2 * v for v in x]

    dosirak.picklable_model.save_model("doubler", Doubler())
    runner = dosirak.picklable_model.get("doubler:latest").to_runner()
    runner.run([1, 2])      # [2, 4]

By default ``__call__`` is the one method, not batchable; ``signatures=`` names others.
The object's class must be importable where the model is loaded. Loading unpickles the
saved file, which runs code from it: it warns with `dosirak.models.UnsafeModelWarning`.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from dosirak.models import Model, ModelSignature
from dosirak.models._framework_api import FrameworkApi
from dosirak.models._model import warn_unpickling
from dosirak.models._runnable import ModelRunnable
from dosirak.models._saving import ModelLike, SignaturesArg, model_for, save_with

__all__ = [
    "FRAMEWORK",
    "PicklableRunnable",
    "get",
    "get_runnable",
    "load_model",
    "save_model",
]

FRAMEWORK = "picklable_model"
_FILE = "saved_model.pkl"


def save_model(
    name: str,
    obj: Any,
    *,
    signatures: SignaturesArg = None,
    labels: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    custom_objects: Mapping[str, Any] | None = None,
) -> Model:
    """Pickle ``obj`` as a new version of ``name``; returns the stored Model."""

    def write(folder: Path) -> None:
        with (folder / _FILE).open("wb") as stream:
            pickle.dump(obj, stream, protocol=pickle.HIGHEST_PROTOCOL)

    defaults = {"__call__": ModelSignature()} if callable(obj) else {}
    return save_with(
        name,
        obj,
        framework=FRAMEWORK,
        framework_version=f"pickle protocol {pickle.HIGHEST_PROTOCOL}",
        write=write,
        signatures=signatures,
        default_signatures=defaults,
        labels=labels,
        metadata=metadata,
        custom_objects=custom_objects,
    )


def load_model(model: ModelLike) -> Any:
    """The object, unpickled from the store (never from an arbitrary path); warns."""
    found = model_for(model, FRAMEWORK)
    path = found.file(_FILE)
    warn_unpickling(found)
    with path.open("rb") as stream:
        return pickle.load(stream)


class PicklableRunnable(ModelRunnable):
    """Calls the stored object's methods."""

    SUPPORTED_RESOURCES: ClassVar[tuple[str, ...]] = ("cpu",)
    SUPPORTS_CPU_MULTI_THREADING: ClassVar[bool] = False

    def __init__(self, threads: int | None = None) -> None:
        del threads  # plain Python: nothing to cap
        self.obj = load_model(self.model)

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return getattr(self.obj, method)(*args, **kwargs)


_API = FrameworkApi(FRAMEWORK, PicklableRunnable)
get = _API.get
get_runnable = _API.get_runnable
_make_runnable = _API.make_runnable
