"""Every document is checked with openapi-spec-validator before anything reads it."""

from __future__ import annotations

from itertools import islice
from typing import Any

from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator, validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from ._problems import GenerationError, Problem
from ._refs import cycles, pointer

__all__ = ["InvalidDocumentError", "validate_document"]


class InvalidDocumentError(GenerationError):
    """The document is not valid OpenAPI; ``problems`` hold the validator's findings."""


def validate_document(document: dict[str, Any], *, source: str, generated: bool = False) -> None:
    """Raise `InvalidDocumentError` naming openapi-spec-validator's findings (the first
    five, each shortened: a finding about a schema may quote the whole schema)."""
    consequence = (
        "This is a bug in dosirak: please report it with the service."
        if generated
        else f"Nothing is generated from {source}; fix the document."
    )
    # The validator would follow a looping $ref chain until Python stops it.
    looping = cycles(document, consequence)
    if looping:
        raise InvalidDocumentError(looping)
    try:
        validate(document)
    except OpenAPIValidationError as exc:
        findings: list[Any] = [exc]
        validator = _VALIDATORS.get(str(document.get("openapi", ""))[:3])
        if validator is not None:
            findings = list(islice(validator(document).iter_errors(), _SHOWN + 1)) or findings
        problems = [_problem(finding, consequence) for finding in findings[:_SHOWN]]
        if len(findings) > _SHOWN:
            problems.append(
                Problem("#/", consequence, "openapi-spec-validator: more findings not shown")
            )
        raise InvalidDocumentError(problems) from exc


_SHOWN = 5
_VALIDATORS: dict[str, Any] = {"3.0": OpenAPIV30SpecValidator, "3.1": OpenAPIV31SpecValidator}


def _problem(finding: Any, consequence: str) -> Problem:
    path = getattr(finding, "path", ())
    where = pointer(*path)
    message = " ".join(str(getattr(finding, "message", finding)).split())
    if len(message) > 200:
        message = message[:200] + "..."
    return Problem(where, consequence, f"openapi-spec-validator: {message}")
