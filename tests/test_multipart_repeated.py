"""Repeated and optional multipart parts: several files under one name, fields left out.

The codec both ways, a service declaring them, and a client generated from a document
that gives no ``x-dosirak-io`` (haystack's ``POST /file-upload``: an array of binary
strings and untyped, optional form fields).
"""

from __future__ import annotations

import email
import importlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from dosirak.codegen import build_document, generate, load_document
from dosirak.codegen import write_files as write
from dosirak.runtime.codecs import ResponseValidationError, multipart
from dosirak.runtime.errors import UnprocessableContent
from starlette.testclient import TestClient

import dosirak
from dosirak.io import File, Json, Multipart, Text, UploadedFile

from .conftest import ROOT

FORM = "multipart/form-data; boundary=b0und"
PARTS: dict[str, multipart.PartSpec] = {
    "files": ("file", ("application/octet-stream",), {}, ("repeated",)),
    "meta": ("text", ("text/plain",), {}, ("optional",)),
    "tags": ("text", ("text/plain",), {}, ("repeated", "optional")),
    "n": ("json", ("application/json",), {"model": None}),
}


def raw_multipart(*parts: tuple[str, bytes, str | None]) -> bytes:
    body = b""
    for name, content, filename in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        body += f"--b0und\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
        body += content + b"\r\n"
    return body + b"--b0und--\r\n"


def parts_of(body: bytes, content_type: str) -> list[tuple[str, str | None, bytes]]:
    """Each part's name, filename and content, in order, as a mail parser reads them."""
    message = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    found = []
    for part in message.get_payload():
        assert isinstance(part, email.message.Message)
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found.append(
            (
                str(part.get_param("name", header="content-disposition")),
                part.get_filename(),
                payload,
            )
        )
    return found


# ---------------------------------------------------------------- the codec


def test_repeated_parts_arrive_as_a_list_in_order() -> None:
    body = raw_multipart(
        ("files", b"one", "a.txt"),
        ("n", b"7", None),
        ("files", b"two", "b.txt"),
        ("tags", b"x", None),
        ("tags", b"y", None),
    )
    values = multipart.decode(body, FORM, parts=PARTS)
    try:
        assert [(f.name, f.read()) for f in values["files"]] == [
            ("a.txt", b"one"),
            ("b.txt", b"two"),
        ]
        assert all(isinstance(f, UploadedFile) for f in values["files"])
        assert values["tags"] == ["x", "y"]
        assert values["meta"] is None  # optional, left out
        assert values["n"] == 7
    finally:
        for upload in values["files"]:
            upload.close()


def test_one_repeated_part_is_a_list_of_one_and_optional_ones_may_be_absent() -> None:
    values = multipart.decode(
        raw_multipart(("files", b"1", "a"), ("n", b"1", None)), FORM, parts=PARTS
    )
    assert len(values["files"]) == 1
    values["files"][0].close()
    assert values["tags"] is None and values["meta"] is None


def test_required_repeated_part_missing_and_single_parts_repeated_are_422() -> None:
    with pytest.raises(UnprocessableContent) as missing:
        multipart.decode(raw_multipart(("n", b"1", None)), FORM, parts=PARTS)
    assert [e.loc for e in missing.value.errors] == [("body", "files")]
    body = raw_multipart(
        ("files", b"1", "a"), ("n", b"1", None), ("meta", b"a", None), ("meta", b"b", None)
    )
    with pytest.raises(UnprocessableContent) as repeated:
        multipart.decode(body, FORM, parts=PARTS)
    assert [(e.loc, e.type) for e in repeated.value.errors] == [(("body", "meta"), "repeated_part")]


def test_a_repeated_part_that_does_not_fit_is_located_by_its_index() -> None:
    parts: dict[str, multipart.PartSpec] = {
        "n": ("json", ("application/json",), {"model": list[int]}, ("repeated",))
    }
    with pytest.raises(UnprocessableContent) as bad:
        multipart.decode(
            raw_multipart(("n", b"[1]", None), ("n", b'["x"]', None)), FORM, parts=parts
        )
    assert [e.loc for e in bad.value.errors] == [("body", "n", 1, 0)]


