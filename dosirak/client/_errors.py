"""What a dosirak client raises: a problem the server answered, or no answer at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ApiError",
    "ClientError",
    "ServerError",
    "TransportError",
    "UnexpectedResponseError",
    "ValidationError",
]


class TransportError(Exception):
    """No HTTP answer: connection refused, reset, or timed out (after any retries)."""


@dataclass
class ApiError(Exception):
    """The server answered an error status; the fields are its problem document's.

    Example::

        try:
            client.classify(x)
        except ValidationError as exc:
            print(exc.status, exc.detail, exc.errors[0]["loc"])
    """

    status: int
    title: str
    detail: str
    type: str = "about:blank"
    instance: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.title}: {self.detail}")

    @classmethod
    def from_problem(
        cls, status: int, problem: dict[str, Any], headers: dict[str, str]
    ) -> ApiError:
        """The right subclass for ``status``, carrying the problem's fields."""
        kind: type[ApiError]
        if status == 422:
            kind = ValidationError
        elif status >= 500:
            kind = ServerError
        else:
            kind = ClientError
        errors = problem.get("errors")
        return kind(
            status=status,
            title=str(problem.get("title", "")),
            detail=str(problem.get("detail", "")),
            type=str(problem.get("type", "about:blank")),
            instance=problem.get("instance"),
            errors=list(errors) if isinstance(errors, list) else [],
            error_id=problem.get("error_id"),
            headers=headers,
        )


class ClientError(ApiError):
    """4xx: the request was wrong; ``detail`` says how."""


class ValidationError(ClientError):
    """422: the request parsed but does not fit the schema; ``errors`` locate each finding."""


class ServerError(ApiError):
    """5xx: the server failed; ``error_id`` names its log entry."""


class UnexpectedResponseError(ApiError):
    """A status or media type the document does not declare for this operation."""
