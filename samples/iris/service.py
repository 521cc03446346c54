"""The seed's iris classifier on dosirak: the tutorial's APIs with only the import changed.

The model is a small numpy nearest-centroid classifier over the iris classes, so the
sample needs nothing beyond numpy; `samples/iris_sklearn` (model store) uses scikit-learn.
"""

from __future__ import annotations

import asyncio

import numpy as np

import dosirak
from dosirak.exceptions import InvalidInput
from dosirak.io import NumpyNdarray

# Mean sepal length, sepal width, petal length, petal width of setosa, versicolor, virginica.
CENTROIDS = np.array(
    [[5.006, 3.428, 1.462, 0.246], [5.936, 2.770, 4.260, 1.326], [6.588, 2.974, 5.552, 2.026]],
    dtype=np.float64,
)


class IrisClassifier(dosirak.Runnable):
    """Nearest centroid: the class whose mean flower is closest."""

    SUPPORTED_RESOURCES = ("cpu",)
    SUPPORTS_CPU_MULTI_THREADING = True

    def __init__(self, centroids: np.ndarray) -> None:
        self.centroids = np.asarray(centroids, dtype=np.float64)

    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    def predict(self, features: np.ndarray) -> np.ndarray:
        if features.size == 0:  # an empty batch: no rows, no classes
            return np.zeros(0, dtype=np.int64)
        if features.ndim != 2 or features.shape[1] != 4 or features.dtype.kind not in "iuf":
            raise InvalidInput(
                "expected rows of 4 numbers (sepal length, sepal width, petal length, "
                f"petal width), received a {features.dtype} array of shape {features.shape}"
            )
        x = features.astype(np.float64)
        distances = ((x[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
        return np.argmin(distances, axis=1).astype(np.int64)


iris_clf_runner = dosirak.Runner(
    IrisClassifier, name="iris_clf", init_params={"centroids": CENTROIDS}
)
# A second "version" of the model for the seed's async example: centroids shifted a little.
iris_clf_runner_v2 = dosirak.Runner(
    IrisClassifier, name="iris_clf_v2", init_params={"centroids": CENTROIDS + 0.01}
)

svc = dosirak.Service("iris_classifier", runners=[iris_clf_runner, iris_clf_runner_v2])


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def classify(input_series: np.ndarray) -> np.ndarray:
    """Classify iris flowers: one row of four measurements (cm) per flower."""
    result = iris_clf_runner.predict.run(input_series)
    return result


@svc.api(
    input=NumpyNdarray(),
    output=NumpyNdarray(),
    route="/v2/models/my_model/versions/v0/infer",
)
def predict(input_array: np.ndarray) -> np.ndarray:
    """The same model behind a KServe-style route."""
    return iris_clf_runner.run(input_array)


@svc.api(
    input=NumpyNdarray(dtype="float32", shape=(-1, 4), enforce_shape=True),
    output=NumpyNdarray(dtype="int64"),
)
def classify_validated(input_series: np.ndarray) -> np.ndarray:
    """Like classify, but the body must be a float array of shape (n, 4): else 422."""
    return iris_clf_runner.predict.run(input_series)


@svc.api(input=NumpyNdarray(dtype="float64", shape=(-1, 4)), output=NumpyNdarray(dtype="int64"))
async def classify_ensemble(input_array: np.ndarray) -> np.ndarray:
    """Ask both model versions at once (asyncio.gather); where they disagree, answer -1."""
    first, second = await asyncio.gather(
        iris_clf_runner.predict.async_run(input_array),
        iris_clf_runner_v2.predict.async_run(input_array),
    )
    return np.where(first == second, first, -1)