def test_encode_request_sends_each_item_as_its_own_part_and_leaves_out_none() -> None:
    one = io.BytesIO(b"first")
    one.name = "/tmp/one.pdf"
    value = {"files": [one, b"second"], "meta": None, "n": {"k": 1}}
    body, content_type = multipart.encode_request(value, "multipart/form-data", parts=PARTS)
    assert parts_of(body, content_type) == [
        ("files", "one.pdf", b"first"),
        ("files", None, b"second"),
        ("n", None, b'{"k":1}'),
    ]
    decoded = multipart.decode(body, content_type, parts=PARTS)
    assert [f.read() for f in decoded["files"]] == [b"first", b"second"]
    for upload in decoded["files"]:
        upload.close()


def test_encode_request_refuses_what_the_parts_do_not_take() -> None:
    for wrong, message in (
        ({"files": b"one", "n": 1}, "give a list"),
        ({"files": [], "n": 1}, "at least one"),
        ({"n": 1}, "missing"),
        ({"files": [b""], "n": 1, "x": 2}, "unknown"),
    ):
        with pytest.raises(ResponseValidationError, match=message):
            multipart.encode_request(wrong, "multipart/form-data", parts=PARTS)


# ---------------------------------------------------------------- a service


def test_a_service_takes_repeated_and_optional_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOSIRAK_HOME", str(tmp_path))
    svc = dosirak.Service("repeated")
    seen: list[UploadedFile] = []

    @svc.api(
        input=Multipart(files=File(), note=Text(), repeated=["files"], optional=["note"]),
        output=Json(),
    )
    def count(files: list[UploadedFile], note: str | None) -> dict[str, Any]:
        seen.extend(files)
        return {
            "names": [f.name for f in files],
            "sizes": [len(f.read()) for f in files],
            "note": note,
        }

    schema = build_document(svc)["paths"]["/count"]["post"]["requestBody"]["content"][
        "multipart/form-data"
    ]["schema"]
    assert schema["required"] == ["files"]
    assert schema["properties"]["files"]["type"] == "array"
    assert schema["properties"]["files"]["items"]["format"] == "binary"
    with TestClient(svc.asgi_app) as client:
        files = [("files", ("a.txt", b"1")), ("files", ("b.txt", b"22"))]
        response = client.post("/count", files=files)
        assert response.status_code == 200, response.text
        assert response.json() == {"names": ["a.txt", "b.txt"], "sizes": [1, 2], "note": None}
        response = client.post("/count", files=files[:1], data={"note": "hi"})
        assert response.json()["note"] == "hi"
        response = client.post("/count", files={"note": (None, b"hi")})  # no files
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "files"]
    assert len(seen) == 3 and all(f.closed for f in seen)


def test_flags_must_name_parts() -> None:
    with pytest.raises(ValueError, match="names no part"):
        Multipart(files=File(), repeated=["file"])
    with pytest.raises(TypeError, match="list of part names"):
        Multipart(files=File(), repeated=File())  # type: ignore[arg-type]


# ---------------------------------------------------------------- a generated client


@pytest.fixture(scope="module")
def haystack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    document = load_document(ROOT.parent / "shared" / "specs" / "haystack-rest-api.json")
    generated = generate(document, target="client", skip_unsupported=True)
    root = tmp_path_factory.mktemp("haystack")
    write(generated.files, root)
    (project,) = (root / "client").iterdir()
    sys.path.insert(0, str(project))
    try:
        yield importlib.import_module(project.name)
    finally:
        sys.path.remove(str(project))
        for name in [n for n in sys.modules if n.split(".")[0] == project.name]:
            del sys.modules[name]


def test_generated_client_uploads_one_part_per_file(haystack: ModuleType) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"ok": True})

    first = io.BytesIO(b"%PDF-1 first")
    first.name = "first.pdf"
    with haystack.Client("http://haystack.test", transport=httpx.MockTransport(answer)) as client:
        result = client.upload_file(
            {
                "files": [first, io.BytesIO(b"second file")],
                "meta": '{"source": "test"}',
                "split_length": "100",
                "clean_whitespace": None,  # optional: left out
            }
        )
    assert result == {"ok": True}
    (request,) = seen
    assert (request.method, request.url.path) == ("POST", "/file-upload")
    content_type = request.headers["content-type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    assert parts_of(request.content, content_type) == [
        ("files", "first.pdf", b"%PDF-1 first"),
        ("files", None, b"second file"),
        ("meta", None, b'{"source": "test"}'),
        ("split_length", None, b"100"),
    ]
