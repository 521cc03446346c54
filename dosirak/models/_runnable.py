"""The Runnable class built for each saved model, from its recorded signatures.

The classes are made at run time, one per model version, and registered here under a name
that encodes the tag, so pickle finds them by reference (a worker process rebuilds the class
from the store on import of that name).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, cast

from dosirak._runner import Runnable

from ._info import ModelSignature
from ._model import Model

__all__ = ["ModelRunnable", "runnable_class"]

R = TypeVar("R", bound="ModelRunnable")
_PREFIX = "Runnable_"
_built: dict[str, type[Runnable]] = {}
_lock = threading.Lock()


class ModelRunnable(Runnable):
    """Base of the framework runnables: ``model`` is the stored model the class serves."""

    model: ClassVar[Model]

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run one method of the loaded model; frameworks override this."""
        raise NotImplementedError


def _method(name: str, signature: ModelSignature) -> Callable[..., Any]:
    def run(self: ModelRunnable, *args: Any, **kwargs: Any) -> Any:
        return self.call(name, args, kwargs)

    run.__name__ = name
    return Runnable.method(batchable=signature.batchable, batch_dim=signature.batch_dim)(run)


def _class_name(model: Model) -> str:
    """The name the model's Runnable class is registered under: the tag, hex-encoded."""
    return _PREFIX + str(model.tag).encode().hex()


def subclass_for(base: type[R], model: Model) -> type[R]:
    """``base`` with one runnable method per signature of ``model``."""
    namespace: dict[str, Any] = {
        name: _method(name, signature) for name, signature in model.info.signatures.items()
    }
    namespace["model"] = model
    namespace["__module__"] = __name__
    cls = type(base.__name__, (base,), namespace)
    cls.__qualname__ = _class_name(model)
    return cast("type[R]", cls)


def runnable_class(model: Model) -> type[Runnable]:
    """The model's Runnable class, made by its framework module once per process."""
    from ._frameworks import framework_module

    key = _class_name(model)
    with _lock:
        cls = _built.get(key)
        if cls is None:
            cls = framework_module(model.info.framework)._make_runnable(model)
            _built[key] = cls
    return cls


def __getattr__(name: str) -> type[Runnable]:
    # pickle looks classes up by module and qualified name: rebuild one from the store
    if name.startswith(_PREFIX):
        from ._store import default_store

        try:
            tag = bytes.fromhex(name[len(_PREFIX) :]).decode()
        except ValueError:
            raise AttributeError(name) from None
        return runnable_class(default_store().get(tag))
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
