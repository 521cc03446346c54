"""What every framework module does the same way, given its name and Runnable class.

A framework module (`dosirak.sklearn`, ...) binds one `FrameworkApi` after its Runnable
class and exposes its methods under the module's public names::

    _API = FrameworkApi(FRAMEWORK, SklearnRunnable)
    get = _API.get
    get_runnable = _API.get_runnable
    _make_runnable = _API.make_runnable      # what `Model.to_runnable` calls, once per model
"""

from __future__ import annotations

from typing import Generic, TypeVar, cast

from ._model import Model
from ._runnable import ModelRunnable, subclass_for
from ._saving import ModelLike, model_for

__all__ = ["FrameworkApi"]

R = TypeVar("R", bound=ModelRunnable)


class FrameworkApi(Generic[R]):
    """Find a framework's stored models and build their Runnable classes from ``runnable``."""

    def __init__(self, framework: str, runnable: type[R]) -> None:
        self.framework = framework
        self.runnable = runnable

    def get(self, tag: ModelLike) -> Model:
        """The stored model for ``"name:version"`` or ``"name:latest"``; WrongFramework when
        another framework saved it.

        Example::

            model = dosirak.sklearn.get("iris_clf:latest")
        """
        return model_for(tag, self.framework)

    def get_runnable(self, model: ModelLike) -> type[R]:
        """The Runnable class for a stored model (what ``to_runner()`` uses): one method per
        saved signature, made once per process.

        Example::

            runnable = dosirak.sklearn.get_runnable("iris_clf:latest")
        """
        return cast("type[R]", model_for(model, self.framework).to_runnable())

    def make_runnable(self, model: Model) -> type[R]:
        """A new Runnable class for ``model``; `Model.to_runnable` caches it per process."""
        return subclass_for(self.runnable, model_for(model, self.framework))
