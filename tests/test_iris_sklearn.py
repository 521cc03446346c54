"""scikit-learn through the model store: the seed's first example (samples/iris_sklearn)
trained, served by a real uvicorn and called with its generated client; and the runner
that ``dosirak.sklearn.get(...).to_runner()`` builds, in process."""

from __future__ import annotations

import asyncio
import importlib
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import httpx
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

import dosirak
from dosirak.exceptions import InvalidInput
from dosirak.models import ModelSignature, UnsafeModelWarning

from ._model_helpers import home as home
from ._model_helpers import run_python, store_env
from .conftest import SAMPLES, Served, start_server, stop_server

TARGET = f"{SAMPLES / 'iris_sklearn' / 'service.py'}:svc"
FLOWERS = np.array([[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3], [5.9, 2.8, 4.3, 1.3]])
SPECIES = [0, 2, 1]  # setosa, virginica, versicolor


@pytest.fixture(scope="module")
def served(serve_target: Callable[[str], Served]) -> Served:
    """The sample served; conftest trains it into the server's DOSIRAK_HOME first."""
    return serve_target(TARGET)


@pytest.fixture(scope="module")
def client_module(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """`dosirak gen` of the sample (it loads the model from the same store), imported."""
    out = tmp_path_factory.mktemp("iris_sklearn_gen")
    result = subprocess.run(
        [sys.executable, "-m", "dosirak", "gen", TARGET, "-o", str(out)],
        env=store_env(served.log_path.parent / "home"),
        cwd=out,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    project = out / "client" / "iris_classifier_client"
    stale = [n for n in sys.modules if n.split(".")[0] == "iris_classifier_client"]
    saved = {n: sys.modules.pop(n) for n in stale}  # another test's client of the same name
    sys.path.insert(0, str(project))
    try:
        yield importlib.import_module("iris_classifier_client")
    finally:
        sys.path.remove(str(project))
        for name in [n for n in sys.modules if n.split(".")[0] == "iris_classifier_client"]:
            del sys.modules[name]
        sys.modules.update(saved)


def test_the_sample_is_the_seed_with_only_the_import_changed() -> None:
    source = (SAMPLES / "iris_sklearn" / "service.py").read_text()
    code = source[source.index("import numpy") :]
    seed = textwrap.dedent(
        """\
        import numpy as np

        import bentoml
        from bentoml.io import NumpyNdarray

        iris_clf_runner = bentoml.sklearn.get("iris_clf:latest").to_runner()

        svc = bentoml.Service("iris_classifier", runners=[iris_clf_runner])


        @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
        def classify(input_series: np.ndarray) -> np.ndarray:
            result = iris_clf_runner.predict.run(input_series)
            return result
        """
    )
    assert code.replace("dosirak", "bentoml") == seed


def test_generated_client_classifies_like_the_stored_model(
    served: Served, client_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    iris = load_iris()
    with client_module.Client(served.base_url) as client:
        assert client.classify(FLOWERS).tolist() == SPECIES
        predicted = client.classify(iris.data)
    monkeypatch.setenv("DOSIRAK_HOME", str(served.log_path.parent / "home"))
    with pytest.warns(UnsafeModelWarning):  # the very model the server loaded
        expected = dosirak.sklearn.load_model("iris_clf:latest").predict(iris.data)
    assert predicted.dtype == np.int64
    assert predicted.tolist() == expected.tolist()
    assert (predicted == iris.target).mean() > 0.95


def test_async_client(served: Served, client_module: ModuleType) -> None:
    async def main() -> list[list[int]]:
        async with client_module.AsyncClient(served.base_url) as client:
            results = await asyncio.gather(*(client.classify(FLOWERS[i : i + 1]) for i in range(3)))
        return [r.tolist() for r in results]

    assert asyncio.run(main()) == [[0], [2], [1]]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ([[5.9, 3.0, 5.1]], "X has 3 features, but SVC is expecting 4 features"),
        ([1.0, 2.0, 3.0, 4.0], "Expected 2D array, got 1D array"),
    ],
)
def test_input_the_model_refuses_is_a_422(served: Served, body: object, detail: str) -> None:
    response = httpx.post(f"{served.base_url}/classify", json=body, timeout=30)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["detail"].startswith("iris_clf cannot predict this input: ")
    assert detail in problem["detail"]
    assert problem["errors"] == [
        {"loc": ["body"], "msg": problem["detail"], "type": "invalid_input"}
    ]


async def _classify_concurrently(base_url: str, rows: np.ndarray) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        return await asyncio.gather(*(client.post("/classify", json=[r]) for r in rows.tolist()))


def test_concurrent_requests_each_get_their_own_answer(served: Served) -> None:
    """Many one-row requests at once (batched together where the runner batches them)."""
    rows = np.tile(FLOWERS, (20, 1))
    responses = asyncio.run(_classify_concurrently(served.base_url, rows))
    assert [r.status_code for r in responses] == [200] * len(rows)
    assert [r.json() for r in responses] == [[s] for s in SPECIES] * 20


def test_worker_processes_load_the_model_from_the_store(tmp_path: Path) -> None:
    """`dosirak serve --production`: the runner runs in worker processes, each loading
    the stored model; a refused input is still a 422 from there."""
    served = start_server(TARGET, tmp_path, "--production")
    try:
        rows = np.tile(FLOWERS, (10, 1))
        responses = asyncio.run(_classify_concurrently(served.base_url, rows))
        assert [r.json() for r in responses] == [[s] for s in SPECIES] * 10
        refused = httpx.post(f"{served.base_url}/classify", json=[[1.0, 2.0, 3.0]], timeout=30)
        assert refused.status_code == 422, refused.text
        assert "X has 3 features" in refused.json()["detail"]
    finally:
        stop_server(served)


def test_serving_without_the_model_says_which(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dosirak", "serve", TARGET, "--port", "1"],
        env=store_env(tmp_path / "empty-home"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "ModelNotFound: model 'iris_clf:latest' is not in the model store at" in result.stderr
    assert str(tmp_path / "empty-home" / "models") in result.stderr


# --- the runner to_runner() builds, in process ----------------------------------------------


@pytest.fixture(scope="module")
def classifier() -> LogisticRegression:
    iris = load_iris()
    return LogisticRegression(max_iter=1000).fit(iris.data, iris.target)


def test_runner_serves_predict_and_predict_proba_batched_on_dim_0(
    home: Path, classifier: LogisticRegression
) -> None:
    model = dosirak.sklearn.save_model("iris_clf", classifier)
    assert model.info.framework == "sklearn"
    assert model.info.framework_version == __import__("sklearn").__version__
    batched = ModelSignature(batchable=True, batch_dim=0)
    assert dict(model.info.signatures) == {"predict": batched, "predict_proba": batched}
    runner = dosirak.sklearn.get("iris_clf:latest").to_runner(max_batch_size=64, max_latency_ms=3)
    assert runner.runnable_class is dosirak.sklearn.get_runnable("iris_clf")
    assert issubclass(runner.runnable_class, dosirak.sklearn.SklearnRunnable)
    assert runner.name == "iris_clf"
    assert (runner.max_batch_size, runner.max_latency_ms) == (64, 3)
    assert runner.runnable_class.SUPPORTS_CPU_MULTI_THREADING is True
    assert runner.runnable_class.SUPPORTED_RESOURCES == ("cpu",)
    for method in ("predict", "predict_proba"):
        assert runner.methods[method].config.batchable is True
        assert runner.methods[method].config.batch_dim == 0
    with pytest.warns(UnsafeModelWarning):
        runner.init_local()
    assert runner.predict.run(FLOWERS).tolist() == SPECIES
    proba = asyncio.run(runner.predict_proba.async_run(FLOWERS))
    assert proba.shape == (3, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    with pytest.raises(InvalidInput, match="X has 2 features"):
        runner.predict.run(FLOWERS[:, :2])
    runner.shutdown()


def test_saved_signatures_override_the_defaults(home: Path, classifier: LogisticRegression) -> None:
    signatures = {"predict": {"batchable": False}, "decision_function": {"batchable": True}}
    model = dosirak.sklearn.save_model("iris_clf", classifier, signatures=signatures)
    runner = model.to_runner(name="custom")
    assert runner.name == "custom"
    assert sorted(runner.methods) == ["decision_function", "predict"]
    assert runner.methods["predict"].config.batchable is False
    assert runner.methods["decision_function"].config.batchable is True
    with pytest.warns(UnsafeModelWarning):
        scores = runner.decision_function.run(FLOWERS)
    assert scores.argmax(axis=1).tolist() == SPECIES
    with pytest.raises(ValueError, match="name transform, which LogisticRegression does not"):
        dosirak.sklearn.save_model("x", classifier, signatures={"transform": {}})
    with pytest.raises(ValueError, match=r"none of the methods dosirak.sklearn serves"):
        dosirak.sklearn.save_model("x", object())


def test_cpu_resources_cap_the_models_threads(home: Path, classifier: LogisticRegression) -> None:
    """``resources={"cpu": 1}`` reaches the runnable as ``threads=1``, which limits
    OpenMP/BLAS thread pools (in a fresh process: the limit is process-wide)."""
    dosirak.sklearn.save_model("iris_clf", classifier)
    code = textwrap.dedent(
        """
        import warnings
        import threadpoolctl
        import dosirak
        warnings.simplefilter("ignore")
        runner = dosirak.sklearn.get("iris_clf").to_runner(resources={"cpu": 1})
        print(runner.init_params)
        runner.init_local()
        print(sorted({pool["num_threads"] for pool in threadpoolctl.threadpool_info()}))
        """
    )
    result = run_python(code, home, env={"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["{'threads': 1}", "[1]"]
