"""The seed's first example, verbatim but for the import: a runner from the model store.

Train first (`python samples/iris_sklearn/train.py` saves ``iris_clf``), then
`dosirak serve samples/iris_sklearn/service.py:svc`.
"""

import numpy as np

import dosirak
from dosirak.io import NumpyNdarray

iris_clf_runner = dosirak.sklearn.get("iris_clf:latest").to_runner()

svc = dosirak.Service("iris_classifier", runners=[iris_clf_runner])


@svc.api(input=NumpyNdarray(), output=NumpyNdarray())
def classify(input_series: np.ndarray) -> np.ndarray:
    result = iris_clf_runner.predict.run(input_series)
    return result
