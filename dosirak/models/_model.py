"""A model in the store: its tag, folder and recorded info, and the runner built from it."""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import CorruptModel, UnsafeModelWarning
from ._info import ModelInfo
from ._tag import Tag

if TYPE_CHECKING:
    from dosirak._runner import Runnable, Runner

__all__ = ["CUSTOM_OBJECTS_FILE", "MODEL_FILE", "Model"]

MODEL_FILE = "model.yaml"
CUSTOM_OBJECTS_FILE = "custom_objects.pkl"


@dataclass(frozen=True)
class Model:
    """A saved model: ``tag`` (``name:version``), its folder ``path`` and its ``info``.

    Example::

        model = dosirak.models.get("iris_clf:latest")
        model.info.framework          # 'sklearn'
        runner = model.to_runner()    # a dosirak.Runner named 'iris_clf'
    """

    tag: Tag
    path: Path
    info: ModelInfo

    def __repr__(self) -> str:
        return f"Model(tag={str(self.tag)!r}, framework={self.info.framework!r})"

    @property
    def name(self) -> str:
        return self.tag.name

    @property
    def version(self) -> str:
        return self.tag.version or ""

    def file(self, name: str) -> Path:
        """A file the framework saved in the model's folder; CorruptModel if it is missing."""
        path = self.path / name
        if not path.is_file():
            raise CorruptModel(str(self.tag), self.path, f"the file {name!r} is missing")
        return path

    def load_model(self, **kwargs: Any) -> Any:
        """The framework's object, loaded by the framework's ``load_model``."""
        from ._frameworks import framework_module

        return framework_module(self.info.framework).load_model(self, **kwargs)

    @property
    def custom_objects(self) -> dict[str, Any]:
        """The objects saved with ``custom_objects=`` (unpickled: this warns)."""
        if not self.info.custom_objects:
            return {}
        path = self.file(CUSTOM_OBJECTS_FILE)
        warn_unpickling(self)
        with path.open("rb") as stream:
            objects = pickle.load(stream)
        if not isinstance(objects, dict) or set(objects) != set(self.info.custom_objects):
            raise CorruptModel(
                str(self.tag), self.path, f"{CUSTOM_OBJECTS_FILE} does not match model.yaml"
            )
        return objects

    def to_runnable(self) -> type[Runnable]:
        """The framework's Runnable class for this model (one class per model)."""
        from ._runnable import runnable_class

        return runnable_class(self)

    def to_runner(
        self,
        name: str | None = None,
        *,
        max_batch_size: int | None = None,
        max_latency_ms: float | None = None,
        method_configs: Mapping[str, Mapping[str, Any]] | None = None,
        workers: int | None = None,
        resources: Mapping[str, Any] | None = None,
        init_params: Mapping[str, Any] | None = None,
    ) -> Runner:
        """A `dosirak.Runner` for this model, configured for its framework.

        The methods, and whether each is batchable and along which dimension, come from
        the signatures saved with the model; ``name`` defaults to the model's name.
        ``resources={"cpu": n}`` limits the model's threads to ``n``; ``init_params``
        passes framework options (``device=`` for pytorch).
        """
        from dosirak._runner import Runner
        from dosirak.runtime._resources import cpu_cores

        runner = name if name is not None else self.tag.name
        params = dict(init_params or {})
        if resources and "cpu" in resources and "threads" not in params:
            # whole cores for thread pools; cpu_cores refuses None, 0, "lots" naming the runner
            params["threads"] = max(1, int(cpu_cores(resources["cpu"], runner)))
        return Runner(
            self.to_runnable(),
            name=runner,
            init_params=params,
            max_batch_size=max_batch_size,
            max_latency_ms=max_latency_ms,
            method_configs=method_configs,
            workers=workers,
            resources=resources,
        )


def warn_unpickling(model: Model) -> None:
    """Say that loading this model runs code from its files, as pickle does."""
    warnings.warn(
        f"loading model {str(model.tag)!r} ({model.info.framework}) unpickles files from "
        f"{model.path}, which runs code stored in them; load only models you trust",
        UnsafeModelWarning,
        stacklevel=3,
    )
