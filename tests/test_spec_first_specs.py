"""Spec-first servers of every third-party document in ../shared/specs: each generates a
server, a client and handler stubs that are ruff-clean and pass `mypy --strict`, and
serves them on a real uvicorn (stubs answer 501, bad parameters 422); an invalid document
stops with the validator's finding."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dosirak.codegen import GenerationError, generate, load_document, write_files
from dosirak.codegen._ir import Operation, Parameter
from dosirak.codegen._spec_first import spec_first_files, write_handlers

from .conftest import Served, start_server, stop_server
from .test_cli import dosirak
from .test_client_specs import INVALID, SPECS, VALID

#: Documents that need --skip-unsupported, and why (each reason is a generation warning).
NEEDS_SKIPPING = {
    "haystack-rest-api.json": "a default for a property whose type is a model",
    "swagger-petstore3.yaml": "application/xml",
}
RUFF = ["--no-cache", "--isolated", "--line-length", "100", "--target-version", "py310"]


def _folder(name: str) -> str:
    return re.sub(r"\W", "_", name.rsplit(".", 1)[0])


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each valid document's spec-first directory (handlers.py stubs included)."""
    root = tmp_path_factory.mktemp("spec-servers")
    made = {}
    for name in VALID:
        document = load_document(SPECS / name)
        skip = name in NEEDS_SKIPPING
        generated = generate(document, source=name, skip_unsupported=skip)
        out = root / _folder(name)
        write_files(spec_first_files(generated), out)
        assert write_handlers(generated, out).created
        made[name] = out
    return made


def test_documents_that_need_skipping_say_why() -> None:
    for name, reason in NEEDS_SKIPPING.items():
        with pytest.raises(GenerationError, match=re.escape(reason)):
            generate(load_document(SPECS / name), source=name)
        generated = generate(load_document(SPECS / name), source=name, skip_unsupported=True)
        assert any(reason in str(w) for w in generated.warnings)


def test_what_is_left_out_is_not_published() -> None:
    generated = generate(load_document(SPECS / "swagger-petstore3.yaml"), skip_unsupported=True)
    published = generated.files["openapi.json"].decode()
    assert "application/xml" not in published.split('"components"')[0]  # paths: JSON only
    assert "application/x-www-form-urlencoded" not in published
    assert any("leaves out 0 operation(s) and 21 media type(s)" in str(n) for n in generated.notes)


def test_what_the_server_leaves_to_handlers_is_listed() -> None:
    def warnings(name: str) -> str:
        found = generate(load_document(SPECS / name), skip_unsupported=name in NEEDS_SKIPPING)
        return "\n".join(str(w) for w in found.warnings)

    assert "#/paths/~1streams/post/callbacks" in warnings("oai-callback-example.yaml")
    assert "WARNING at #/webhooks" in warnings("oai-webhook-example.yaml")
    assert "links" in warnings("oai-link-example.yaml")
    secured = warnings("oai-non-oauth-scopes.yaml")
    assert "['bearerAuth'] are not enforced" in secured
    assert "['api_key', 'petstore_auth']" in warnings("swagger-petstore3.yaml")


