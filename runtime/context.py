"""Per-request context an API function can ask for.

An API function receives it when it declares a parameter annotated ``dosirak.Context``::

    @svc.api(input=Text(), output=Text())
    def greet(name: str, ctx: dosirak.Context) -> str:
        ctx.response.headers["x-greeted"] = name
        ctx.response.status_code = 201
        return f"hello {ctx.request.query_params.get('title', '')}{name}"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["Context", "Cookie", "ResponseContext"]


@dataclass
class Cookie:
    """A cookie to set on the response; fields as in `Response.set_cookie`."""

    key: str
    value: str = ""
    max_age: int | None = None
    expires: int | None = None
    path: str | None = "/"
    domain: str | None = None
    secure: bool = False
    httponly: bool = False
    samesite: Literal["lax", "strict", "none"] | None = "lax"


@dataclass
class ResponseContext:
    """What the function may set on its response: status, headers, cookies."""

    status_code: int | None = None
    headers: MutableHeaders = field(default_factory=MutableHeaders)
    cookies: list[Cookie] = field(default_factory=list)

    def set_cookie(self, key: str, value: str = "", **options: object) -> None:
        self.cookies.append(Cookie(key, value, **options))  # type: ignore[arg-type]


class Context:
    """The request as received (`request`) and the response being built (`response`)."""

    __slots__ = ("_response", "request")

    def __init__(self, request: Request) -> None:
        self.request = request
        self._response: ResponseContext | None = None

    @property
    def response(self) -> ResponseContext:
        if self._response is None:
            self._response = ResponseContext()
        return self._response

    @property
    def response_status(self) -> int | None:
        """The status the function set, if it set one."""
        return None if self._response is None else self._response.status_code

    def apply(self, response: Response) -> Response:
        """Copy what the function set onto the outgoing response."""
        if self._response is None:
            return response
        if self._response.status_code is not None:
            response.status_code = self._response.status_code
        for key, value in self._response.headers.items():
            response.headers.append(key, value)
        for cookie in self._response.cookies:
            response.set_cookie(
                cookie.key,
                cookie.value,
                max_age=cookie.max_age,
                expires=cookie.expires,
                path=cookie.path,
                domain=cookie.domain,
                secure=cookie.secure,
                httponly=cookie.httponly,
                samesite=cookie.samesite,
            )
        return response
