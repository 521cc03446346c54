"""Black-box: `Json` and `Text` APIs served by a real uvicorn, good and bad requests alike.

Every exchange is recorded; the last tests check that each status the server sent, and
the body it sent with it, is declared in the document the server publishes (invariant 3).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]
import pytest
from openapi_spec_validator import validate

from .conftest import ROOT, Served

TARGET = f"{ROOT / 'tests' / 'services' / 'json_text' / 'service.py'}:svc"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}
ERROR_ID = re.compile(r"^[0-9a-f]{32}$")
JSON = {"content-type": "application/json"}
TEXT = {"content-type": "text/plain"}

ORDER: dict[str, Any] = {
    "order_id": 7,
    "items": [
        {"sku": "A-1", "quantity": 2, "price": 1.5},
        {"sku": "B2", "price": 4.0},  # quantity defaults to 1
    ],
    "placed_at": "2024-05-01T12:30:00Z",
    "priority": "high",
    "species": "setosa",
    "tags": {"channel": "web"},
    "measurement": {"sepalLength": 5.1, "sepalWidth": 3.5},
}


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    status: int
    content_type: str
    body: bytes


#: Every response the tests received, for the invariant checks at the end.
EXCHANGES: list[Exchange] = []


@pytest.fixture(scope="module")
def served(serve_target: Callable[[str], Served]) -> Served:
    return serve_target(TARGET)


@pytest.fixture(scope="module")
def client(served: Served) -> Iterator[httpx.Client]:
    def record(response: httpx.Response) -> None:
        response.read()
        path = response.request.url.path
        EXCHANGES.append(
            Exchange(
                method=response.request.method.lower(),
                path=path,
                status=response.status_code,
                content_type=response.headers.get("content-type", ""),
                body=response.content,
            )
        )

    with httpx.Client(
        base_url=served.base_url, timeout=30, event_hooks={"response": [record]}
    ) as client:
        yield client


@pytest.fixture(scope="module")
def document(served: Served) -> dict[str, Any]:
    response = httpx.get(f"{served.base_url}/openapi.json", timeout=10)
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["instance"] == response.request.url.path
    assert body["type"].startswith("urn:dosirak:problem:")
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in response.text
    return body


def assert_still_serving(client: httpx.Client) -> None:
    response = client.post("/shout", content="still here", headers={"content-type": "text/plain"})
    assert response.status_code == 200
    assert response.text == "STILL HERE"
    response = client.post("/classify", json={"sepalLength": 5.0, "sepalWidth": 3.0})
    assert response.status_code == 200
    assert response.json() == {"species": "setosa", "confidence": 0.75}


def wait_for_log(served: Served, *needles: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        log = served.log()
        if all(n in log for n in needles) or time.monotonic() > deadline:
            return log
        time.sleep(0.05)


# ---------------------------------------------------------------- good requests


def test_sync_api_with_nested_models(client: httpx.Client) -> None:
    response = client.post("/summarize", json=ORDER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "order_id": 7,
        "total": 7.0,
        "item_count": 3,
        "priority": "high",
        "placed_at": "2024-05-01T12:30:00Z",
        "note": None,
    }


def test_defaults_and_optional_fields(client: httpx.Client) -> None:
    order = {
        "order_id": 0,
        "items": [{"sku": "X", "price": 0}],
        "placed_at": "2024-05-01T12:30:00+09:00",
        "note": "leave at the door",
        "tags": {},
    }
    response = client.post("/summarize", json=order)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "order_id": 0,
        "total": 0.0,
        "item_count": 1,
        "priority": "normal",
        "placed_at": "2024-05-01T12:30:00+09:00",
        "note": "leave at the door",
    }


def test_omitted_field_takes_the_services_default(client: httpx.Client) -> None:
    order = {
        "order_id": 1,
        "items": [{"sku": "X", "price": 1}],
        "placed_at": "2024-05-01T09:30:00Z",
    }
    response = client.post("/summarize", json=order)
    assert response.status_code == 200, response.text


def test_result_of_another_pydantic_class_that_fits(client: httpx.Client) -> None:
    response = client.post("/summarize_legacy", json=ORDER)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "order_id": 7,
        "total": 7.0,
        "item_count": 2,
        "priority": "high",
        "placed_at": "2024-05-01T12:30:00Z",
    }  # `note` is left out, as the result did: the schema allows that, not always null


def test_result_leaving_out_fields_with_defaults(served: Served, document: dict[str, Any]) -> None:
    # Not through the recording client: the invariant test below would report it too.
    response = httpx.post(f"{served.base_url}/receipt", json={}, timeout=10)
    assert response.status_code == 200, response.text
    exchange = Exchange("post", "/receipt", 200, response.headers["content-type"], response.content)
    assert _check_exchange(document, exchange) is None
    assert response.json().get("lines", []) == []


def test_unknown_fields_are_ignored(client: httpx.Client) -> None:
    response = client.post("/summarize", json={**ORDER, "coupon": "SPRING"})
    assert response.status_code == 200, response.text


def test_async_api_returning_a_dict_that_fits(client: httpx.Client) -> None:
    response = client.post("/classify", json={"sepalLength": 6.5, "sepalWidth": 3.0})
    assert response.status_code == 200, response.text
    assert response.json() == {"species": "virginica", "confidence": 0.75}


@pytest.mark.parametrize(
    "value",
    [
        {"a": [1, 2.5, None, True], "b": {"c": "d"}},
        [1, "two", {"three": 3}],
        "just a string",
        42,
        None,
        {"unicode": "도시락 ✓"},
    ],
)
def test_any_json_is_echoed(client: httpx.Client, value: Any) -> None:
    response = client.post("/echo_json", content=json.dumps(value), headers=JSON)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == value


def test_text_sync_and_async(client: httpx.Client) -> None:
    headers = {"content-type": "text/plain"}
    response = client.post("/shout", content="dosirak 도시락", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "DOSIRAK 도시락"
    response = client.post("/reverse", content="abc", headers=headers)
    assert response.status_code == 200
    assert response.text == "cba"
    response = client.post("/reverse", content="", headers=headers)
    assert response.status_code == 200
    assert response.text == ""


def test_text_in_a_named_charset(client: httpx.Client) -> None:
    response = client.post(
        "/shout",
        content="café".encode("latin-1"),
        headers={"content-type": "text/plain; charset=latin-1"},
    )
    assert response.status_code == 200, response.text
    assert response.text == "CAFÉ"


def test_context_reads_request_and_sets_response(client: httpx.Client) -> None:
    response = client.post(
        "/echo_context",
        params={"lang": "ko"},
        content="hello",
        headers={"content-type": "text/plain", "x-client": "pytest"},
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-echo-length"] == "5"
    assert response.cookies["session"] == "abc123"
    assert "httponly" in response.headers["set-cookie"].lower()
    assert response.json() == {"text": "hello", "user_agent": "pytest", "lang": "ko"}
    # Without the header and the parameter, the function sees neither.
    response = client.post("/echo_context", content="x", headers={"content-type": "text/plain"})
    assert response.status_code == 201
    assert response.json() == {"text": "x", "user_agent": None, "lang": None}


def test_concurrent_sync_and_async_requests(client: httpx.Client) -> None:
    def call(i: int) -> tuple[int, Any]:
        if i % 2:
            r = client.post("/reverse", content=str(i), headers={"content-type": "text/plain"})
            return r.status_code, r.text
        r = client.post("/summarize", json={**ORDER, "order_id": i})
        return r.status_code, r.json()["order_id"]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(call, range(32)))
    assert results == [(200, str(i)[::-1] if i % 2 else i) for i in range(32)]


# ---------------------------------------------------------------- bad requests


@pytest.mark.parametrize(
    ("path", "content", "headers", "status"),
    [
        ("/summarize", b'{"order_id": 1,', JSON, 400),
        ("/summarize", b"{'order_id': 1}", JSON, 400),
        ("/summarize", b"", JSON, 400),
        ("/summarize", b"\xff\xfe", JSON, 400),
        ("/classify", b"", JSON, 400),
        ("/echo_json", b"", JSON, 400),
        ("/echo_json", b"[1, 2", JSON, 400),
        ("/echo_json", b"NaN", JSON, 400),
        ("/shout", b"\xff\xfe\xfa", TEXT, 400),
        ("/shout", b"ok \xc3", TEXT, 400),
        ("/summarize", b"{}", TEXT, 415),
        ("/summarize", b"{}", {"content-type": "application/xml"}, 415),
        ("/summarize", b"{}", {}, 415),
        ("/echo_json", b"{}", {}, 415),
        ("/shout", b"hi", JSON, 415),
        ("/shout", b"hi", {}, 415),
        ("/shout", b"hi", {"content-type": "text/plain; charset=x-no-such-charset"}, 415),
        ("/summarize", b"{}", {**JSON, "accept": "text/plain"}, 406),
        ("/shout", b"hi", {**TEXT, "accept": "application/json"}, 406),
    ],
)
def test_bad_request_is_a_problem(
    client: httpx.Client, path: str, content: bytes, headers: dict[str, str], status: int
) -> None:
    response = client.post(path, content=content, headers=headers)
    assert_problem(response, status)
    assert "errors" not in response.json()
    assert_still_serving(client)


def _loc_types(body: dict[str, Any]) -> dict[tuple[str | int, ...], str]:
    return {tuple(e["loc"]): e["type"] for e in body["errors"]}


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            "/summarize",
            {**ORDER, "items": [ORDER["items"][0], {"sku": "B", "price": -1}]},
            {("body", "items", 1, "price"): "greater_than_equal"},
        ),
        (
            "/summarize",
            {**ORDER, "items": [{"sku": "lower case", "quantity": 0, "price": 1}]},
            {
                ("body", "items", 0, "sku"): "string_pattern_mismatch",
                ("body", "items", 0, "quantity"): "greater_than_equal",
            },
        ),
        ("/summarize", {**ORDER, "items": []}, {("body", "items"): "too_short"}),
        (
            "/summarize",
            {**ORDER, "items": [{"price": 1}]},
            {("body", "items", 0, "sku"): "missing"},
        ),
        ("/summarize", {**ORDER, "priority": "urgent"}, {("body", "priority"): "literal_error"}),
        ("/summarize", {**ORDER, "species": "rose"}, {("body", "species"): "literal_error"}),
        (
            "/summarize",
            {**ORDER, "placed_at": "yesterday"},
            {("body", "placed_at"): "datetime_parsing"},
        ),
        ("/summarize", {**ORDER, "order_id": -3}, {("body", "order_id"): "greater_than_equal"}),
        ("/summarize", {**ORDER, "tags": {"a": 1}}, {("body", "tags", "a"): "string_type"}),
        (
            "/summarize",
            {**ORDER, "measurement": {"sepalLength": 0, "sepalWidth": 3}},
            {("body", "measurement", "sepalLength"): "greater_than"},
        ),
        (
            "/summarize",
            {k: v for k, v in ORDER.items() if k not in ("order_id", "placed_at")},
            {("body", "order_id"): "missing", ("body", "placed_at"): "missing"},
        ),
        ("/summarize", [ORDER], {("body",): "model_type"}),
        ("/summarize", None, {("body",): "model_type"}),
        (
            "/classify",
            {"sepalLength": "long", "sepalWidth": 1},
            {("body", "sepalLength"): "float_type"},
        ),
        ("/classify", {"sepalWidth": 1}, {("body", "sepalLength"): "missing"}),
    ],
)
def test_body_that_does_not_fit_is_422(
    client: httpx.Client, path: str, value: Any, expected: dict[tuple[str | int, ...], str]
) -> None:
    response = client.post(path, content=json.dumps(value), headers=JSON)
    body = assert_problem(response, 422)
    assert body["type"] == "urn:dosirak:problem:validation-error"
    for error in body["errors"]:
        assert set(error) == {"loc", "msg", "type"}
        assert error["loc"][0] == "body"
        assert isinstance(error["msg"], str) and error["msg"]
    assert _loc_types(body) == expected
    assert_still_serving(client)


def test_null_for_an_optional_field_that_is_not_nullable_is_422(client: httpx.Client) -> None:
    response = client.post("/summarize", json={**ORDER, "tags": None})
    body = assert_problem(response, 422)
    assert [e["loc"] for e in body["errors"]] == [["body", "tags"]]


def test_python_field_name_is_not_the_wire_name(client: httpx.Client) -> None:
    response = client.post("/classify", json={"sepal_length": 5.0, "sepalWidth": 3.0})
    assert _loc_types(assert_problem(response, 422)) == {("body", "sepalLength"): "missing"}


def test_string_is_not_an_integer(client: httpx.Client) -> None:
    response = client.post("/summarize", json={**ORDER, "order_id": "7"})
    assert _loc_types(assert_problem(response, 422)) == {("body", "order_id"): "int_type"}


# ---------------------------------------------------------------- failures of the service


def test_exception_is_500_with_an_error_id(client: httpx.Client, served: Served) -> None:
    response = client.post("/explode", content="boom", headers=TEXT)
    body = assert_problem(response, 500)
    assert body["type"] == "urn:dosirak:problem:internal-error"
    error_id = body["error_id"]
    assert ERROR_ID.match(error_id)
    assert error_id in body["detail"]
    assert "SECRET-INTERNAL-DETAIL" not in response.text
    assert "ExplodingError" not in response.text
    log = wait_for_log(served, error_id, "SECRET-INTERNAL-DETAIL boom")
    entry = log[log.index(error_id) :]
    assert "Traceback (most recent call last)" in entry
    assert "ExplodingError: SECRET-INTERNAL-DETAIL boom" in entry
    assert_still_serving(client)


@pytest.mark.parametrize(
    ("path", "content", "headers", "logged"),
    [
        ("/bad_output", b'{"any": "thing"}', JSON, "does not fit OrderSummary"),
        ("/bad_text_output", b"four", TEXT, "not str"),
    ],
)
def test_result_that_does_not_fit_its_output_is_500(
    client: httpx.Client,
    served: Served,
    path: str,
    content: bytes,
    headers: dict[str, str],
    logged: str,
) -> None:
    response = client.post(path, content=content, headers=headers)
    body = assert_problem(response, 500)
    error_id = body["error_id"]
    assert ERROR_ID.match(error_id)
    assert "not a number" not in response.text  # nothing of the result leaks
    log = wait_for_log(served, error_id, logged)
    assert logged in log[log.index(error_id) :]
    assert_still_serving(client)


def test_unknown_route_and_method(client: httpx.Client) -> None:
    assert_problem(client.post("/no_such_api", json={}), 404)
    response = client.get("/summarize")
    assert_problem(response, 405)
    assert "POST" in response.headers["allow"]


# ---------------------------------------------------------------- the published document


def test_document_is_valid_openapi_31(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_models_are_components_with_refs(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert {"Order", "LineItem", "Measurement", "OrderSummary", "Classified", "Echo"} <= set(
        schemas
    )
    assert {"Problem", "ProblemItem"} <= set(schemas)
    paths = document["paths"]

    def media(path: str, part: str) -> dict[str, Any]:
        operation = paths[path]["post"]
        holder = operation["requestBody"] if part == "request" else operation["responses"]["200"]
        content: dict[str, Any] = holder["content"]
        return content

    assert media("/summarize", "request") == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Order"}}
    }
    assert media("/summarize", "response") == {
        "application/json": {"schema": {"$ref": "#/components/schemas/OrderSummary"}}
    }
    assert media("/classify", "request")["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Measurement"
    }
    assert media("/echo_json", "request")["application/json"]["schema"] == {}
    assert media("/shout", "request") == {"text/plain": {"schema": {"type": "string"}}}
    assert media("/shout", "response") == {"text/plain": {"schema": {"type": "string"}}}
    order = schemas["Order"]
    assert order["properties"]["items"]["items"] == {"$ref": "#/components/schemas/LineItem"}
    assert order["properties"]["items"]["minItems"] == 1
    assert set(order["required"]) == {"order_id", "items", "placed_at"}
    assert order["properties"]["placed_at"]["format"] == "date-time"
    assert order["properties"]["priority"]["enum"] == ["low", "normal", "high"]
    assert order["properties"]["priority"]["default"] == "normal"
    assert {"$ref": "#/components/schemas/Measurement"} in order["properties"]["measurement"][
        "anyOf"
    ]
    measurement = schemas["Measurement"]
    assert set(measurement["properties"]) == {"sepalLength", "sepalWidth"}
    assert measurement["properties"]["sepalLength"]["exclusiveMinimum"] == 0
    assert schemas["LineItem"]["properties"]["sku"]["pattern"] == "^[A-Z0-9-]+$"
    for path, item in paths.items():
        for status, response in item["post"]["responses"].items():
            if not status.startswith("2"):
                assert response["$ref"].startswith("#/components/responses/"), (path, status)
    for response in document["components"]["responses"].values():
        assert response["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }


def _declared(document: dict[str, Any], exchange: Exchange) -> dict[str, Any] | None:
    operation = document["paths"][exchange.path][exchange.method]
    status = exchange.status
    response: dict[str, Any] | None = operation["responses"].get(str(status))
    if response is None:
        response = operation["responses"].get(f"{str(status)[0]}XX")
    if response is None:
        response = operation["responses"].get("default")
    if response is not None and "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[-1]
        response = document["components"]["responses"][name]
    return response


def _check_exchange(document: dict[str, Any], exchange: Exchange) -> str | None:
    """What is wrong with ``exchange`` against the document, or None."""
    if exchange.method not in document["paths"].get(exchange.path, {}):
        return None  # 404/405: no operation of the document was asked for
    declared = _declared(document, exchange)
    if declared is None:
        return f"status {exchange.status} is not declared"
    media_type = exchange.content_type.partition(";")[0].strip()
    content = declared.get("content", {})
    if media_type not in content:
        return f"media type {media_type!r} is not declared for {exchange.status}: {sorted(content)}"
    if media_type.endswith("json"):
        schema = {**content[media_type]["schema"], "components": document["components"]}
        errors = list(
            jsonschema.Draft202012Validator(schema).iter_errors(json.loads(exchange.body))
        )
        if errors:
            return f"body does not fit the declared schema: {[e.message for e in errors]}"
    return None


def test_every_status_sent_is_declared(document: dict[str, Any]) -> None:
    """Invariant 3, over every response these tests received (this test runs late)."""
    checked = list(EXCHANGES)
    statuses = {e.status for e in checked}
    assert {200, 201, 400, 406, 415, 422, 500} <= statuses, "the tests above did not all run"
    wrong = {
        f"{e.path} {e.status}: {problem}"
        for e in checked
        if (problem := _check_exchange(document, e)) is not None
    }
    assert not wrong, "\n".join(sorted(wrong))


def test_status_set_through_the_context_is_declared(
    client: httpx.Client, document: dict[str, Any]
) -> None:
    response = client.post("/echo_context", content="hi", headers=TEXT)
    assert response.status_code == 201
    exchange = next(e for e in reversed(EXCHANGES) if e.path == "/echo_context")
    assert _check_exchange(document, exchange) is None
