"""The app's exact-path dispatch agrees with Starlette's routing, in-process."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from starlette.middleware.cors import CORSMiddleware
from starlette.testclient import TestClient

import dosirak
from dosirak.io import NumpyNdarray


@pytest.fixture
def service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dosirak.Service:
    monkeypatch.setenv("DOSIRAK_HOME", str(tmp_path / "home"))
    svc = dosirak.Service("dispatch")

    @svc.api(input=NumpyNdarray(dtype="float64"), output=NumpyNdarray(dtype="float64"))
    def double(x: np.ndarray) -> np.ndarray:
        return x * 2

    return svc


def test_fixed_paths_answer_their_method_and_refuse_others_with_allow(
    service: dosirak.Service,
) -> None:
    with TestClient(service.asgi_app) as client:
        assert client.post("/double", json=[1.0, 2.0]).json() == [2.0, 4.0]
        refused = client.get("/double")
        assert refused.status_code == 405
        assert refused.headers["allow"] == "POST"
        assert refused.headers["content-type"] == "application/problem+json"
        assert client.post("/double/", follow_redirects=False).status_code == 307  # as Starlette
        assert client.post("/nowhere").status_code == 404


def test_a_root_path_goes_through_the_router(service: dosirak.Service) -> None:
    with TestClient(service.asgi_app, root_path="/api") as client:
        assert client.post("/api/double", json=[1.0]).json() == [2.0]


def test_added_middleware_sees_the_generated_routes(service: dosirak.Service) -> None:
    app = service.asgi_app
    app.add_middleware(CORSMiddleware, allow_origins=["*"])
    with TestClient(app) as client:
        response = client.post("/double", json=[1.0], headers={"origin": "https://example.org"})
        assert response.json() == [2.0]
        assert response.headers["access-control-allow-origin"] == "*"
