"""Unit: service and runner definitions, and how API functions are called."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient

import dosirak
from dosirak import ServiceDefinitionError
from dosirak.io import Json, NumpyNdarray, Text


def _svc() -> dosirak.Service:
    return dosirak.Service("demo")


def test_function_name_is_the_route_and_route_overrides() -> None:
    svc = _svc()

    @svc.api(input=Text(), output=Text())
    def shout(text: str) -> str:
        return text.upper()

    @svc.api(input=Text(), output=Text(), route="/v2/models/my_model/versions/v0/infer")
    def predict(text: str) -> str:
        return text

    @svc.api(input=Text(), output=Text(), name="renamed", route="custom")
    def whatever(text: str) -> str:
        return text

    assert svc.apis["shout"].route == "/shout"
    assert svc.apis["predict"].route == "/v2/models/my_model/versions/v0/infer"
    assert svc.apis["renamed"].route == "/custom"
    assert svc.apis["shout"].is_async is False


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("/docs", "reserved"),
        ("/openapi.json", "reserved"),
        ("/livez", "reserved"),
        ("/docs/extra", "reserved"),
        ("/items/{id}", "may hold only"),
        ("/trailing/", "may hold only"),
        ("/a//b", "may hold only"),
    ],
)
def test_bad_routes_fail_naming_the_api(route: str, message: str) -> None:
    svc = _svc()
    with pytest.raises(ServiceDefinitionError, match=message) as info:

        @svc.api(input=Text(), output=Text(), route=route)
        def api(text: str) -> str:
            return text

    assert "API 'api'" in str(info.value)


def test_duplicate_names_and_routes() -> None:
    svc = _svc()

    @svc.api(input=Text(), output=Text())
    def one(text: str) -> str:
        return text

    with pytest.raises(ServiceDefinitionError, match="already defined"):

        @svc.api(input=Text(), output=Text(), name="one", route="/other")
        def two(text: str) -> str:
            return text

    with pytest.raises(ServiceDefinitionError, match="already taken by API 'one'"):

        @svc.api(input=Text(), output=Text(), route="/one")
        def three(text: str) -> str:
            return text


def test_signature_must_fit_the_descriptors() -> None:
    svc = _svc()
    with pytest.raises(ServiceDefinitionError, match="takes no parameter"):

        @svc.api(input=Text(), output=Text())
        def none() -> str:
            return ""

    with pytest.raises(ServiceDefinitionError, match=r"requires 2 inputs \(a, b\)"):

        @svc.api(input=Text(), output=Text())
        def two(a: str, b: str) -> str:
            return a + b

    with pytest.raises(ServiceDefinitionError, match="must be an IO descriptor"):
        svc.api(input="text", output=Text(), name="bad")(lambda t: t)  # type: ignore[arg-type]


def test_context_parameter_is_recognised() -> None:
    svc = _svc()

    @svc.api(input=Text(), output=Text())
    def by_annotation(text: str, c: dosirak.Context) -> str:
        return text

    @svc.api(input=Text(), output=Text())
    def by_name(text, ctx):  # type: ignore[no-untyped-def]
        return text

    assert svc.apis["by_annotation"].context_param == "c"
    assert svc.apis["by_name"].context_param == "ctx"


@pytest.mark.parametrize("name", ["Iris", "has space", "", "-x"])
def test_service_names(name: str) -> None:
    with pytest.raises(ServiceDefinitionError, match="service name"):
        dosirak.Service(name)


class Doubler(dosirak.Runnable):
    def __init__(self, factor: int = 2) -> None:
        self.factor = factor
        self.threads: list[str] = []

    @dosirak.Runnable.method(batchable=True, batch_dim=0)
    def double(self, x: np.ndarray) -> np.ndarray:
        self.threads.append(threading.current_thread().name)
        return x * self.factor

    @dosirak.Runnable.method
    async def negate(self, x: np.ndarray) -> np.ndarray:
        return -x


def test_runner_methods_run_and_async_run() -> None:
    runner = dosirak.Runner(Doubler, init_params={"factor": 3})
    assert runner.name == "doubler"
    assert runner.double.config == dosirak.RunnableMethodConfig(batchable=True, batch_dim=0)
    assert runner.negate.config.batchable is False
    np.testing.assert_array_equal(runner.double.run(np.arange(3)), [0, 3, 6])
    np.testing.assert_array_equal(runner.negate.run(np.arange(3)), [0, -1, -2])
    assert asyncio.run(runner.double.async_run(np.ones(2))).tolist() == [3.0, 3.0]
    assert asyncio.run(runner.negate.async_run(np.ones(2))).tolist() == [-1.0, -1.0]
    with pytest.raises(AttributeError, match="several methods"):
        runner.run(1)
    with pytest.raises(AttributeError, match="has no method 'nope'"):
        runner.nope  # noqa: B018


def test_runner_definition_errors() -> None:
    class NoMethods(dosirak.Runnable):
        pass

    with pytest.raises(TypeError, match="no method marked"):
        dosirak.Runner(NoMethods)
    with pytest.raises(TypeError, match=r"not a dosirak\.Runnable"):
        dosirak.Runner(object)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lowercase"):
        dosirak.Runner(Doubler, name="Bad Name")
    runner = dosirak.Runner(Doubler)
    with pytest.raises(ServiceDefinitionError, match="two runners are named 'doubler'"):
        dosirak.Service("x", runners=[runner, dosirak.Runner(Doubler)])


def test_sync_apis_run_in_threads_and_async_on_the_loop() -> None:
    runner = dosirak.Runner(Doubler, name="threads")
    svc = dosirak.Service("threads", runners=[runner])
    seen: dict[str, Any] = {}

    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def sync_api(x: np.ndarray) -> np.ndarray:
        seen["sync"] = threading.current_thread()
        return np.asarray(runner.double.run(x))

    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    async def async_api(x: np.ndarray) -> np.ndarray:
        seen["async"] = threading.current_thread()
        seen["loop"] = asyncio.get_running_loop()
        return np.asarray(await runner.double.async_run(x))

    with TestClient(svc.asgi_app) as client:
        assert client.post("/sync_api", json=[1, 2]).json() == [2, 4]
        assert client.post("/async_api", json=[1, 2]).json() == [2, 4]
    assert seen["sync"] is not seen["async"]
    assert seen["loop"] is not None


def test_context_sets_status_headers_and_cookies() -> None:
    svc = _svc()

    @svc.api(input=Json(), output=Json(), statuses=(200, 201))
    def created(body: Any, ctx: dosirak.Context) -> Any:
        ctx.response.status_code = 201
        ctx.response.headers["x-request-id"] = ctx.request.headers.get("x-id", "")
        ctx.response.set_cookie("session", "abc", httponly=True)
        return {"query": ctx.request.query_params.get("q"), "body": body}

    with TestClient(svc.asgi_app) as client:
        response = client.post("/created?q=7", json={"a": 1}, headers={"x-id": "42"})
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "42"
    assert "session=abc" in response.headers["set-cookie"]
    assert "HttpOnly" in response.headers["set-cookie"]
    assert response.json() == {"query": "7", "body": {"a": 1}}


def test_runners_start_before_ready() -> None:
    runner = dosirak.Runner(Doubler, name="lifecycle")
    svc = dosirak.Service("lifecycle", runners=[runner])

    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def api(x: np.ndarray) -> np.ndarray:
        return np.asarray(runner.double.run(x))

    with TestClient(svc.asgi_app) as client:
        assert runner._placement._instance is not None  # type: ignore[attr-defined]
        assert client.get("/readyz").status_code == 200
    assert runner._placement._instance is None  # type: ignore[attr-defined]
