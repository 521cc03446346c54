"""Path, query, header and cookie parameters, validated with the document's types.

Generated code builds one `pydantic.TypeAdapter` per parameter at import and reads
every parameter of a request through one `Parameters`, which collects each finding
and answers them together (422, each ``loc`` naming the parameter)::

    found = _parameters.Parameters(request)
    values = {
        "limit": found.query("limit", _LIST_PETS_LIMIT, default=None),
        "pet_id": found.path("petId", "pet_id", _SHOW_PET_PET_ID),
    }
    found.check()
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from ..context import Context
from ..errors import ErrorItem, UnprocessableContent, validation_items
from ._framing import ResponseValidationError

__all__ = ["MISSING", "Parameters", "has_body", "no_content"]


class _Missing:
    """The default of a required parameter: absent is a 422."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Parameters:
    """Reads one request's parameters; `check` raises every finding at once."""

    __slots__ = ("_errors", "_request")

    def __init__(self, request: Request) -> None:
        self._request = request
        self._errors: list[ErrorItem] = []

    def path(self, name: str, key: str, adapter: TypeAdapter[Any], *, array: bool = False) -> Any:
        """Path parameter ``name``, matched by the route as ``key``; simple style."""
        raw: Any = self._request.path_params.get(key)
        if raw is not None and array:
            raw = raw.split(",")
        return self._validate("path", name, raw, adapter, MISSING)

    def query(
        self,
        name: str,
        adapter: TypeAdapter[Any],
        *,
        default: Any = MISSING,
        array: bool = False,
        explode: bool = True,
    ) -> Any:
        """Query parameter ``name``; arrays in form style (``?a=1&a=2``, or ``?a=1,2``)."""
        params = self._request.query_params
        raw: Any
        if array:
            values = params.getlist(name)
            if not explode:
                values = [item for value in values for item in value.split(",")]
            raw = values if name in params else None
        else:
            raw = params.get(name)
        return self._validate("query", name, raw, adapter, default)

    def header(
        self, name: str, adapter: TypeAdapter[Any], *, default: Any = MISSING, array: bool = False
    ) -> Any:
        """Header ``name`` (any case); arrays in simple style (``a,b``)."""
        raw: Any = self._request.headers.get(name)
        if raw is not None and array:
            raw = [item.strip() for item in raw.split(",")]
        return self._validate("header", name, raw, adapter, default)

    def cookie(self, name: str, adapter: TypeAdapter[Any], *, default: Any = MISSING) -> Any:
        return self._validate("cookie", name, self._request.cookies.get(name), adapter, default)

    def check(self) -> None:
        """Raise one 422 naming every parameter that was missing or did not fit."""
        if self._errors:
            count = len(self._errors)
            names = ", ".join(f"{e.loc[0]} {e.loc[1]!r}" for e in self._errors)
            raise UnprocessableContent(
                f"{count} parameter error{'s' if count > 1 else ''}: {names}", list(self._errors)
            )

    def _validate(
        self, location: str, name: str, raw: Any, adapter: TypeAdapter[Any], default: Any
    ) -> Any:
        if raw is None:
            if default is MISSING:
                self._errors.append(
                    ErrorItem((location, name), f"the {location} parameter is required", "missing")
                )
            return None if default is MISSING else default
        try:
            # Lax: parameters arrive as text, so "7" must become the integer 7.
            return adapter.validate_python(raw)
        except ValidationError as exc:
            self._errors.extend(validation_items(exc, location, name))
            return None


def has_body(request: Request) -> bool:
    """Whether the request carries a body (an optional one may be left out)."""
    headers = request.headers
    length = headers.get("content-length")
    if length is not None:
        return length.strip() != "0"
    return "transfer-encoding" in headers or "content-type" in headers


def no_content(result: object, context: Context, statuses: tuple[int, ...]) -> Response:
    """The response of an operation that answers no body: the handler returns None."""
    if result is not None:
        raise ResponseValidationError(
            f"the operation answers no body, but its handler returned {type(result).__name__}; "
            "return None"
        )
    # The status first: a 204 must go without Content-Length.
    return context.apply(Response(b"", status_code=context.response_status or statuses[0]))
