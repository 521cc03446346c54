"""Black-box: the iris sample served by a real uvicorn, called over loopback."""

from __future__ import annotations

import io
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest
from dosirak.codegen import build_document, document_bytes
from openapi_spec_validator import validate

from dosirak._loader import load_service

from .conftest import IRIS_TARGET, Served

SETOSA = [5.1, 3.5, 1.4, 0.2]
VIRGINICA = [6.7, 3.0, 5.2, 2.3]
VERSICOLOR = [5.9, 2.8, 4.3, 1.3]
ROUTES = [
    "/classify",
    "/v2/models/my_model/versions/v0/infer",
    "/classify_validated",
    "/classify_ensemble",
]
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response: httpx.Response, status: int, *, path: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["instance"] == path
    assert body["type"].startswith("urn:dosirak:problem:")
    return body


@pytest.mark.parametrize("route", ROUTES)
def test_every_api_classifies(iris_client: httpx.Client, route: str) -> None:
    response = iris_client.post(route, json=[SETOSA, VERSICOLOR, VIRGINICA])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [0, 1, 2]


def test_seed_curl_example(iris_client: httpx.Client) -> None:
    response = iris_client.post(
        "/classify",
        content=b"[[5.9, 3, 5.1, 1.8]]",
        headers={"content-type": "application/json"},
    )
    assert response.json() == [2]


def test_ensemble_marks_disagreement(iris_client: httpx.Client) -> None:
    # Halfway between two centroids the two model versions disagree.
    boundary = [5.471, 3.099, 2.861, 0.786]
    response = iris_client.post("/classify_ensemble", json=[boundary, SETOSA])
    assert response.status_code == 200
    assert response.json() == [-1, 0]


def test_declared_dtype_casts_integers(iris_client: httpx.Client) -> None:
    response = iris_client.post("/classify_validated", json=[[5, 3, 1, 0]])
    assert response.json() == [0]


def test_empty_batch(iris_client: httpx.Client) -> None:
    response = iris_client.post("/classify_validated", json=[])
    assert response.status_code == 200  # an empty batch of rows of 4
    assert response.json() == []
    response = iris_client.post("/classify", json=[])
    assert response.status_code == 200
    assert response.json() == []


BAD_INPUTS = [
    pytest.param(b"[[5.1, 3.5", "application/json", 400, "not valid JSON", id="malformed"),
    pytest.param(b"", "application/json", 400, "empty", id="empty"),
    pytest.param(b"\xff\xfe[1]", "application/json", 400, "not valid JSON", id="not-utf8"),
    pytest.param(b"[[5.1, 3.5, 1.4, 0.2]]", "text/plain", 415, "text/plain", id="wrong-type"),
    pytest.param(b'{"a": 1}', "application/json", 422, "expected a JSON array", id="object"),
    pytest.param(b"[[1, 2], [3]]", "application/json", 422, "ragged", id="ragged"),
    pytest.param(b'[["a", "b", "c", "d"]]', "application/json", 422, "not numbers", id="text"),
    pytest.param(b"[[null, 1, 2, 3]]", "application/json", 422, "not numbers", id="null"),
    pytest.param(b"[[1e400, 1, 2, 3]]", "application/json", 400, "not valid JSON", id="overflow"),
    pytest.param(b"[[5.1, 3.5, 1.4]]", "application/json", 422, "expected shape", id="shape"),
    pytest.param(b"[5.1, 3.5, 1.4, 0.2]", "application/json", 422, "expected shape", id="rank"),
]


@pytest.mark.parametrize(("body", "content_type", "status", "detail"), BAD_INPUTS)
def test_bad_input_is_a_problem_not_a_crash(
    iris_client: httpx.Client, body: bytes, content_type: str, status: int, detail: str
) -> None:
    response = iris_client.post(
        "/classify_validated", content=body, headers={"content-type": content_type}
    )
    problem = assert_problem(response, status, path="/classify_validated")
    assert detail in problem["detail"]
    if status == 422:
        assert problem["errors"][0]["loc"] == ["body"]
        assert problem["errors"][0]["msg"] == problem["detail"]
    # The server keeps serving.
    assert iris_client.post("/classify_validated", json=[SETOSA]).json() == [0]


def test_missing_content_type_is_415(iris_client: httpx.Client) -> None:
    response = iris_client.post("/classify", content=b"[[1, 2, 3, 4]]")
    assert "content-type" not in response.request.headers
    problem = assert_problem(response, 415, path="/classify")
    assert "no Content-Type" in problem["detail"]


def test_content_type_parameters_are_accepted(iris_client: httpx.Client) -> None:
    response = iris_client.post(
        "/classify",
        content=b"[[5.1, 3.5, 1.4, 0.2]]",
        headers={"content-type": "Application/JSON; charset=utf-8"},
    )
    assert response.json() == [0]


