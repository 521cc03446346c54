"""App assembly: generated routes + the server's own routes + runner lifecycle."""

from __future__ import annotations

import contextlib
import gc
import hashlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from . import _collector
from ._deadline import DEFAULT_REQUEST_TIMEOUT_S
from ._docs import docs_routes
from ._generated import GeneratedServer, StaleGeneratedCodeError, load_generated
from ._metrics import exposition, request_done
from .codecs import Limits
from .endpoint import TIMEOUT_KEY, GuardedEndpoint, problem_response
from .errors import (
    MethodNotAllowed,
    NotFound,
    ProblemError,
    ServiceUnavailable,
    http_problem,
)

if TYPE_CHECKING:
    from dosirak import Runner, Service

__all__ = ["app_for_service", "build_app"]


def build_app(
    generated: GeneratedServer,
    operations: Any,
    *,
    runners: Sequence[Runner] = (),
    limits: Limits | None = None,
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
    runner_target: str | None = None,
    production: bool = False,
    ray: bool = False,
) -> Starlette:
    """A Starlette app serving ``generated`` with ``operations`` behind it.

    Each request has ``request_timeout_s`` to be answered: a runner's queue answers 504
    for a request whose deadline passes. ``/metrics`` serves Prometheus metrics. Runners
    with ``workers=`` (all of them with ``production``) run in worker processes, those with
    ``placement="ray"`` (all of them with ``ray``) in Ray actors; both import the service
    by ``runner_target`` (``service.py:svc``).
    """
    state = {"ready": False}
    document_bytes = generated.document_bytes
    title = str(generated.document.get("info", {}).get("title", "dosirak"))

    async def openapi(_: Request) -> Response:
        return Response(document_bytes, media_type="application/json")

    async def livez(_: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def metrics(_: Request) -> Response:
        body, media_type = exposition()
        return Response(body, media_type=media_type)

    async def readyz(request: Request) -> Response:
        if not state["ready"]:
            problem = ServiceUnavailable(
                "the runners are still starting", headers={"Retry-After": "1"}
            )
            return problem_response(problem, request.url.path)
        down = [runner.name for runner in runners if not runner.ready]
        if down:
            problem = ServiceUnavailable(
                f"runners {down} have no live worker (restarting)", headers={"Retry-After": "1"}
            )
            return problem_response(problem, request.url.path)
        return JSONResponse({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[dict[str, float]]:
        try:
            for runner in runners:
                await runner._start_serving(target=runner_target, production=production, ray=ray)
        except BaseException:
            _collector.resume()
            for runner in runners:
                runner._placement.stop()
            raise
        state["ready"] = True
        # What start-up made lives as long as the server: keep it out of the collector's
        # full passes, which would otherwise walk it again and again under load.
        _collector.ready()
        try:
            yield {TIMEOUT_KEY: request_timeout_s}  # each request's scope["state"] has it
        finally:
            state["ready"] = False
            # uvicorn has stopped accepting and waited for in-flight requests; what is
            # still queued or running in a batch finishes before the runners stop.
            try:
                for runner in runners:
                    await runner._stop_serving()
            finally:
                gc.unfreeze()  # an app stopped within a longer-lived process (tests)

    routes: list[BaseRoute] = list(
        generated.routes.build_routes(operations, limits=limits or Limits())
    )
    routes += [
        Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False),
        Route("/livez", livez, methods=["GET"], include_in_schema=False),
        Route("/readyz", readyz, methods=["GET"], include_in_schema=False),
        Route("/metrics", metrics, methods=["GET"], include_in_schema=False),
        *docs_routes(openapi_url="/openapi.json", title=title),
    ]
    return _ServingApp(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_problem},
    )


class _ServingApp(Starlette):
    """Starlette, calling the generated route of a fixed path after one dict lookup.

    Such routes are `GuardedEndpoint`s: they answer every failure themselves, so the
    middleware stack and the router's linear match only cost time on them. Anything else
    (templated paths, other methods, a root path, the server's own routes, every request
    once middleware was added) goes through Starlette as usual.
    """

    def __init__(self, *, routes: Sequence[BaseRoute], **options: Any) -> None:
        super().__init__(routes=routes, **options)
        # The first route for each path and method, as the router would match them (a
        # GET route also answers HEAD unless a HEAD route comes first).
        self._fixed_paths: dict[tuple[str, str], Route] = {}
        for route in routes:
            if (
                isinstance(route, Route)
                and isinstance(route.app, GuardedEndpoint)
                and not route.param_convertors
            ):
                for method in route.methods or ():
                    self._fixed_paths.setdefault((route.path, method), route)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Middleware a user added (``app.add_middleware``) must see every request.
        if scope["type"] == "http" and not scope.get("root_path") and not self.user_middleware:
            route = self._fixed_paths.get((scope["path"], scope["method"]))
            if route is not None:
                scope["app"] = self
                scope["route"] = route
                await route.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


async def _http_problem(request: Request, exc: HTTPException) -> Response:
    response = _http_problem_response(request, exc)
    request_done("<unmatched>", request.method, response.status_code, 0.0)
    return response


def _http_problem_response(request: Request, exc: HTTPException) -> Response:
    problem: ProblemError
    if exc.status_code == 404:
        problem = NotFound(f"no route {request.url.path}; see /docs for the API")
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        problem = MethodNotAllowed(
            f"{request.method} is not allowed on {request.url.path}; use {allowed}",
            headers={"Allow": allowed},
        )
    else:
        problem = http_problem(exc.status_code, str(exc.detail))
    return problem_response(problem, request.url.path)


def app_for_service(
    service: Service, *, generated_dir: str | Path | None = None, **options: Any
) -> Starlette:
    """Assemble the app of ``service``.

    The server code comes from ``generated_dir`` when given (it must have been generated
    from the service's current document), else from the cache, generating it once.
    """
    from dosirak.codegen import build_document, document_bytes

    from ._binding import bind_service
    from ._cache import generate_cached
    from ._twins import answer_twins, twin_models
    from .codecs.json import adopt_twins

    directory = generate_cached(service) if generated_dir is None else Path(generated_dir)
    generated = load_generated(directory)
    if generated_dir is not None:
        built = build_document(service, validate=False)  # only compared
        expected = hashlib.sha256(document_bytes(built)).hexdigest()
        if generated.sha256 != expected:
            raise StaleGeneratedCodeError(
                f"{directory} was generated from another version of service "
                f"{service.name!r}; regenerate it with `dosirak gen`"
            )
    operations = bind_service(service, generated.routes.OPERATION_NAMES)
    adopt_twins(twin_models(service, generated), answer_twins(service, generated))
    return build_app(generated, operations, runners=service.runners, **options)
