"""`Multipart` and `File`: the multipart sample served by a real uvicorn, and the pieces.

Black-box first (good and bad requests, the server serving on after each), then the
document's shape, the codecs (spooling, limits, parsing) and the descriptors in-process.
"""

from __future__ import annotations

import email
import hashlib
import io
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import numpy as np
import pytest
from dosirak.codegen import build_document
from dosirak.codegen._layout import keyword_argument
from dosirak.runtime.codecs import Limits, ResponseValidationError, file, multipart
from dosirak.runtime.errors import (
    BadRequest,
    PayloadTooLarge,
    UnprocessableContent,
    UnsupportedMediaType,
)
from pydantic import BaseModel
from starlette.requests import Request
from starlette.testclient import TestClient

import dosirak
from dosirak import ServiceDefinitionError
from dosirak._loader import load_service
from dosirak.io import File, Json, Multipart, NumpyNdarray, Text, UploadedFile

from .conftest import SAMPLES, Served

TARGET = f"{SAMPLES / 'multipart' / 'service.py'}:svc"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
JSON = "application/json"
FOO = {"field1": 3, "field2": 1.5, "field3": "x"}
ARR = [[1, 2], [3, 4]]


@pytest.fixture(scope="module")
def client(serve_target: Callable[[str], Served]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=serve_target(TARGET).base_url, timeout=60) as client:
        yield client


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    assert "Traceback" not in response.text
    return body


def assert_still_serving(client: httpx.Client) -> None:
    response = client.post("/predict", files=predict_parts())
    assert response.status_code == 200, response.text
    assert response.json() == [1, 2, 3]


def predict_parts(**overrides: Any) -> dict[str, Any]:
    """httpx ``files=`` for /predict: each part a JSON document with its content type."""
    parts: dict[str, Any] = {
        "arr": (None, json.dumps(ARR), JSON),
        "json": (None, json.dumps(FOO), JSON),
    }
    parts.update(overrides)
    return {name: part for name, part in parts.items() if part is not None}


def raw_multipart(*parts: tuple[dict[str, str], bytes], boundary: str = "b0und") -> bytes:
    body = b""
    for headers, content in parts:
        lines = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        body += f"--{boundary}\r\n{lines}\r\n".encode() + content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def post_raw(
    client: httpx.Client, path: str, body: bytes, boundary: str = "b0und"
) -> httpx.Response:
    content_type = f"multipart/form-data; boundary={boundary}"
    return client.post(path, content=body, headers={"content-type": content_type})


def field(name: str, content_type: str | None = None) -> dict[str, str]:
    headers = {"Content-Disposition": f'form-data; name="{name}"'}
    if content_type:
        headers["Content-Type"] = content_type
    return headers


# ---------------------------------------------------------------- good requests


def test_seed_multipart_example(client: httpx.Client) -> None:
    response = client.post("/predict", files=predict_parts())
    assert response.status_code == 200, response.text
    assert response.json() == [1, 2, 3]  # the first field1 values of arr


def test_parts_are_matched_by_name_not_position(client: httpx.Client) -> None:
    parts = predict_parts()
    response = client.post("/predict", files={"json": parts["json"], "arr": parts["arr"]})
    assert response.json() == [1, 2, 3]


def test_parts_without_content_type_take_the_declared_one(client: httpx.Client) -> None:
    # As a browser sends plain form fields: no Content-Type per part.
    body = raw_multipart((field("arr"), b"[5, 6, 7]"), (field("json"), json.dumps(FOO).encode()))
    response = post_raw(client, "/predict", body)
    assert response.status_code == 200, response.text
    assert response.json() == [5, 6, 7]


def test_array_part_may_be_npy(client: httpx.Client) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([9, 8, 7, 6], dtype=np.int64))
    parts = predict_parts(arr=("arr.npy", buffer.getvalue(), "application/x-npy"))
    response = client.post("/predict", files=parts)
    assert response.json() == [9, 8, 7]


