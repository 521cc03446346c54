"""Train the seed's iris classifier and save it to the model store as ``iris_clf``.

Run it once before serving: ``python samples/iris_sklearn/train.py`` (the store is
``$DOSIRAK_HOME/models``, default ``~/.dosirak/models``).
"""

from __future__ import annotations

from sklearn import svm
from sklearn.datasets import load_iris

import dosirak


def main() -> None:
    iris = load_iris()  # bundled with scikit-learn: nothing to download
    clf = svm.SVC(gamma="scale")
    clf.fit(iris.data, iris.target)
    model = dosirak.sklearn.save_model(
        "iris_clf",
        clf,
        labels={"dataset": "iris"},
        metadata={"classes": [str(name) for name in iris.target_names]},
    )
    print(f"saved {model.tag} in {model.path}")


if __name__ == "__main__":
    main()