def test_generated_code_is_ruff_clean_and_mypy_strict(
    servers: dict[str, Path], mypy_strict: tuple[str, ...]
) -> None:
    directories = [str(d) for d in servers.values()]
    for args in (["format", "--check"], ["check", "--select", "E,F,W,I,B,UP,SIM,RUF"]):
        ruff = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                *args,
                *RUFF,
                "--exclude",
                "pyproject.toml",
                *directories,
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=next(iter(servers.values())).parent,  # as a user's project: dosirak third-party
        )
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    # Each directory is a package (server/, handlers.py); clients are checked elsewhere.
    mypy = subprocess.run(
        [*mypy_strict, "--exclude", "/client/", *directories],
        capture_output=True,
        text=True,
        check=False,
        cwd=next(iter(servers.values())).parent,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def _value(annotation: str) -> str:
    """A wire value that fits a parameter's type."""
    literal = re.search(r"_t\.Literal\[([^,\]]+)", annotation)
    if literal:
        return literal.group(1).strip("'\"")
    if "_uuid." in annotation:
        return str(uuid.uuid4())
    if "_dt.datetime" in annotation:
        return "2024-01-02T03:04:05Z"
    if "int" in annotation or "float" in annotation:
        return "1"
    if "bool" in annotation:
        return "true"
    return "a"


def _request(client: httpx.Client, op: Operation, broken: Parameter | None = None) -> httpx.Request:
    """A request for ``op`` with its parameters filled in; ``broken`` gets a non-number.
    It goes below the operation's base path (its first server's path)."""
    path = op.base_path + op.path
    query: dict[str, str] = {}
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    for p in op.parameters:
        if not p.required and p is not broken:
            continue
        value = "not-a-number" if p is broken else _value(p.value_type)
        if p.location == "path":
            path = path.replace("{" + p.name + "}", value)
        elif p.location == "query":
            query[p.name] = value
        elif p.location == "header":
            headers[p.name] = value
        else:
            cookies[p.name] = value
    request = client.build_request(op.method, path, params=query, headers=headers)
    if cookies:
        request.headers["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return request


@pytest.fixture(scope="module")
def served(
    servers: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Served]]:
    running: dict[str, Served] = {}
    workdir = tmp_path_factory.mktemp("spec-serve")
    try:
        for name, directory in servers.items():
            running[name] = start_server(str(directory), workdir)
        yield running
    finally:
        for server in running.values():
            stop_server(server)


@pytest.mark.parametrize("name", VALID)
def test_every_document_serves_its_stubs(name: str, served: dict[str, Served]) -> None:
    server = served[name]
    generated = generate(load_document(SPECS / name), skip_unsupported=name in NEEDS_SKIPPING)
    assert generated.service is not None
    operations = generated.service.operations
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        published = client.get("/openapi.json")
        assert published.content == generated.files["openapi.json"]
        callable_ops = [op for op in operations if op.request is None or not op.request_required]
        if operations:
            assert callable_ops, "every operation needs a body: send one"
        for op in callable_ops:
            response = client.send(_request(client, op))
            assert response.status_code == 501, (op.method, op.path, response.text)
            assert response.json()["title"] == "Not Implemented"
            assert response.headers["content-type"] == "application/problem+json"
        numbers = [
            (op, p)
            for op in callable_ops
            for p in op.parameters
            if re.fullmatch(r"(_t\.Annotated\[)?int\b.*", p.value_type)
        ]
        for op, parameter in numbers[:3]:
            response = client.send(_request(client, op, broken=parameter))
            assert response.status_code == 422, response.text
            locs = [e["loc"] for e in response.json()["errors"]]
            assert [parameter.location, parameter.name] in locs


def test_documents_with_typed_parameters_were_probed_for_422() -> None:
    # The 422 probe above must not pass vacuously everywhere.
    probed = []
    for name in VALID:
        generated = generate(load_document(SPECS / name), skip_unsupported=name in NEEDS_SKIPPING)
        assert generated.service is not None
        if any(
            re.fullmatch(r"(_t\.Annotated\[)?int\b.*", p.value_type)
            for op in generated.service.operations
            for p in op.parameters
        ):
            probed.append(name)
    assert {"oai-petstore.yaml", "oai-petstore-expanded.yaml", "swagger-petstore3.yaml"} <= set(
        probed
    )


@pytest.mark.parametrize("name", INVALID)
def test_an_invalid_document_exits_2_naming_the_finding(name: str, tmp_path: Path) -> None:
    result = dosirak("gen", str(SPECS / name), "-o", "out", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "openapi-spec-validator" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr) < 2000, "the finding, not the whole document"
    assert not (tmp_path / "out").exists()


def test_each_document_is_served_below_its_first_servers_path() -> None:
    expected = {
        "swagger-petstore3.yaml": "/api/v3",  # https://petstore3.swagger.io/api/v3
        "oai-petstore-expanded.yaml": "/v2",
        "oai-petstore.yaml": "/v1",
        "haystack-rest-api.json": "",  # http://localhost:8000
        "kserve-v2-rest.yaml": "",  # servers: []
    }
    for name, base in expected.items():
        generated = generate(load_document(SPECS / name), skip_unsupported=name in NEEDS_SKIPPING)
        assert generated.service is not None
        assert {op.base_path for op in generated.service.operations} == {base}, name