def test_file_part_with_plain_field(client: httpx.Client) -> None:
    csv = b"a,b\n1,2\n3,4\n"
    response = client.post(
        "/upload_form", files={"table": ("t.csv", csv, "text/csv")}, data={"note": "hi"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "filename": "t.csv",
        "content_type": "text/csv",
        "lines": 3,
        "note": "hi",
    }


def test_file_part_takes_any_content_type(client: httpx.Client) -> None:
    response = client.post(
        "/upload_form",
        files={"table": ("t.csv", b"a\n", "application/vnd.ms-excel")},
        data={"note": "é"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["content_type"] == "application/vnd.ms-excel"
    assert response.json()["note"] == "é"


def test_raw_file_upload_past_the_spool_threshold(client: httpx.Client) -> None:
    data = os.urandom(3 * 1024 * 1024)  # past the default 1 MiB: spooled to disk
    response = client.post(
        "/digest",
        content=data,
        headers={
            "content-type": "application/octet-stream",
            "content-disposition": 'attachment; filename="blob.bin"',
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "name": "blob.bin",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def test_uploaded_file_streams_back(client: httpx.Client) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    headers = {"content-type": "application/octet-stream"}
    with client.stream("POST", "/echo", content=data, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/octet-stream"
        assert "content-length" not in response.headers  # streamed, chunk by chunk
        received = b"".join(response.iter_bytes())
    assert received == data


def test_file_download_is_streamed(client: httpx.Client) -> None:
    response = client.post("/table", json=[1, 2, 3])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers.get("transfer-encoding") == "chunked"
    assert response.text == "n,square\n1,1\n2,4\n3,9\n"


def test_multipart_response(client: httpx.Client) -> None:
    response = client.post("/shout", content="hello world", headers={"content-type": "text/plain"})
    assert response.status_code == 200, response.text
    content_type = response.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    message = email.message_from_bytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + response.content
    )
    parts = {p.get_param("name", header="content-disposition"): p for p in message.get_payload()}
    assert list(parts) == ["upper", "counts"]
    assert parts["upper"].get_payload(decode=True) == b"HELLO WORLD"
    assert parts["counts"].get_content_type() == JSON
    assert json.loads(parts["counts"].get_payload(decode=True)) == {"characters": 11, "words": 2}


# ---------------------------------------------------------------- bad requests


def test_missing_part_is_422_naming_it(client: httpx.Client) -> None:
    body = assert_problem(client.post("/predict", files=predict_parts(json=None)), 422)
    assert body["errors"] == [
        {"loc": ["body", "json"], "msg": "the part is missing", "type": "missing"}
    ]
    assert_still_serving(client)


def test_unknown_part_is_422(client: httpx.Client) -> None:
    parts = predict_parts(extra=(None, b"1", "text/plain"))
    body = assert_problem(client.post("/predict", files=parts), 422)
    assert [e["loc"] for e in body["errors"]] == [["body", "extra"]]
    assert body["errors"][0]["type"] == "unknown_part"
    assert_still_serving(client)


def test_repeated_part_is_422(client: httpx.Client) -> None:
    parts = [*predict_parts().items(), ("arr", (None, b"[1]", JSON))]
    body = assert_problem(client.post("/predict", files=parts), 422)
    assert body["errors"][0]["loc"] == ["body", "arr"]
    assert body["errors"][0]["type"] == "repeated_part"


def test_part_of_a_content_type_it_does_not_take_is_415(client: httpx.Client) -> None:
    parts = predict_parts(arr=(None, json.dumps(ARR), "text/plain"))
    body = assert_problem(client.post("/predict", files=parts), 415)
    assert "part 'arr'" in body["detail"]
    assert_still_serving(client)


def test_json_part_that_does_not_fit_its_model_is_422_inside_the_part(
    client: httpx.Client,
) -> None:
    parts = predict_parts(json=(None, json.dumps({**FOO, "field1": "many"}), JSON))
    body = assert_problem(client.post("/predict", files=parts), 422)
    assert [e["loc"] for e in body["errors"]] == [["body", "json", "field1"]]
    assert body["errors"][0]["type"].startswith("int_")


def test_errors_of_several_parts_come_together(client: httpx.Client) -> None:
    parts = predict_parts(
        arr=(None, "[[1, 2], [3]]", JSON), json=(None, json.dumps({"field1": 1}), JSON)
    )
    body = assert_problem(client.post("/predict", files=parts), 422)
    locs = [e["loc"] for e in body["errors"]]
    assert locs == [["body", "arr"], ["body", "json", "field2"], ["body", "json", "field3"]]


@pytest.mark.parametrize(
    ("arr", "kind"),
    [
        ([[1.5, 2]], "dtype_error"),  # int64 enforced: no fractions
        ([[1, 2], [3]], "ragged_array"),
        ([2**63], "dtype_error"),
        ({"a": 1}, "type_error"),
    ],
)
def test_array_part_that_does_not_fit_is_422(client: httpx.Client, arr: Any, kind: str) -> None:
    body = assert_problem(
        client.post("/predict", files=predict_parts(arr=(None, json.dumps(arr), JSON))), 422
    )
    assert body["errors"] == [
        {"loc": ["body", "arr"], "msg": body["errors"][0]["msg"], "type": kind}
    ]
    assert_still_serving(client)


def test_unparseable_json_part_is_400_naming_it(client: httpx.Client) -> None:
    body = assert_problem(client.post("/predict", files=predict_parts(json=(None, "{", JSON))), 400)
    assert body["detail"].startswith("part 'json': ")


@pytest.mark.parametrize(
    ("body", "content_type", "detail"),
    [
        (b"--b0und\r\nContent-Type: text/pl", "multipart/form-data; boundary=b0und", "ends before"),
        (b"garbage", "multipart/form-data; boundary=b0und", "malformed"),
        (b"--b0und--\r\n", "multipart/form-data", "no boundary"),
        (
            raw_multipart(({"Content-Type": JSON}, b"[1]")),
            "multipart/form-data; boundary=b0und",
            "Content-Disposition",
        ),
    ],
    ids=["truncated", "garbage", "no-boundary", "no-disposition"],
)
def test_malformed_multipart_is_400(
    client: httpx.Client, body: bytes, content_type: str, detail: str
) -> None:
    response = client.post("/predict", content=body, headers={"content-type": content_type})
    assert detail in assert_problem(response, 400)["detail"]
    assert_still_serving(client)


def test_too_many_parts_is_413(client: httpx.Client) -> None:
    parts = [(field(f"p{i}"), b"x") for i in range(Limits().max_parts + 1)]
    body = assert_problem(post_raw(client, "/predict", raw_multipart(*parts)), 413)
    assert f"more than {Limits().max_parts} parts" in body["detail"]
    assert_still_serving(client)


def test_too_large_part_is_413(client: httpx.Client) -> None:
    big = b"[" + b"1," * (Limits().max_part_bytes // 2) + b"1]"
    parts = predict_parts(arr=(None, big, JSON))
    body = assert_problem(client.post("/predict", files=parts), 413)
    assert "part 'arr' passed" in body["detail"]
    assert_still_serving(client)


def test_raw_file_of_another_media_type_is_415(client: httpx.Client) -> None:
    response = client.post("/digest", content=b"abc", headers={"content-type": "text/plain"})
    assert_problem(response, 415)


def test_every_route_answers_after_the_bad_requests(client: httpx.Client) -> None:
    assert_still_serving(client)
    response = client.post(
        "/digest", content=b"", headers={"content-type": "application/octet-stream"}
    )
    assert response.json()["size"] == 0
    assert client.get("/livez").status_code == 200


# ---------------------------------------------------------------- the document


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document(load_service(TARGET))


def _body(document: dict[str, Any], path: str, where: str = "request") -> dict[str, Any]:
    operation = document["paths"][path]["post"]
    body: dict[str, Any] = (
        operation["requestBody"] if where == "request" else operation["responses"]["200"]
    )
    return body


def test_multipart_request_document(document: dict[str, Any]) -> None:
    media = _body(document, "/predict")["content"]
    assert list(media) == ["multipart/form-data"]
    schema = media["multipart/form-data"]["schema"]
    assert schema["type"] == "object"
    assert list(schema["properties"]) == ["arr", "json"]
    assert schema["properties"]["json"] == {"$ref": "#/components/schemas/FooModel"}
    assert schema["properties"]["arr"]["type"] == "array"
    assert schema["required"] == ["arr", "json"]
    assert schema["additionalProperties"] is False
    assert media["multipart/form-data"]["encoding"] == {
        "arr": {"contentType": JSON},
        "json": {"contentType": JSON},
    }
    foo = document["components"]["schemas"]["FooModel"]
    assert foo["required"] == ["field1", "field2", "field3"]


def test_file_part_and_text_part_document(document: dict[str, Any]) -> None:
    media = _body(document, "/upload_form")["content"]["multipart/form-data"]
    assert media["schema"]["properties"] == {
        "table": {"type": "string", "format": "binary", "contentMediaType": "text/csv"},
        "note": {"type": "string"},
    }
    assert media["encoding"] == {
        "table": {"contentType": "text/csv"},
        "note": {"contentType": "text/plain"},
    }


def test_raw_file_document(document: dict[str, Any]) -> None:
    assert _body(document, "/digest")["content"] == {
        "application/octet-stream": {
            "schema": {
                "type": "string",
                "format": "binary",
                "contentMediaType": "application/octet-stream",
            }
        }
    }
    out = _body(document, "/table", "response")["content"]
    assert list(out) == ["text/csv"]


def test_multipart_response_document(document: dict[str, Any]) -> None:
    body = _body(document, "/shout", "response")
    media = body["content"]["multipart/form-data"]
    assert media["schema"]["properties"]["counts"] == {"$ref": "#/components/schemas/WordCount"}
    assert media["encoding"]["upper"] == {"contentType": "text/plain"}
    assert body["x-dosirak-io"]["parts"]["counts"] == {"type": "json", "model": "WordCount"}


def test_nested_models_take_the_components_names() -> None:
    # Two models named alike: pydantic names the components apart; the parts follow.
    first = type("Item", (BaseModel,), {"__annotations__": {"a": int}, "__module__": "one"})
    second = type("Item", (BaseModel,), {"__annotations__": {"b": str}, "__module__": "two"})
    svc = dosirak.Service("twins")

    @svc.api(
        input=Multipart(x=Json(pydantic_model=first), y=Json(pydantic_model=second)), output=Text()
    )
    def pair(x: Any, y: Any) -> str:
        return ""

    document = build_document(svc)
    spec = _body(document, "/pair")["x-dosirak-io"]["parts"]
    properties = _body(document, "/pair")["content"]["multipart/form-data"]["schema"]["properties"]
    for name in ("x", "y"):
        component = spec[name]["model"]
        assert properties[name] == {"$ref": f"#/components/schemas/{component}"}
        assert component in document["components"]["schemas"]
    assert spec["x"]["model"] != spec["y"]["model"]


# ---------------------------------------------------------------- codecs


def _request(chunks: list[bytes], headers: dict[str, str]) -> Request:
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    return Request({"type": "http", "method": "POST", "headers": raw, "path": "/"}, receive)


def test_file_spools_to_disk_past_the_threshold() -> None:
    data = os.urandom(3 * 1024 * 1024)
    chunks = [data[i : i + 65536] for i in range(0, len(data), 65536)]
    limits = Limits(spool_bytes=256 * 1024)

    async def read(chunks: list[bytes]) -> UploadedFile:
        request = _request(chunks, {"content-type": "application/octet-stream"})
        return await file.read(request, "application/octet-stream", limits)

    upload = anyio.run(read, chunks)
    assert upload._rolled  # on disk
    assert upload.size == len(data)
    assert upload.read() == data
    upload.close()
    small = anyio.run(read, [b"tiny"])
    assert not small._rolled
    assert small.read() == b"tiny"
    small.close()


def test_file_body_past_the_limit_is_413_while_streaming() -> None:
    async def read() -> UploadedFile:
        request = _request([b"x" * 600, b"x" * 600], {})  # no Content-Length to go by
        return await file.read(request, "application/octet-stream", Limits(max_body_bytes=1000))

    with pytest.raises(PayloadTooLarge, match="passed 1000 bytes"):
        anyio.run(read)


PARTS: dict[str, multipart.PartSpec] = {
    "arr": (
        "ndarray",
        (JSON, "application/x-npy"),
        {"dtype": "int64", "shape": None, "enforce_dtype": True, "enforce_shape": False},
    ),
    "doc": ("file", ("text/csv",), {}),
    "note": ("text", ("text/plain",), {}),
}


def test_file_part_spools_to_disk_and_the_rest_decodes() -> None:
    data = os.urandom(300_000)
    body = raw_multipart(
        (field("arr", JSON), b"[1, 2]"),
        ({"Content-Disposition": 'form-data; name="doc"; filename="d.csv"'}, data),
        (field("note"), "café".encode()),
    )
    content_type = "multipart/form-data; boundary=b0und"
    values = multipart.decode(body, content_type, parts=PARTS, limits=Limits(spool_bytes=1000))
    assert values["arr"].tolist() == [1, 2]
    assert values["note"] == "café"
    upload = values["doc"]
    assert isinstance(upload, UploadedFile)
    assert upload._rolled
    assert (upload.name, upload.content_type, upload.read()) == ("d.csv", "text/csv", data)
    upload.close()


def test_part_limits() -> None:
    content_type = "multipart/form-data; boundary=b0und"
    body = raw_multipart((field("note"), b"x" * 101))
    with pytest.raises(PayloadTooLarge, match="part 'note' passed 100 bytes"):
        multipart.decode(body, content_type, parts=PARTS, limits=Limits(max_part_bytes=100))
    body = raw_multipart(*[(field("note"), b"x")] * 3)
    with pytest.raises(PayloadTooLarge, match="more than 2 parts"):
        multipart.decode(body, content_type, parts=PARTS, limits=Limits(max_parts=2))


def test_part_errors() -> None:
    content_type = "multipart/form-data; boundary=b0und"
    body = raw_multipart((field("arr", "text/csv"), b"1,2"))
    with pytest.raises(UnprocessableContent) as missing:
        multipart.decode(body, content_type, parts=PARTS)
    assert [e.loc for e in missing.value.errors] == [("body", "doc"), ("body", "note")]
    full = raw_multipart(
        (field("arr", "text/csv"), b"1,2"), (field("doc"), b""), (field("note"), b"")
    )
    with pytest.raises(UnsupportedMediaType, match="part 'arr'"):
        multipart.decode(full, content_type, parts=PARTS)
    full = raw_multipart(
        (field("arr", "application/x-npy"), b"nope"), (field("doc"), b""), (field("note"), b"")
    )
    with pytest.raises(BadRequest, match=r"part 'arr': the body is not a \.npy array"):
        multipart.decode(full, content_type, parts=PARTS)


def test_multipart_output_round_trip() -> None:
    parts: dict[str, multipart.PartSpec] = {
        "note": ("text", ("text/plain",), {}),
        "doc": ("file", ("application/octet-stream",), {}),
    }
    payload = b"--abc-- not the boundary"
    body = multipart.to_bytes(
        {"note": "hi", "doc": io.BytesIO(payload)}, "multipart/form-data; boundary=abc", parts=parts
    )
    values = multipart.decode(body, "multipart/form-data; boundary=abc", parts=parts)
    assert values["note"] == "hi"
    assert values["doc"].read() == payload
    values["doc"].close()
    for wrong in ({"note": "hi"}, {"note": "hi", "doc": b"", "x": 1}, ["hi"]):
        with pytest.raises(ResponseValidationError):
            multipart.to_bytes(wrong, "multipart/form-data; boundary=abc", parts=parts)


def test_file_output_kinds(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_bytes(b"a,b\n")
    assert file.to_bytes(path, "text/csv") == b"a,b\n"
    assert file.to_bytes(str(path), "text/csv") == b"a,b\n"
    assert file.to_bytes(bytearray(b"ab"), "text/csv") == b"ab"
    with pytest.raises(ResponseValidationError, match="not a file"):
        file.to_bytes(tmp_path / "missing.csv", "text/csv")
    with pytest.raises(ResponseValidationError, match="binary mode"):
        file.to_bytes(io.StringIO("text"), "text/csv")
    with pytest.raises(ResponseValidationError, match="takes bytes"):
        file.to_bytes(42, "text/csv")


# ---------------------------------------------------------------- in-process


def test_uploads_and_returned_files_close_after_the_response(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOSIRAK_HOME", str(tmp_path))
    seen: list[Any] = []
    report = tmp_path / "report.csv"
    report.write_bytes(b"n\n1\n")
    svc = dosirak.Service("closing")

    @svc.api(input=File(), output=File(mime_type="text/csv"))
    def echo(upload: UploadedFile) -> UploadedFile:
        seen.append(upload)
        return upload

    @svc.api(input=Multipart(doc=File(), n=Text()), output=File(mime_type="text/csv"))
    def download(doc: UploadedFile, n: str) -> Any:
        seen.append(doc)
        if n == "path":
            return report
        returned = open(report, "rb")  # noqa: SIM115 - the server closes it
        seen.append(returned)
        return returned

    with TestClient(svc.asgi_app) as client:
        response = client.post(
            "/echo", content=b"abc", headers={"content-type": "application/octet-stream"}
        )
        assert response.content == b"abc"
        response = client.post("/download", files={"doc": ("d", b"x")}, data={"n": "file"})
        assert response.content == b"n\n1\n"
        assert response.headers["content-disposition"] == 'attachment; filename="report.csv"'
        response = client.post("/download", files={"doc": ("d", b"x")}, data={"n": "path"})
        assert response.content == b"n\n1\n"
    assert len(seen) == 4
    assert all(f.closed for f in seen)


def test_spooled_upload_closes_when_the_request_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOSIRAK_HOME", str(tmp_path))
    seen: list[UploadedFile] = []
    svc = dosirak.Service("failing")

    @svc.api(input=Multipart(doc=File(), n=NumpyNdarray(dtype="int64")), output=Text())
    def fail(doc: UploadedFile, n: np.ndarray) -> str:
        seen.append(doc)
        raise RuntimeError("boom")

    with TestClient(svc.asgi_app, raise_server_exceptions=False) as client:
        response = client.post("/fail", files={"doc": ("d", b"x" * 10)}, data={"n": "[1]"})
        assert response.status_code == 500
        response = client.post("/fail", files={"doc": ("d", b"x")}, data={"n": "[1.5]"})
        assert response.status_code == 422
    assert len(seen) == 1 and seen[0].closed


# ---------------------------------------------------------------- descriptors


def test_function_parameters_must_be_the_parts() -> None:
    svc = dosirak.Service("mismatch")
    descriptor = Multipart(arr=NumpyNdarray(), json=Json())
    with pytest.raises(ServiceDefinitionError) as caught:

        @svc.api(input=descriptor, output=Text())
        def predict(arr: np.ndarray, payload: Any) -> str:
            return ""

    message = str(caught.value)
    assert "API 'predict'" in message
    assert "no parameter for part(s) json" in message
    assert "parameter(s) payload are not parts" in message


def test_parts_are_passed_by_keyword_with_the_services_models() -> None:
    class Foo(BaseModel):
        a: int

    descriptor = Multipart(arr=NumpyNdarray(), foo=Json(pydantic_model=Foo))
    generated = type("Foo", (BaseModel,), {"__annotations__": {"a": int}})
    value = descriptor.from_wire({"arr": np.zeros(1), "foo": generated(a=2)})
    args, kwargs = descriptor.call_arguments(value)
    assert args == ()
    assert set(kwargs) == {"arr", "foo"}
    assert isinstance(kwargs["foo"], Foo) and kwargs["foo"].a == 2


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: Multipart(), "at least one part"),
        (lambda: Multipart(a=Multipart(b=Text())), "do not nest"),
        (lambda: Multipart(a=Json(pydantic_model=list[int])), "takes a pydantic model"),
        (lambda: Multipart(a="text"), "must be an IO descriptor"),
        (lambda: File(mime_type="text/*"), "without parameters or wildcards"),
        (lambda: File(mime_type="text/csv; charset=utf-8"), "without parameters"),
    ],
)
def test_descriptor_definition_errors(make: Callable[[], Any], error: str) -> None:
    with pytest.raises((TypeError, ValueError), match=error):
        make()


def test_upload_is_a_file_with_the_clients_name() -> None:
    upload = file.decode(b"a\nb\n", "text/csv")
    assert (upload.name, upload.content_type, upload.size) == (None, "text/csv", 4)
    assert list(upload) == [b"a\n", b"b\n"]
    upload.close()
    assert file.disposition_filename('attachment; filename="r\xc3\xa9.csv"') == "ré.csv"


# ---------------------------------------------------------------- generated code layout


@pytest.mark.parametrize("width", [10, 40, 70, 120, 200])
def test_long_codec_arguments_are_laid_out_as_ruff_formats_them(width: int) -> None:
    parts = {
        "a" * (width // 10 + 1): ("ndarray", (JSON, "application/x-npy"), {"dtype": "x" * width}),
        "json": ("json", (JSON,), {"model": None}),
        "t": ("text", ("text/plain",), {}),
    }
    code = repr(parts).replace("'", '"')
    line = keyword_argument("parts", code, 8)
    source = f"def f():\n    return g(\n        request,\n        {line},\n    )\n"
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--isolated", "--line-length", "100", "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == source, textwrap.indent(result.stdout, "> ")
