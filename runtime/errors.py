"""Problems the server answers with: RFC 9457 `application/problem+json` bodies.

Each class fixes one status and one `type` URI; raising it anywhere under a generated
route turns into that response. Example::

    raise UnprocessableContent("expected dtype float32, received <U5", loc=("body",))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "BadRequest",
    "ErrorItem",
    "GatewayTimeout",
    "InternalServerError",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "NotImplementedOperation",
    "PayloadTooLarge",
    "ProblemError",
    "ServiceUnavailable",
    "UnprocessableContent",
    "UnsupportedMediaType",
    "http_problem",
    "unfit",
    "validation_items",
]

PROBLEM_MEDIA_TYPE = "application/problem+json"

Loc = Sequence["str | int"]


@dataclass(frozen=True)
class ErrorItem:
    """One validation finding: where (`loc`), what (`msg`) and its kind (`type`)."""

    loc: tuple[str | int, ...]
    msg: str
    type: str

    def to_json(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "msg": self.msg, "type": self.type}


def validation_items(exc: Any, *where: str | int) -> list[ErrorItem]:
    """A pydantic ``ValidationError``'s findings, each located under ``where``."""
    errors = exc.errors(include_url=False, include_context=False, include_input=False)
    return [ErrorItem((*where, *e["loc"]), e["msg"], e["type"]) for e in errors]


def unfit(what: str, exc: Any) -> UnprocessableContent:
    """422 for a pydantic ``ValidationError`` of the request body, counting its findings.

    Example::

        raise unfit("the body does not fit Order", exc)  # "...: 2 errors", each located
    """
    items = validation_items(exc, "body")
    count = len(items)
    return UnprocessableContent(f"{what}: {count} error{'s' if count > 1 else ''}", items)


@dataclass
class ProblemError(Exception):
    """Base of every error that becomes a problem+json response."""

    detail: str
    errors: list[ErrorItem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    slug: ClassVar[str] = "internal-error"

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    @property
    def type_uri(self) -> str:
        return f"urn:dosirak:problem:{self.slug}"

    def to_json(self, instance: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.errors:
            body["errors"] = [item.to_json() for item in self.errors]
        return body


class BadRequest(ProblemError):
    """The body cannot be parsed at all (malformed JSON, undecodable text)."""

    status = 400
    title = "Bad Request"
    slug = "malformed-body"


class NotFound(ProblemError):
    status = 404
    title = "Not Found"
    slug = "not-found"


class MethodNotAllowed(ProblemError):
    status = 405
    title = "Method Not Allowed"
    slug = "method-not-allowed"


class NotAcceptable(ProblemError):
    status = 406
    title = "Not Acceptable"
    slug = "not-acceptable"


class PayloadTooLarge(ProblemError):
    status = 413
    title = "Content Too Large"
    slug = "content-too-large"


class UnsupportedMediaType(ProblemError):
    status = 415
    title = "Unsupported Media Type"
    slug = "unsupported-media-type"


class UnprocessableContent(ProblemError):
    """Well-formed input that does not fit the declared schema (dtype, shape, model)."""

    status = 422
    title = "Unprocessable Content"
    slug = "validation-error"

    def __init__(
        self,
        detail: str,
        errors: list[ErrorItem] | None = None,
        *,
        loc: Loc | None = None,
        kind: str = "value_error",
    ) -> None:
        if errors is None:
            errors = [ErrorItem(tuple(loc or ("body",)), detail, kind)]
        super().__init__(detail, errors)


@dataclass
class InternalServerError(ProblemError):
    """A failure in user or runner code; the body names an error id, never a traceback."""

    error_id: str = ""

    def to_json(self, instance: str) -> dict[str, Any]:
        body = super().to_json(instance)
        body["error_id"] = self.error_id
        return body


class NotImplementedOperation(ProblemError):
    """501: a spec-first handler stub that nobody has filled in yet (``handlers.py``)."""

    status = 501
    title = "Not Implemented"
    slug = "not-implemented"

    def __init__(self, operation_id: str) -> None:
        super().__init__(
            f"operation {operation_id!r} is not implemented yet; "
            "write its handler in handlers.py and restart the server"
        )
        self.operation_id = operation_id


class ServiceUnavailable(ProblemError):
    status = 503
    title = "Service Unavailable"
    slug = "unavailable"


class GatewayTimeout(ProblemError):
    """The request's deadline passed before its answer was ready."""

    status = 504
    title = "Gateway Timeout"
    slug = "deadline-exceeded"


def http_problem(status: int, detail: str) -> ProblemError:
    """A problem for a status no class above names (Starlette's own HTTP errors)."""
    from http import HTTPStatus

    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    kind = type(
        "HTTPProblem",
        (ProblemError,),
        {"status": status, "title": title, "slug": title.lower().replace(" ", "-")},
    )
    return kind(detail)  # type: ignore[no-any-return]
