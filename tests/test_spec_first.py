"""Spec-first, black-box: a hand-written document → `dosirak gen` → handlers.py filled in →
served; parameters and bodies of every kind validated as the document says.

In-process (Starlette's TestClient runs the app as uvicorn would) for the many requests;
one test serves the directory with `dosirak serve` on a real uvicorn.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import json
import shutil
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from dosirak.runtime import app_for_directory
from starlette.testclient import TestClient

from .conftest import start_server, stop_server
from .test_cli import dosirak

DOCUMENT: dict[str, Any] = yaml.safe_load(
    textwrap.dedent(
        """
        openapi: 3.0.3
        info: {title: zoo, version: "1.0"}
        paths:
          /animals:
            get:
              operationId: listAnimals
              summary: List the animals.
              parameters:
                - name: limit
                  in: query
                  schema: {type: integer, minimum: 1, maximum: 50, default: 10}
                - {name: tag, in: query, schema: {type: array, items: {type: string}}}
                - name: ids
                  in: query
                  style: form
                  explode: false
                  schema: {type: array, items: {type: integer}}
                - {name: kind, in: query, schema: {type: string, enum: [cat, dog]}}
                - name: X-Request-Id
                  in: header
                  required: true
                  schema: {type: string, format: uuid}
                - {name: session, in: cookie, schema: {type: string}}
                - {name: X-Trace, in: header, schema: {type: array, items: {type: integer}}}
              responses:
                "200":
                  description: The animals.
                  content:
                    application/json:
                      schema: {type: array, items: {$ref: "#/components/schemas/Animal"}}
            post:
              operationId: addAnimal
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: "#/components/schemas/Animal"}
              responses:
                "201":
                  description: Added.
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Animal"}
          /animals/mine:
            get:
              operationId: myAnimal
              responses:
                "200":
                  description: The caller's animal.
                  content: {text/plain: {schema: {type: string}}}
          /animals/{animalId}:
            parameters:
              - {name: animalId, in: path, required: true, schema: {type: integer, minimum: 1}}
            get:
              operationId: getAnimal
              responses:
                "200":
                  description: One animal.
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Animal"}
                "404": {description: No such animal.}
            delete:
              operationId: deleteAnimal
              responses:
                "204": {description: Deleted.}
            put:
              operationId: renameAnimal
              requestBody:
                required: true
                content: {text/plain: {schema: {type: string}}}
              responses:
                "200":
                  description: Renamed.
                  content:
                    application/json:
                      schema: {$ref: "#/components/schemas/Animal"}
          /animals/{animalId}/photo:
            put:
              operationId: uploadPhoto
              parameters:
                - {name: animalId, in: path, required: true, schema: {type: integer}}
              requestBody:
                content:
                  application/octet-stream:
                    schema: {type: string, format: binary}
              responses:
                "200":
                  description: The size received.
                  content: {application/json: {schema: {type: integer}}}
          /ticks:
            get:
              operationId: ticks
              parameters:
                - {name: count, in: query, required: true, schema: {type: integer, maximum: 5}}
              responses:
                "200":
                  description: One event per tick.
                  content: {text/event-stream: {schema: {type: string}}}
          /login:
            post:
              operationId: login
              requestBody:
                required: true
                content:
                  application/x-www-form-urlencoded:
                    schema:
                      type: object
                      required: [user]
                      properties:
                        user: {type: string, minLength: 1}
                        remember: {type: boolean}
                        scope: {type: array, items: {type: string}}
              responses:
                "200":
                  description: The session.
                  content: {text/plain: {schema: {type: string}}}
          /notes:
            post:
              operationId: addNote
              requestBody:
                required: true
                content:
                  multipart/form-data:
                    schema:
                      type: object
                      required: [title]
                      properties:
                        title: {type: string}
                        attachment: {type: string, format: binary}
              responses:
                "200":
                  description: What was received.
                  content: {application/json: {schema: {type: object}}}
        components:
          schemas:
            Animal:
              type: object
              required: [id, name]
              properties:
                id: {type: integer, format: int64}
                name: {type: string, maxLength: 20}
                kind: {type: string, enum: [cat, dog]}
        """
    )
)

HANDLERS = """
from __future__ import annotations

import typing as _t

from dosirak import Context as _Context
from dosirak.exceptions import InvalidInput

from .server import models as _models

ANIMALS: dict[int, _models.Animal] = {}