def test_oversize_body_is_413_before_it_is_read(iris_server: Served) -> None:
    # Declare 200 MB and send none of it: the answer must come without the body.
    url = urlsplit(iris_server.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(
            b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 200000000\r\n\r\n"
        )
        head = sock.recv(4096).decode()
    assert head.startswith("HTTP/1.1 413"), head
    assert "application/problem+json" in head


def test_unknown_route_and_method(iris_client: httpx.Client) -> None:
    assert_problem(iris_client.post("/nope", json=[]), 404, path="/nope")
    response = iris_client.get("/classify")
    assert_problem(response, 405, path="/classify")
    assert response.headers["allow"] == "POST"


def test_health(iris_client: httpx.Client) -> None:
    assert iris_client.get("/livez").status_code == 200
    assert iris_client.get("/readyz").json() == {"status": "ready"}


def test_published_document_is_the_generated_one(iris_client: httpx.Client) -> None:
    svc = load_service(IRIS_TARGET)
    published = iris_client.get("/openapi.json")
    assert published.status_code == 200
    assert published.content == document_bytes(build_document(svc))
    validate(published.json())


def test_every_status_sent_is_declared(iris_client: httpx.Client) -> None:
    document = iris_client.get("/openapi.json").json()
    sent: dict[str, set[str]] = {route: set() for route in ROUTES}
    for route in ROUTES:
        for body, content_type in (
            (b"[[5.1, 3.5, 1.4, 0.2]]", "application/json"),
            (b"[[5.1", "application/json"),
            (b"[[1], [2, 3]]", "application/json"),
            (b"[]", "text/csv"),
        ):
            response = iris_client.post(route, content=body, headers={"content-type": content_type})
            sent[route].add(str(response.status_code))
    for route, statuses in sent.items():
        declared = set(document["paths"][route]["post"]["responses"])
        assert statuses <= declared, (route, statuses - declared)


def test_sample_is_unchanged_seed_code() -> None:
    # The seed's first example, with only the import changed, is in the sample verbatim.
    source = (Path(__file__).parent.parent / "samples" / "iris" / "service.py").read_text()
    assert "@svc.api(input=NumpyNdarray(), output=NumpyNdarray())\n" in source
    assert "    result = iris_clf_runner.predict.run(input_series)\n    return result\n" in source


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


NPY = {"content-type": "application/x-npy", "accept": "application/x-npy"}


def test_npy_in_and_out(iris_client: httpx.Client) -> None:
    batch = np.array([SETOSA, VERSICOLOR, VIRGINICA], dtype=np.float32)
    response = iris_client.post("/classify_validated", content=_npy(batch), headers=NPY)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-npy"
    result = np.load(io.BytesIO(response.content))
    assert result.dtype == np.int64
    assert result.tolist() == [0, 1, 2]


def test_npy_in_json_out_by_default(iris_client: httpx.Client) -> None:
    body = _npy(np.array([SETOSA]))
    response = iris_client.post(
        "/classify", content=body, headers={"content-type": "application/x-npy"}
    )
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [0]


def test_json_in_npy_out(iris_client: httpx.Client) -> None:
    response = iris_client.post("/classify", json=[SETOSA], headers={"accept": "application/x-npy"})
    assert np.load(io.BytesIO(response.content)).tolist() == [0]


def test_unacceptable_accept_is_406(iris_client: httpx.Client) -> None:
    response = iris_client.post("/classify", json=[SETOSA], headers={"accept": "text/html"})
    problem = assert_problem(response, 406, path="/classify")
    assert "application/x-npy" in problem["detail"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"\x93NUMPY", 400),
        (_npy(np.zeros((3, 4)))[:-7], 400),
        (_npy(np.array([["a", "b", "c", "d"]])), 422),
        (_npy(np.zeros((2, 3))), 422),
    ],
    ids=["magic-only", "truncated", "strings", "shape"],
)
def test_bad_npy_bodies(iris_client: httpx.Client, body: bytes, status: int) -> None:
    response = iris_client.post("/classify_validated", content=body, headers=NPY)
    assert_problem(response, status, path="/classify_validated")
    assert iris_client.post("/classify_validated", json=[SETOSA]).json() == [0]


def test_max_body_size_is_configurable(tmp_path: Path) -> None:
    from .conftest import start_server, stop_server

    served = start_server(IRIS_TARGET, tmp_path, "--max-body-size", "1K")
    try:
        small = httpx.post(f"{served.base_url}/classify", json=[SETOSA])
        assert small.json() == [0]

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts as it streams
            yield b"["
            for _ in range(200):
                yield b"[5.1, 3.5, 1.4, 0.2],"
            yield b"[5.1, 3.5, 1.4, 0.2]]"

        big = httpx.post(
            f"{served.base_url}/classify",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        problem = assert_problem(big, 413, path="/classify")
        assert "1024" in problem["detail"]

        # The same body chunked in one write: it has all come before the route reads it.
        raw = b"[" + b"[5.1, 3.5, 1.4, 0.2]," * 200 + b"[5.1, 3.5, 1.4, 0.2]]"
        url = urlsplit(served.base_url)
        with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
            sock.sendall(
                b"POST /classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                b"%x\r\n%b\r\n0\r\n\r\n" % (len(raw), raw)
            )
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert b"1024" in answer
    finally:
        stop_server(served)


def test_bad_size_option_is_a_usage_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "dosirak", "serve", IRIS_TARGET, "--max-body-size", "lots"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 2
    assert "not a positive number of bytes" in result.stderr


def test_access_log_can_be_turned_off(tmp_path: Path) -> None:
    from .conftest import start_server, stop_server

    quiet = start_server(IRIS_TARGET, tmp_path, "--no-access-log", "--log-level", "warning")
    try:
        assert httpx.post(f"{quiet.base_url}/classify", json=[SETOSA]).json() == [0]
    finally:
        stop_server(quiet)
    assert "POST /classify" not in quiet.log()
    assert "Application startup complete" not in quiet.log()
