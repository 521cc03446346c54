"""Wraps each generated handler so that every failure becomes a declared problem response."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ._cleanup import release_after
from .errors import PROBLEM_MEDIA_TYPE, InternalServerError, ProblemError

__all__ = ["guard", "internal_error", "problem_response"]

logger = logging.getLogger("dosirak.server")

Handler = Callable[[Request], Awaitable[Response]]


def problem_response(problem: ProblemError, instance: str) -> Response:
    return Response(
        orjson.dumps(problem.to_json(instance)),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers or None,
    )


def internal_error(where: str) -> InternalServerError:
    """Log the exception being handled under a fresh error id; return its 500 problem."""
    error_id = uuid.uuid4().hex
    logger.exception("error %s in %s", error_id, where)
    return InternalServerError(
        f"the server failed while handling the request; the log holds error {error_id}",
        error_id=error_id,
    )


def guard(handler: Handler) -> Handler:
    """The handler, answering `ProblemError` with its status and anything else with 500.

    What the request's codecs opened (spooled uploads, returned files) closes once the
    response, whichever it is, has been sent.
    """

    async def endpoint(request: Request) -> Response:
        try:
            response = await handler(request)
        except ProblemError as problem:
            response = problem_response(problem, request.url.path)
        except Exception:
            where = f"{request.method} {request.url.path}"
            response = problem_response(internal_error(where), request.url.path)
        return release_after(request, response)

    endpoint.__name__ = getattr(handler, "__name__", "endpoint")
    endpoint.__qualname__ = endpoint.__name__
    return endpoint
