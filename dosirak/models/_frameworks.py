"""Framework modules by the name a saved model records (``info.framework``)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast

from ._errors import ModelStoreError

if TYPE_CHECKING:
    from dosirak._runner import Runnable

    from ._info import ModelSignature
    from ._model import Model

__all__ = ["FRAMEWORKS", "Framework", "framework_module"]

# framework name → the dosirak module that saves, loads and runs it
FRAMEWORKS = {
    "sklearn": "dosirak.sklearn",
    "pytorch": "dosirak.pytorch",
    "picklable_model": "dosirak.picklable_model",
}


class Framework(Protocol):
    """What a framework module provides (dosirak.sklearn, dosirak.pytorch, ...)."""

    FRAMEWORK: str

    def save_model(
        self,
        name: str,
        obj: Any,
        /,
        *,
        signatures: Mapping[str, ModelSignature | Mapping[str, Any]] | None = None,
        labels: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        custom_objects: Mapping[str, Any] | None = None,
    ) -> Model: ...

    def load_model(self, model: Any, /, **kwargs: Any) -> Any: ...

    def _make_runnable(self, model: Model) -> type[Runnable]: ...


def framework_module(name: str) -> Framework:
    """The module for a framework; ImportError naming the extra when its library is absent."""
    module = FRAMEWORKS.get(name)
    if module is None:
        raise ModelStoreError(
            f"unknown model framework {name!r}; dosirak knows {', '.join(sorted(FRAMEWORKS))}"
        )
    return cast(Framework, importlib.import_module(module))
