"""Resources a request holds until its response is sent: spooled uploads, returned files.

A codec that opens something the API function may still use (an upload it reads, a file
it returns) cannot close it itself; it registers it here and the route's guard closes it
once the response has gone out, whatever the response was::

    upload = UploadedFile(max_size=limits.spool_bytes)
    close_after_response(request, upload)
"""

from __future__ import annotations

import logging
from typing import Protocol

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["close_after_response", "release_after"]

_KEY = "dosirak.close_after_response"
logger = logging.getLogger("dosirak.server")


class Closeable(Protocol):
    def close(self) -> object: ...


def close_after_response(request: Request, resource: Closeable) -> None:
    """Close ``resource`` once the response to ``request`` has been sent."""
    request.scope.setdefault(_KEY, []).append(resource)


def release_after(request: Request, response: Response) -> Response:
    """``response``, closing what the request registered after it is sent.

    Resources close in reverse order of registration, each even if another fails. If the
    client goes away mid-response Starlette skips background tasks; the files then close
    when the request is collected (spooled files close themselves when collected).
    """
    resources: list[Closeable] = request.scope.pop(_KEY, [])
    if not resources:
        return response
    earlier = response.background

    async def release() -> None:
        try:
            if earlier is not None:
                await earlier()
        finally:
            _close_all(resources)

    response.background = BackgroundTask(release)
    return response


def _close_all(resources: list[Closeable]) -> None:
    for resource in reversed(resources):
        try:
            resource.close()
        except Exception:  # the response is sent: log it, and close the rest
            logger.exception("could not close %r after the response", resource)
    resources.clear()
