"""scikit-learn models: save to the model store with joblib, load, and serve with a runner.

Example (the seed's spelling)::

    import dosirak

    dosirak.sklearn.save_model("iris_clf", clf)     # a fitted estimator or pipeline
    iris_clf_runner = dosirak.sklearn.get("iris_clf:latest").to_runner()
    iris_clf_runner.predict.run(features)

``predict`` and ``predict_proba`` (where the estimator has it) are batchable along the
first dimension unless ``signatures=`` says otherwise. An input the estimator refuses
(scikit-learn's ValueError: wrong number of features, NaN) is a 422 `InvalidInput`.
Loading unpickles the saved file, which runs code from it: it warns with
`dosirak.models.UnsafeModelWarning`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

try:
    import joblib
    import sklearn
    import threadpoolctl
except ImportError as exc:  # pragma: no cover - exercised without the extra installed
    raise ImportError(
        f"dosirak.sklearn needs scikit-learn and joblib ({exc.name} is missing): "
        "pip install 'dosirak[sklearn]'"
    ) from exc

from dosirak.exceptions import InvalidInput
from dosirak.models import Model, ModelSignature
from dosirak.models._framework_api import FrameworkApi
from dosirak.models._model import warn_unpickling
from dosirak.models._runnable import ModelRunnable
from dosirak.models._saving import ModelLike, SignaturesArg, model_for, save_with

__all__ = ["FRAMEWORK", "SklearnRunnable", "get", "get_runnable", "load_model", "save_model"]

FRAMEWORK = "sklearn"
_FILE = "saved_model.joblib"
_BATCHED = ModelSignature(batchable=True, batch_dim=0)


def save_model(
    name: str,
    model: Any,
    *,
    signatures: SignaturesArg = None,
    labels: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    custom_objects: Mapping[str, Any] | None = None,
) -> Model:
    """Save a fitted estimator as a new version of ``name``; returns the stored Model."""

    def write(folder: Path) -> None:
        joblib.dump(model, folder / _FILE)

    defaults = {
        method: _BATCHED
        for method in ("predict", "predict_proba")
        if callable(getattr(model, method, None))
    }
    return save_with(
        name,
        model,
        framework=FRAMEWORK,
        framework_version=sklearn.__version__,
        write=write,
        signatures=signatures,
        default_signatures=defaults,
        labels=labels,
        metadata=metadata,
        custom_objects=custom_objects,
    )


def load_model(model: ModelLike) -> Any:
    """The estimator, loaded from the store (never from an arbitrary path); warns."""
    found = model_for(model, FRAMEWORK)
    path = found.file(_FILE)
    warn_unpickling(found)
    return joblib.load(path)


class SklearnRunnable(ModelRunnable):
    """Runs a stored estimator's methods; ``threads`` caps its BLAS/OpenMP threads."""

    SUPPORTED_RESOURCES: ClassVar[tuple[str, ...]] = ("cpu",)
    SUPPORTS_CPU_MULTI_THREADING: ClassVar[bool] = True

    def __init__(self, threads: int | None = None) -> None:
        if threads is not None:
            # process-wide: meant for worker processes, each given its share of the cores
            threadpoolctl.threadpool_limits(limits=threads)
        self.estimator = load_model(self.model)

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            return getattr(self.estimator, method)(*args, **kwargs)
        except ValueError as exc:
            # scikit-learn checks its input with ValueError ("X has 3 features, but ...
            # is expecting 4", "Expected 2D array", NaN/infinity): the client's to fix.
            raise InvalidInput(f"{self.model.name} cannot {method} this input: {exc}") from exc


_API = FrameworkApi(FRAMEWORK, SklearnRunnable)
get = _API.get
get_runnable = _API.get_runnable
_make_runnable = _API.make_runnable