async def list_animals(
    *,
    x_request_id: _t.Any,
    limit: int,
    tag: list[str] | None,
    ids: list[int] | None,
    kind: str | None,
    session: str | None,
    x_trace: list[int] | None,
    context: _Context,
) -> list[_models.Animal]:
    return [
        _models.Animal(
            id=limit,
            name=",".join(tag or []) + "|" + ",".join(map(str, ids or [])),
            kind=kind,
        ),
        _models.Animal(id=sum(x_trace or []), name=f"{x_request_id.version}:{session}"),
    ]


async def add_animal(body: _models.Animal, *, context: _Context) -> _models.Animal:
    ANIMALS[body.id] = body
    context.response.status_code = 201
    return body


def my_animal(*, context: _Context) -> str:  # sync handlers run in a worker thread
    return "rice"


async def get_animal(*, animal_id: int, context: _Context) -> _models.Animal:
    if animal_id not in ANIMALS:
        raise InvalidInput(f"no animal {animal_id}", loc=("path", "animalId"))
    return ANIMALS[animal_id]


async def delete_animal(*, animal_id: int, context: _Context) -> None:
    ANIMALS.pop(animal_id, None)


async def rename_animal(body: str, *, animal_id: int) -> dict[str, _t.Any]:
    return {"id": animal_id, "name": body}


async def upload_photo(body: _t.IO[bytes] | None, *, animal_id: int) -> int:
    return -1 if body is None else len(body.read())


async def ticks(*, count: int) -> _t.AsyncIterator[str]:
    for tick in range(count):
        yield f"tick {tick}"


async def login(body: _models.LoginRequestBody) -> str:
    return f"{body.user}:{body.remember}:{','.join(body.scope or [])}"


async def add_note(body: dict[str, _t.Any]) -> dict[str, _t.Any]:
    attachment = body.get("attachment")
    return {"title": body["title"], "size": None if attachment is None else len(attachment.read())}
"""


def _write(directory: Path, document: dict[str, Any]) -> Path:
    path = directory / "zoo.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("zoo")
    result = dosirak("gen", str(_write(root, DOCUMENT)), "-o", "build", cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "build"


@pytest.fixture(scope="module")
def implemented(zoo: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zoo with its handlers written."""
    directory = tmp_path_factory.mktemp("zoo-implemented") / "build"
    for path in zoo.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            target = directory / path.relative_to(zoo)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    (directory / "handlers.py").write_text(HANDLERS)
    return directory


@pytest.fixture(scope="module")
def client(implemented: Path) -> Iterator[TestClient]:
    with TestClient(app_for_directory(implemented), raise_server_exceptions=False) as test:
        yield test


REQUEST_ID = {"X-Request-Id": str(uuid.uuid4())}


def _errors(response: Any) -> list[list[Any]]:  # TestClient has its own httpx
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["loc"] for e in response.json()["errors"]]


# --- what gen writes ------------------------------------------------------------------------


def test_gen_writes_typed_stubs_with_docstrings(zoo: Path) -> None:
    handlers = (zoo / "handlers.py").read_text()
    assert "async def list_animals(\n" in handlers
    assert '    """GET /animals: List the animals."""' in handlers
    assert "limit: int," in handlers  # constraints checked already: the plain type
    assert "tag: list[str] | None," in handlers
    assert (
        "async def add_animal(body: _models.Animal, *, context: _Context) -> _models.Animal:"
        in (handlers)
    )
    assert 'raise NotImplementedOperation("deleteAnimal")' in handlers
    assert (zoo / "__init__.py").is_file()
    assert not (zoo / "handlers_new.py").exists()


def test_stubs_answer_501_on_a_real_server(zoo: Path, tmp_path: Path) -> None:
    served = start_server(str(zoo), tmp_path)
    try:
        with httpx.Client(base_url=served.base_url) as http:
            response = http.get("/animals/7")
            assert response.status_code == 501
            assert response.json()["detail"].startswith("operation 'getAnimal' is not implemented")
            assert http.get("/animals/x").status_code == 422  # parameters first
            published = http.get("/openapi.json")
            assert published.content == (zoo / "openapi.json").read_bytes()
            assert http.get("/docs").status_code == 200
            assert http.get("/livez").status_code == 200
    finally:
        stop_server(served)


