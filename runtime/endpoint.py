"""Wraps each generated handler so that every failure becomes a declared problem response."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ._cleanup import release_after
from ._deadline import DEFAULT_REQUEST_TIMEOUT_S, request_deadline
from ._metrics import request_done
from .errors import PROBLEM_MEDIA_TYPE, InternalServerError, ProblemError

__all__ = ["TIMEOUT_KEY", "GuardedEndpoint", "guard", "internal_error", "problem_response"]

#: The app's lifespan state (``scope["state"]``) holds the request timeout (seconds) here.
TIMEOUT_KEY = "dosirak.timeout"
_NO_STATE: dict[str, float] = {}
# A response sent as Starlette's `Response` sends it: a start and one body message.
_PLAIN_CALL = Response.__call__

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


def guard(handler: Handler) -> GuardedEndpoint:
    """``handler`` as an ASGI endpoint answering `ProblemError` with its status and anything
    else with 500.

    It also sets the request's deadline (``scope["state"][TIMEOUT_KEY]`` seconds from now,
    which the app's lifespan puts there) for the runners, and counts the request in the
    metrics by its route template.

    What the request's codecs opened (spooled uploads, returned files) closes once the
    response, whichever it is, has been sent.
    """
    return GuardedEndpoint(handler)


class GuardedEndpoint:
    """The ASGI app `guard` makes of a handler.

    Being an ASGI app rather than a function, a Starlette `Route` calls it without its
    request/response wrapper, and the app's exact-path dispatch (``_app.py``) calls it
    directly: generated routes catch every exception themselves, so the wrapper's
    exception handling only cost time.
    """

    __slots__ = ("__name__", "__qualname__", "handler")

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.__name__ = getattr(handler, "__name__", "endpoint")
        self.__qualname__ = self.__name__

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request = Request(scope, receive, send)
        timeout = scope.get("state", _NO_STATE).get(TIMEOUT_KEY, DEFAULT_REQUEST_TIMEOUT_S)
        token = request_deadline.set(time.monotonic() + timeout)
        try:
            response = await self.handler(request)
        except ProblemError as problem:
            response = problem_response(problem, request.url.path)
        except Exception:
            where = f"{request.method} {request.url.path}"
            response = problem_response(internal_error(where), request.url.path)
        finally:
            request_deadline.reset(token)
        route = scope.get("route")
        template = route.path if route is not None else request.url.path
        # Time to the response's start (a stream's body is not waited for).
        request_done(template, scope["method"], response.status_code, time.perf_counter() - started)
        response = release_after(request, response)
        if response.background is None and type(response).__call__ is _PLAIN_CALL:
            # dosirak's HTTP protocol takes a whole response in one call (`_http.py`).
            send_whole = getattr(getattr(send, "__self__", None), "send_whole_response", None)
            if send_whole is not None and send_whole(
                response.status_code, response.raw_headers, response.body
            ):
                return
        await response(scope, receive, send)
