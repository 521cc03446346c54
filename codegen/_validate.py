"""Every document is checked with openapi-spec-validator before anything reads it."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from ._problems import GenerationError, Problem

__all__ = ["InvalidDocumentError", "validate_document"]


class InvalidDocumentError(GenerationError):
    """The document is not valid OpenAPI; ``problems`` hold the validator's findings."""


def validate_document(document: dict[str, Any], *, source: str, generated: bool = False) -> None:
    """Raise `InvalidDocumentError` naming openapi-spec-validator's finding."""
    try:
        validate(document)
    except OpenAPIValidationError as exc:
        where = "#/" + "/".join(str(p) for p in getattr(exc, "path", ()))
        reason = f"openapi-spec-validator: {getattr(exc, 'message', exc)}"
        consequence = (
            "This is a bug in dosirak: please report it with the service."
            if generated
            else f"Nothing is generated from {source}; fix the document."
        )
        raise InvalidDocumentError([Problem(where, consequence, reason)]) from exc