def test_the_published_document_declares_the_problems(zoo: Path) -> None:
    published = json.loads((zoo / "openapi.json").read_text())
    get = published["paths"]["/animals/{animalId}"]["get"]["responses"]
    assert get["404"] == {"description": "No such animal."}  # the document's own, kept
    assert get["422"] == {"$ref": "#/components/responses/ValidationError"}
    assert (
        published["components"]["schemas"]["Animal"] == DOCUMENT["components"]["schemas"]["Animal"]
    )
    assert "Problem" in published["components"]["schemas"]


# --- parameters -----------------------------------------------------------------------------


def test_query_header_and_cookie_parameters(client: TestClient) -> None:
    client.cookies.set("session", "s1")
    try:
        response = client.get("/animals?limit=5&tag=a&tag=b&ids=1,2,3&kind=cat", headers=REQUEST_ID)
    finally:
        client.cookies.clear()
    assert response.status_code == 200, response.text
    first, second = response.json()
    assert first == {"id": 5, "name": "a,b|1,2,3", "kind": "cat"}
    assert second["id"] == 0
    assert second["name"] == "4:s1"  # the header arrives as a UUID


def test_defaults_apply_and_absent_optional_parameters_are_none(client: TestClient) -> None:
    response = client.get("/animals", headers=REQUEST_ID)
    assert response.status_code == 200, response.text
    assert (response.json()[0]["id"], response.json()[0]["name"]) == (10, "|")
    assert response.json()[1]["name"].endswith(":None")


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ("limit=0", ["query", "limit"]),
        ("limit=51", ["query", "limit"]),
        ("limit=ten", ["query", "limit"]),
        ("ids=1,x", ["query", "ids", 1]),
        ("kind=cow", ["query", "kind"]),
    ],
)
def test_bad_query_parameters_are_422_naming_them(
    client: TestClient, query: str, loc: list[Any]
) -> None:
    assert loc in _errors(client.get(f"/animals?{query}", headers=REQUEST_ID))


def test_every_bad_parameter_is_reported_at_once(client: TestClient) -> None:
    response = client.get("/animals?limit=0", headers={"X-Request-Id": "not-a-uuid"})
    assert sorted(_errors(response)) == [["header", "X-Request-Id"], ["query", "limit"]]
    missing = client.get("/animals")
    assert _errors(missing) == [["header", "X-Request-Id"]]
    assert missing.json()["errors"][0]["type"] == "missing"


def test_path_parameters(client: TestClient) -> None:
    assert _errors(client.get("/animals/0")) == [["path", "animalId"]]
    assert _errors(client.get("/animals/abc")) == [["path", "animalId"]]
    # Concrete paths win over templated ones.
    assert client.get("/animals/mine").text == "rice"


def test_header_arrays(client: TestClient) -> None:
    response = client.get("/animals", headers={**REQUEST_ID, "X-Trace": "1, 2,3"})
    assert response.json()[1]["id"] == 6
    assert _errors(client.get("/animals", headers={**REQUEST_ID, "X-Trace": "1,x"})) == [
        ["header", "X-Trace", 1]
    ]


def test_the_generated_client_calls_the_server(implemented: Path, tmp_path: Path) -> None:
    served = start_server(str(implemented), tmp_path)
    (project,) = (implemented / "client").iterdir()
    sys.path.insert(0, str(project))
    try:
        zoo_client = importlib.import_module(project.name)
        with zoo_client.Client(served.base_url) as api:
            added = api.add_animal(zoo_client.models.Animal(id=8, name="bap"))
            assert added.name == "bap"
            found = api.list_animals(
                x_request_id=uuid.uuid4(), tag=["a"], ids=[1, 2], x_trace=[3, 4], limit=7
            )
            assert [a.id for a in found] == [7, 7]
            assert found[0].name == "a|1,2"
            assert api.get_animal(animal_id=8).name == "bap"
            assert api.my_animal() == "rice"
            login = zoo_client.models.LoginRequestBody(user="park", scope=["x", "y"])
            assert api.login(login) == "park:None:x,y"
            with pytest.raises(zoo_client.ApiError) as info:
                api.get_animal(animal_id=0)
            assert info.value.status == 422
            # requestBody.required is false: the body may be left out, and none is sent.
            assert api.upload_photo(animal_id=5) == -1
            assert api.upload_photo(io.BytesIO(b"1234"), animal_id=5) == 4

        async def upload_without_a_body() -> Any:
            async with zoo_client.AsyncClient(served.base_url) as api:
                return await api.upload_photo(animal_id=5)

        assert asyncio.run(upload_without_a_body()) == -1
    finally:
        sys.path.remove(str(project))
        for name in [n for n in sys.modules if n.split(".")[0] == project.name]:
            del sys.modules[name]
        stop_server(served)


