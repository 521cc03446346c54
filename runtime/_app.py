"""App assembly: generated routes + the server's own routes + runner lifecycle."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ._docs import docs_routes
from ._generated import GeneratedServer, StaleGeneratedCodeError, load_generated
from .codecs import Limits
from .endpoint import problem_response
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
) -> Starlette:
    """A Starlette app serving ``generated`` with ``operations`` behind it."""
    state = {"ready": False}
    document_bytes = generated.document_bytes
    title = str(generated.document.get("info", {}).get("title", "dosirak"))

    async def openapi(_: Request) -> Response:
        return Response(document_bytes, media_type="application/json")

    async def livez(_: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(request: Request) -> Response:
        if not state["ready"]:
            problem = ServiceUnavailable(
                "the runners are still starting", headers={"Retry-After": "1"}
            )
            return problem_response(problem, request.url.path)
        return JSONResponse({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        for runner in runners:
            await anyio.to_thread.run_sync(runner.init_local)
        state["ready"] = True
        try:
            yield
        finally:
            state["ready"] = False
            for runner in runners:
                runner.shutdown()

    routes: list[BaseRoute] = list(
        generated.routes.build_routes(operations, limits=limits or Limits())
    )
    routes += [
        Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False),
        Route("/livez", livez, methods=["GET"], include_in_schema=False),
        Route("/readyz", readyz, methods=["GET"], include_in_schema=False),
        *docs_routes(openapi_url="/openapi.json", title=title),
    ]
    return Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_problem},  # type: ignore[dict-item]
    )


async def _http_problem(request: Request, exc: HTTPException) -> Response:
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

    directory = generate_cached(service) if generated_dir is None else Path(generated_dir)
    generated = load_generated(directory)
    if generated_dir is not None:
        expected = hashlib.sha256(document_bytes(build_document(service))).hexdigest()
        if generated.sha256 != expected:
            raise StaleGeneratedCodeError(
                f"{directory} was generated from another version of service "
                f"{service.name!r}; regenerate it with `dosirak gen`"
            )
    operations = bind_service(service, generated.routes.OPERATION_NAMES)
    return build_app(generated, operations, runners=service.runners, **options)
