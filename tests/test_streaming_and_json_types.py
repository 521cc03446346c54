"""Black-box: streaming text as server-sent events, and Json with list/union/map types."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from .conftest import SAMPLES, Served

HERE = Path(__file__).parent
STREAMING = f"{SAMPLES / 'streaming' / 'service.py'}:svc"
STREAM_ERRORS = f"{HERE / 'services' / 'stream_errors' / 'service.py'}:svc"
JSON_TYPES = f"{HERE / 'services' / 'json_types' / 'service.py'}:svc"
TEXT = {"content-type": "text/plain"}


def events(body: str) -> list[tuple[str, str]]:
    """(event name, data) pairs of a server-sent event stream."""
    found = []
    for block in body.strip().split("\n\n"):
        if not block:
            continue
        name, data = "message", []
        for line in block.split("\n"):
            field, _, value = line.partition(": ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        found.append((name, "\n".join(data)))
    return found


@pytest.fixture
def streaming(serve_target: Callable[[str], Served]) -> Served:
    return serve_target(STREAMING)


@pytest.mark.parametrize("route", ["/stream", "/stream_async"])
def test_stream_arrives_as_events(streaming: Served, route: str) -> None:
    with httpx.stream(
        "POST", streaming.base_url + route, content="the lunchbox", headers=TEXT
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        chunks = list(response.iter_text())
    whole = httpx.post(streaming.base_url + "/complete", content="the lunchbox", headers=TEXT)
    words = [data for _, data in events("".join(chunks))]
    assert words == whole.text.split()
    assert len(words) > 1


def test_stream_is_declared_as_event_stream(streaming: Served) -> None:
    document = httpx.get(streaming.base_url + "/openapi.json").json()
    response = document["paths"]["/stream"]["post"]["responses"]["200"]
    assert list(response["content"]) == ["text/event-stream"]
    assert response["x-dosirak-io"] == {"type": "text", "stream": True}
    plain = document["paths"]["/complete"]["post"]["responses"]["200"]
    assert list(plain["content"]) == ["text/plain"]


@pytest.mark.parametrize("route", ["/stream", "/stream_async"])
def test_invalid_input_before_the_first_item_is_a_422(streaming: Served, route: str) -> None:
    response = httpx.post(streaming.base_url + route, content=" ", headers=TEXT)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "the prompt is empty; send at least one word"


def test_failures(serve_target: Callable[[str], Served]) -> None:
    served = serve_target(STREAM_ERRORS)
    post = lambda route: httpx.post(served.base_url + route, content="x", headers=TEXT)  # noqa: E731
    midway = post("/fails_midway")
    assert midway.status_code == 200
    (first, error) = events(midway.text)
    assert first == ("message", "first")
    assert error[0] == "error"
    problem: dict[str, Any] = orjson.loads(error[1])
    assert problem["status"] == 500
    assert problem["error_id"] in served.log()
    assert "the model broke after one word" not in midway.text
    assert "the model broke after one word" in served.log()

    at_once = post("/fails_at_once")
    assert at_once.status_code == 500
    assert at_once.json()["error_id"] in served.log()

    wrong_type = post("/yields_bytes")
    assert events(wrong_type.text)[0] == ("message", "fine")
    assert events(wrong_type.text)[1][0] == "error"

    empty = post("/empty")
    assert empty.status_code == 200
    assert events(empty.text) == []


@pytest.fixture
def json_types(serve_target: Callable[[str], Served]) -> Served:
    return serve_target(JSON_TYPES)


def test_list_of_models_in_and_model_out(json_types: Served) -> None:
    items = [{"name": "rice", "price": 2.5}, {"name": "kimchi", "price": 4}]
    response = httpx.post(json_types.base_url + "/checkout", json=items)
    assert response.status_code == 200, response.text
    assert response.json() == {"total": 6.5, "items": [items[0], {**items[1], "price": 4.0}]}


def test_list_validation_errors_locate_the_item(json_types: Served) -> None:
    response = httpx.post(
        json_types.base_url + "/checkout", json=[{"name": "rice", "price": 1}, {"name": "x"}]
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", 1, "price"]
    negative = httpx.post(json_types.base_url + "/checkout", json=[{"name": "x", "price": -1}])
    assert negative.json()["errors"][0]["loc"] == ["body", 0, "price"]


def test_unions_and_maps(json_types: Served) -> None:
    url = json_types.base_url
    assert httpx.post(url + "/classify", json={"name": "egg", "price": 1}).json() == {"egg": 1.0}
    refund = {"kind": "refund", "amount": 3}
    assert httpx.post(url + "/classify", json=refund).json() == {"refund": 3.0}
    assert httpx.post(url + "/classify", json={"kind": "other"}).status_code == 422
    response = httpx.post(url + "/items_of", json={"rice": 1.5})
    assert response.json() == [{"name": "rice", "price": 1.5}]
    assert httpx.post(url + "/items_of", json={"rice": "cheap"}).status_code == 422


def test_output_that_does_not_fit_is_a_500(json_types: Served) -> None:
    response = httpx.post(json_types.base_url + "/broken_output", json=[1])
    assert response.status_code == 500
    assert "negative" not in response.text
    assert response.json()["error_id"] in json_types.log()


def test_inline_json_schemas_are_in_the_document(json_types: Served) -> None:
    document = httpx.get(json_types.base_url + "/openapi.json").json()
    body = document["paths"]["/checkout"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Item"},
    }
    assert body["x-dosirak-io"] == {"type": "json", "model": None}
    union = document["paths"]["/classify"]["post"]["requestBody"]["content"]
    assert len(union["application/json"]["schema"]["anyOf"]) == 2
