"""Iris as tables: a DataFrame of measurements in, a DataFrame of predictions out.

The model is the iris sample's nearest-centroid classifier in numpy. The document's
schemas come from a sample DataFrame (`PandasDataFrame.from_sample`): one property per
column, with its JSON type. Bodies travel as JSON, CSV or Arrow, chosen by the client's
Content-Type and Accept headers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import dosirak
from dosirak.io import PandasDataFrame, PandasSeries

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
SPECIES = ["setosa", "versicolor", "virginica"]
# Mean sepal length, sepal width, petal length, petal width of each species (cm).
CENTROIDS = np.array(
    [[5.006, 3.428, 1.462, 0.246], [5.936, 2.770, 4.260, 1.326], [6.588, 2.974, 5.552, 2.026]],
    dtype=np.float64,
)
SAMPLE = pd.DataFrame(
    [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]], columns=FEATURES, dtype=np.float64
)


class NearestCentroid(dosirak.Runnable):
    """The class whose mean flower is closest; -1 for a row with a missing measurement."""

    SUPPORTED_RESOURCES = ("cpu",)
    SUPPORTS_CPU_MULTI_THREADING = True

    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    def predict(self, features: np.ndarray) -> np.ndarray:
        if features.size == 0:
            return np.zeros(0, dtype=np.int64)
        x = np.asarray(features, dtype=np.float64)
        # Measurements far outside any flower overflow to infinity: still a nearest class.
        with np.errstate(over="ignore", invalid="ignore"):
            distances = ((x[:, None, :] - CENTROIDS[None, :, :]) ** 2).sum(axis=2)
        classes = np.argmin(np.nan_to_num(distances, nan=np.inf), axis=1).astype(np.int64)
        return np.where(np.isnan(x).any(axis=1), -1, classes)


iris_runner = dosirak.Runner(NearestCentroid, name="iris_centroids")
svc = dosirak.Service("iris_tabular", runners=[iris_runner])

PREDICTIONS = PandasDataFrame(
    columns=["species", "class_id"],
    dtype={"species": "str", "class_id": "int64"},
    enforce_dtype=True,
)


def _predictions(classes: np.ndarray, index: pd.Index) -> pd.DataFrame:
    species = pd.array([SPECIES[c] if c >= 0 else None for c in classes], dtype="str")
    return pd.DataFrame({"species": species, "class_id": classes.astype(np.int64)}, index=index)


@svc.api(input=PandasDataFrame.from_sample(SAMPLE), output=PREDICTIONS)
def classify(flowers: pd.DataFrame) -> pd.DataFrame:
    """Classify iris flowers: one row per flower, four measurements in cm.

    A row with a missing (null) measurement gets species null and class_id -1.
    """
    classes = iris_runner.predict.run(flowers[FEATURES].to_numpy())
    return _predictions(classes, flowers.index)


@svc.api(
    input=PandasDataFrame(
        orient="values",
        columns=FEATURES,
        dtype="float64",
        apply_column_names=True,
        shape=(-1, 4),
        enforce_shape=True,
    ),
    output=PandasSeries(dtype="str"),
)
def classify_rows(flowers: pd.DataFrame) -> pd.Series:
    """Rows of four numbers, columns by position; answers the species of each row."""
    classes = iris_runner.predict.run(flowers[FEATURES].to_numpy())
    return pd.Series([SPECIES[c] if c >= 0 else None for c in classes], dtype="str")


@svc.api(
    input=PandasSeries.from_sample(pd.Series([1.4, 4.7, 5.6], name="petal_length")),
    output=PandasSeries(orient="split", dtype="str"),
)
def species_by_petal_length(lengths: pd.Series) -> pd.Series:
    """A rule of thumb on petal length (cm) alone; null for a missing length."""
    bins = np.digitize(lengths.to_numpy(dtype=np.float64), [2.5, 4.9])
    missing = lengths.isna().to_numpy()
    names = [None if gap else SPECIES[b] for b, gap in zip(bins, missing, strict=True)]
    return pd.Series(names, index=lengths.index, name="species", dtype="str")