def test_the_generated_client_types_an_optional_body_as_optional(
    zoo: Path, tmp_path: Path, mypy_strict: tuple[str, ...]
) -> None:
    (project,) = (zoo / "client").iterdir()
    package = shutil.copytree(project / project.name, tmp_path / project.name)
    code = (package / "client.py").read_text()
    assert "def upload_photo(\n        self,\n        body: _t.IO[bytes] | None = None,\n" in code
    assert "def add_animal(\n        self,\n        body: _models.Animal,\n" in code
    # A caller may leave the optional body out, not the required one; mypy says so.
    (tmp_path / "use.py").write_text(
        textwrap.dedent(
            f"""
            from {project.name} import Client

            def use(api: Client) -> None:
                api.upload_photo(animal_id=1)
                api.upload_photo(None, animal_id=1)
                api.add_animal()  # the one error
            """
        )
    )
    mypy = subprocess.run(
        [*mypy_strict, project.name, "use.py"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert mypy.stdout.splitlines()[:-1] == [
        'use.py:7: error: Missing positional argument "body" in call to "add_animal" of '
        '"Client"  [call-arg]'
    ], mypy.stdout + mypy.stderr
    ruff = ["--no-cache", "--isolated", "--line-length", "100", project.name]
    for args in (["format", "--check"], ["check", "--select", "E,F,W,I,B,UP,SIM,RUF"]):
        checked = subprocess.run(
            [sys.executable, "-m", "ruff", *args, *ruff],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr


# --- bodies and responses -------------------------------------------------------------------


def test_json_bodies_and_declared_statuses(client: TestClient) -> None:
    added = client.post("/animals", json={"id": 3, "name": "kimchi", "kind": "dog"})
    assert added.status_code == 201, added.text
    assert added.json() == {"id": 3, "name": "kimchi", "kind": "dog"}
    assert client.get("/animals/3").json()["name"] == "kimchi"
    assert _errors(client.post("/animals", json={"id": "3", "name": "x" * 21})) == [
        ["body", "id"],
        ["body", "name"],
    ]
    assert (
        client.post(
            "/animals", content=b"{", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )
    assert (
        client.post("/animals", content=b"x", headers={"content-type": "text/plain"}).status_code
        == 415
    )


def test_a_handler_refusal_is_its_problem(client: TestClient) -> None:
    assert _errors(client.get("/animals/999")) == [["path", "animalId"]]


def test_no_content_responses(client: TestClient) -> None:
    client.post("/animals", json={"id": 4, "name": "rice"})
    response = client.delete("/animals/4")
    assert response.status_code == 204
    assert response.content == b""
    assert "content-length" not in response.headers


def test_text_bodies(client: TestClient) -> None:
    response = client.put("/animals/5", content="bibim", headers={"content-type": "text/plain"})
    assert response.status_code == 200, response.text
    assert response.json() == {"id": 5, "name": "bibim"}


def test_octet_stream_bodies_optional_when_the_document_says(client: TestClient) -> None:
    sent = client.put(
        "/animals/5/photo",
        content=b"\x89PNG" * 10,
        headers={"content-type": "application/octet-stream"},
    )
    assert sent.json() == 40
    assert client.put("/animals/5/photo").json() == -1  # requestBody.required is false


def test_form_bodies(client: TestClient) -> None:
    form = {"content-type": "application/x-www-form-urlencoded"}
    ok = client.post("/login", content=b"user=kim&remember=true&scope=a&scope=b", headers=form)
    assert ok.status_code == 200, ok.text
    assert ok.text == "kim:True:a,b"
    assert client.post("/login", content=b"user=lee", headers=form).text == "lee:None:"
    bad = client.post("/login", content=b"user=&remember=maybe", headers=form)
    assert sorted(_errors(bad)) == [["body", "remember"], ["body", "user"]]
    assert _errors(client.post("/login", content=b"user=a&user=b", headers=form)) == [
        ["body", "user"]
    ]


def test_multipart_bodies(client: TestClient) -> None:
    response = client.post(
        "/notes",
        data={"title": "hello"},
        files={"attachment": ("a.bin", b"12345", "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"title": "hello", "size": 5}
    missing = client.post(
        "/notes", files={"attachment": ("a.bin", b"1", "application/octet-stream")}
    )
    assert missing.status_code == 422, missing.text


def test_event_streams_from_async_generators(client: TestClient) -> None:
    response = client.get("/ticks?count=2")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text == "data: tick 0\n\ndata: tick 1\n\n"
    assert _errors(client.get("/ticks?count=6")) == [["query", "count"]]


def test_a_result_that_does_not_fit_is_a_500_not_a_wrong_answer(client: TestClient) -> None:
    # rename_animal returns a dict; an id that makes it not an Animal is a server bug.
    response = client.put("/animals/6", content="x" * 30, headers={"content-type": "text/plain"})
    assert response.status_code == 500
    assert response.json()["error_id"]


# --- regenerating -----------------------------------------------------------------------------


def test_regenerating_keeps_handlers_and_stubs_new_operations(tmp_path: Path) -> None:
    first = dosirak("gen", str(_write(tmp_path, DOCUMENT)), "-o", "build", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    handlers = tmp_path / "build" / "handlers.py"
    handlers.write_text(handlers.read_text() + "\n\ndef helper(x: int) -> int:\n    return x\n")
    mine = handlers.read_bytes()

    changed = json.loads(json.dumps(DOCUMENT))
    del changed["paths"]["/notes"]
    changed["paths"]["/health"] = {
        "get": {"operationId": "health", "responses": {"204": {"description": "Alive."}}}
    }
    again = dosirak("gen", str(_write(tmp_path, changed)), "-o", "build", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert handlers.read_bytes() == mine
    assert "handlers.py lacks 1 operation(s) the document has: health" in again.stdout
    assert "no longer has: add_note" in again.stdout
    assert "helper" not in again.stdout
    new = (tmp_path / "build" / "handlers_new.py").read_text()
    assert "async def health(*, context: _Context) -> None:" in new
    assert "add_note" not in new

    # The new operation is served from handlers_new.py until it moves.
    with TestClient(app_for_directory(tmp_path / "build")) as test:
        assert test.get("/health").status_code == 501

    handlers.write_text(handlers.read_text() + "\n\nasync def health() -> None:\n    return None\n")
    third = dosirak("gen", str(_write(tmp_path, changed)), "-o", "build", cwd=tmp_path)
    assert third.returncode == 0, third.stderr
    assert not (tmp_path / "build" / "handlers_new.py").exists()


def test_serving_without_a_handler_names_it(tmp_path: Path) -> None:
    dosirak("gen", str(_write(tmp_path, DOCUMENT)), "-o", "build", cwd=tmp_path)
    handlers = tmp_path / "build" / "handlers.py"
    handlers.write_text(handlers.read_text().replace("async def add_note(", "async def add_notes("))
    result = dosirak("serve", "build", "--port", "9", cwd=tmp_path, timeout=60)
    assert result.returncode == 1
    assert "no function for add_note (addNote)" in result.stderr
    assert "Traceback" not in result.stderr


# --- gen --check ------------------------------------------------------------------------------


def test_gen_check(tmp_path: Path) -> None:
    document = str(_write(tmp_path, DOCUMENT))
    missing = dosirak("gen", document, "-o", "build", "--check", cwd=tmp_path)
    assert missing.returncode == 1
    assert "missing: openapi.json" in missing.stdout
    assert not (tmp_path / "build").exists()  # --check writes nothing

    assert dosirak("gen", document, "-o", "build", cwd=tmp_path).returncode == 0
    fresh = dosirak("gen", document, "-o", "build", "--check", cwd=tmp_path)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert "up to date" in fresh.stdout
    unreadable = dosirak("gen", "nowhere.yaml", "-o", "build", "--check", cwd=tmp_path)
    assert unreadable.returncode == 2, unreadable.stderr  # 1 would mean "stale"

    (tmp_path / "build" / "handlers.py").write_text("# mine\n")  # not generated: not checked
    (tmp_path / "build" / "server" / "routes.py").write_text("# edited\n")
    (tmp_path / "build" / "server" / "extra.py").write_text("")
    changed = json.loads(json.dumps(DOCUMENT))
    changed["info"]["version"] = "2.0"
    stale = dosirak("gen", str(_write(tmp_path, changed)), "-o", "build", "--check", cwd=tmp_path)
    assert stale.returncode == 1
    lines = stale.stdout.splitlines()
    assert "  differs: openapi.json" in lines
    assert "  differs: server/routes.py" in lines
    assert "  not generated: server/extra.py" in lines
    assert not any("handlers" in line for line in lines)
    assert (tmp_path / "build" / "server" / "routes.py").read_text() == "# edited\n"


def test_gen_check_for_code_first_services(tmp_path: Path) -> None:
    from .conftest import IRIS_TARGET

    assert dosirak("gen", IRIS_TARGET, "-o", "build", cwd=tmp_path).returncode == 0
    assert dosirak("gen", IRIS_TARGET, "-o", "build", "--check", cwd=tmp_path).returncode == 0
    (tmp_path / "build" / "openapi.json").write_text("{}")
    stale = dosirak("gen", IRIS_TARGET, "-o", "build", "--check", cwd=tmp_path)
    assert stale.returncode == 1
    assert "differs: openapi.json" in stale.stdout


# --- what is outside the supported subset -----------------------------------------------------


def test_unsupported_parameters_are_errors_naming_where(tmp_path: Path) -> None:
    document = json.loads(json.dumps(DOCUMENT))
    document["paths"]["/animals"]["get"]["parameters"].append(
        {"name": "filter", "in": "query", "style": "deepObject", "schema": {"type": "object"}}
    )
    result = dosirak("gen", str(_write(tmp_path, document)), "-o", "build", cwd=tmp_path)
    assert result.returncode == 1
    assert "ERROR at #/paths/~1animals/get/parameters/filter" in result.stderr
    assert "parameter style 'deepObject' is not supported yet" in result.stderr
    assert not (tmp_path / "build").exists()


def test_security_is_reported_as_left_to_handlers(tmp_path: Path) -> None:
    document = json.loads(json.dumps(DOCUMENT))
    document["components"]["securitySchemes"] = {
        "key": {"type": "apiKey", "in": "header", "name": "X-Key"}
    }
    document["security"] = [{"key": []}]
    result = dosirak("gen", str(_write(tmp_path, document)), "-o", "build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "WARNING at #/components/securitySchemes" in result.stderr
    assert "['key'] are not enforced" in result.stderr


# --- documents split over files ---------------------------------------------------------------


def test_refs_to_sibling_files(tmp_path: Path) -> None:
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "params.yaml").write_text(
        "components:\n  parameters:\n"
        "    Id: {name: id, in: path, required: true, schema: {type: integer}}\n"
    )
    (tmp_path / "common" / "pet.yaml").write_text(
        "type: object\nrequired: [name]\nproperties:\n  name: {type: string}\n"
        '  owner: {$ref: "schemas.yaml#/components/schemas/Owner"}\n'
    )
    (tmp_path / "common" / "schemas.yaml").write_text(
        "components:\n  schemas:\n    Owner:\n      type: object\n      properties:\n"
        '        best: {$ref: "#/components/schemas/Owner"}\n'
    )
    document = {
        "openapi": "3.1.0",
        "info": {"title": "split", "version": "1"},
        "paths": {
            "/pets/{id}": {
                "parameters": [{"$ref": "common/params.yaml#/components/parameters/Id"}],
                "get": {
                    "operationId": "getPet",
                    "responses": {
                        "200": {
                            "description": "A pet.",
                            "content": {
                                "application/json": {"schema": {"$ref": "common/pet.yaml"}}
                            },
                        }
                    },
                },
            }
        },
    }
    (tmp_path / "api.json").write_text(json.dumps(document))
    result = dosirak("gen", "api.json", "-o", "build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    published = json.loads((tmp_path / "build" / "openapi.json").read_text())
    assert set(published["components"]["schemas"]) >= {"pet", "Owner"}
    assert published["components"]["schemas"]["Owner"]["properties"]["best"] == {
        "$ref": "#/components/schemas/Owner"
    }
    with TestClient(app_for_directory(tmp_path / "build")) as test:
        assert _errors(test.get("/pets/x")) == [["path", "id"]]
        assert test.get("/pets/1").status_code == 501

    (tmp_path / "common" / "pet.yaml").unlink()
    broken = dosirak("gen", "api.json", "-o", "other", cwd=tmp_path)
    assert broken.returncode == 1
    assert "$ref 'common/pet.yaml'" in broken.stderr
    assert (
        "#/paths/~1pets~1{id}/get/responses/200/content/application~1json/schema" in broken.stderr
    )


def test_head_is_served_by_its_own_handler(tmp_path: Path) -> None:
    ok = {"200": {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "heads", "version": "1"},
        "paths": {
            "/thing": {
                "get": {"operationId": "getThing", "responses": ok},
                "head": {"operationId": "headThing", "responses": {"204": {"description": "OK"}}},
            }
        },
    }
    (tmp_path / "heads.json").write_text(json.dumps(document))
    assert dosirak("gen", "heads.json", "-o", "build", cwd=tmp_path).returncode == 0
    (tmp_path / "build" / "handlers.py").write_text(
        "def get_thing() -> str:\n    return 'body'\n\n\n"
        "def head_thing(*, context: object) -> None:\n    return None\n"
    )
    with TestClient(app_for_directory(tmp_path / "build")) as test:
        assert test.get("/thing").text == "body"
        head = test.head("/thing")
        assert head.status_code == 204
        assert test.post("/thing").status_code == 405


def test_path_items_behind_refs_are_served_and_published_complete(tmp_path: Path) -> None:
    integer = {"type": "integer"}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "items", "version": "1"},
        "paths": {
            "/a/{id}": {"$ref": "#/components/pathItems/Thing"},
            "/b/{id}": {"$ref": "#/components/pathItems/Thing"},
        },
        "components": {
            "pathItems": {
                "Thing": {
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": integer}
                    ],
                    "get": {
                        "responses": {
                            "200": {
                                "description": "The id, doubled.",
                                "content": {"application/json": {"schema": integer}},
                            }
                        }
                    },
                }
            }
        },
    }
    (tmp_path / "items.json").write_text(json.dumps(document))
    result = dosirak("gen", "items.json", "-o", "build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (tmp_path / "build" / "handlers.py").write_text(
        "def get_a_id(*, id: int) -> int:\n    return 2 * id\n\n\n"
        "def get_b_id(*, id: int) -> int:\n    return 3 * id\n"
    )
    with TestClient(app_for_directory(tmp_path / "build")) as test:
        assert test.get("/a/4").json() == 8
        assert test.get("/b/4").json() == 12
        assert _errors(test.get("/b/x")) == [["path", "id"]]
        published = test.get("/openapi.json").json()
    assert published["paths"] == document["paths"]
    responses = published["components"]["pathItems"]["Thing"]["get"]["responses"]
    assert responses["422"] == {"$ref": "#/components/responses/ValidationError"}
    assert {"400", "413", "415", "500", "503", "504"} <= set(responses)


@pytest.mark.parametrize(
    ("servers", "expected"),
    [
        (None, ""),
        ([], ""),
        ([{"url": "/"}], ""),
        ([{"url": "http://localhost:8000"}], ""),
        ([{"url": "https://petstore3.swagger.io/api/v3"}], "/api/v3"),
        ([{"url": "/v2/"}, {"url": "/other"}], "/v2"),  # the first one
        ([{"url": "v1"}], "/v1"),  # relative to where the document is served
        ([{"url": "/caf%C3%A9"}], "/café"),
        (
            [
                {
                    "url": "{scheme}://{host}/api/{version}",
                    "variables": {
                        "scheme": {"default": "https"},
                        "host": {"default": "example.com"},
                        "version": {"default": "v3", "enum": ["v2", "v3"]},
                    },
                }
            ],
            "/api/v3",
        ),
        ([{"url": "/api/{version}"}], None),  # a variable with no default
    ],
)
def test_the_base_path_is_the_first_servers_path(servers: Any, expected: str | None) -> None:
    from dosirak.codegen._servers import base_path

    assert base_path(servers) == expected


def test_operations_are_served_below_their_servers_path(tmp_path: Path) -> None:
    text = {"200": {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "based", "version": "1"},
        "servers": [{"url": "https://api.example.com/v2"}],
        "paths": {
            "/pets/{id}": {
                "get": {
                    "operationId": "getPet",
                    "responses": text,
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                }
            },
            "/health": {
                "servers": [{"url": "/"}],  # the path item's own: at the root
                "get": {"operationId": "health", "responses": text},
            },
            "/legacy": {
                "get": {
                    "operationId": "legacy",
                    "servers": [{"url": "/v1"}],  # the operation's own
                    "responses": text,
                }
            },
        },
    }
    (tmp_path / "based.json").write_text(json.dumps(document))
    assert dosirak("gen", "based.json", "-o", "build", cwd=tmp_path).returncode == 0
    (tmp_path / "build" / "handlers.py").write_text(
        "def get_pet(*, id: int) -> str:\n    return f'pet {id}'\n\n\n"
        "def health() -> str:\n    return 'ok'\n\n\n"
        "def legacy() -> str:\n    return 'old'\n"
    )
    with TestClient(app_for_directory(tmp_path / "build")) as test:
        assert test.get("/v2/pets/7").text == "pet 7"
        assert test.get("/health").text == "ok"
        assert test.get("/v1/legacy").text == "old"
        missing = test.get("/pets/7")  # not where the document says
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert test.get("/v2/legacy").status_code == 404
        # the published document keeps its servers as written
        assert test.get("/openapi.json").json()["servers"] == document["servers"]
        # the metrics count by the served route template
        metrics = test.get("/metrics").text
        assert 'route="/v2/pets/{id}"' in metrics
    # a client made from the published document calls each operation where it is served
    served = start_server(str(tmp_path / "build"), tmp_path)
    try:
        from dosirak import Client

        with Client.from_url(served.base_url) as client:
            assert client.get_pet(id=7) == "pet 7"
            assert client.health() == "ok"
            assert client.legacy() == "old"
    finally:
        stop_server(served)


def test_a_server_variable_without_default_leaves_the_operation_out(tmp_path: Path) -> None:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "vars", "version": "1"},
        "servers": [{"url": "/api/{version}"}],
        "paths": {"/x": {"get": {"operationId": "x", "responses": {"204": {"description": "-"}}}}},
    }
    (tmp_path / "vars.json").write_text(json.dumps(document))
    result = dosirak("gen", "vars.json", "-o", "build", cwd=tmp_path)
    assert result.returncode == 1
    assert "#/paths/~1x/get" in result.stdout + result.stderr
    assert "server's URL has a variable with no default" in result.stdout + result.stderr


def test_required_response_headers_are_checked_and_the_rest_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    limit = {"required": True, "schema": {"type": "integer"}}
    ok = {
        "description": "OK",
        "headers": {
            "X-Rate-Limit": {"$ref": "#/components/headers/RateLimit"},
            "X-Note": {"schema": {"type": "string"}},  # optional
            "Content-Type": {"required": True, "schema": {"type": "string"}},  # ignored
        },
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
    done = {"description": "Done", "headers": {"X-Done": {"required": True, "schema": {}}}}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "limits", "version": "1"},
        "paths": {
            "/limited": {"get": {"operationId": "limited", "responses": {"200": ok}}},
            "/forgetful": {"get": {"operationId": "forgetful", "responses": {"200": ok}}},
            "/finish": {"post": {"operationId": "finish", "responses": {"204": done}}},
        },
        "components": {"headers": {"RateLimit": limit}},
    }
    (tmp_path / "limits.json").write_text(json.dumps(document))
    result = dosirak("gen", "limits.json", "-o", "build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "#/paths/~1limited/get/responses/200/headers" in result.stderr
    assert "does not validate response header values" in result.stderr
    from dosirak.codegen import generate, load_document

    client = generate(load_document(tmp_path / "limits.json"), target="client")
    assert any("clients do not expose response headers" in str(w) for w in client.warnings)
    routes = tmp_path / "build" / "server" / "routes.py"
    assert '_LIMITED_REQUIRED_HEADERS = ((200, ("x-rate-limit",)),)' in routes.read_text()
    for args in (["format", "--check"], ["check"]):
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *args, "--no-cache", "--isolated", str(routes)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    (tmp_path / "build" / "handlers.py").write_text(
        "from dosirak import Context\n\n\n"
        "def limited(*, context: Context) -> str:\n"
        "    context.response.headers['X-Rate-Limit'] = '100'\n"
        "    return 'ok'\n\n\n"
        "def forgetful(*, context: Context) -> str:\n"
        "    return 'ok'\n\n\n"
        "def finish(*, context: Context) -> None:\n"
        "    if context.request.query_params.get('done'):\n"
        "        context.response.headers['X-Done'] = 'yes'\n"
    )
    app = app_for_directory(tmp_path / "build")
    with TestClient(app, raise_server_exceptions=False) as test:
        answered = test.get("/limited")
        assert (answered.status_code, answered.headers["x-rate-limit"]) == (200, "100")
        assert test.post("/finish?done=1").status_code == 204
        for path, method in (("/forgetful", "GET"), ("/finish", "POST")):
            with caplog.at_level("ERROR", logger="dosirak.server"):
                broken = test.request(method, path)
            assert broken.status_code == 500
            assert broken.headers["content-type"] == "application/problem+json"
        assert "requires response header(s) x-rate-limit with status 200" in caplog.text
        assert "requires response header(s) x-done with status 204" in caplog.text
