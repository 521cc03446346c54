"""Schemathesis hooks: teach it the constraints JSON Schema cannot state.

``x-dosirak-io`` says an ndarray body is rectangular and that ``application/x-npy`` bodies
are numpy's format; a schema can say neither. These hooks keep the generated requests
inside what the document promises, so every check can run with zero false failures.

One failure is the service's, not the server's: an API that declares no shape
(the seed's ``NumpyNdarray()``) promises to take any array, and a model that refuses
one with `dosirak.exceptions.InvalidInput` breaks that promise. Such a refusal of a
schema-valid request (ST202) is dropped only there; declaring ``shape=`` makes it exact.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import schemathesis


def _io_spec(context: Any) -> dict[str, Any]:
    operation = getattr(context, "operation", None)
    if operation is None:
        return {}
    body = operation.definition.raw.get("requestBody", {})
    spec = body.get("x-dosirak-io", {})
    return spec if isinstance(spec, dict) else {}


def _rectangular(value: Any) -> bool:
    try:
        array = np.asarray(value)
    except ValueError:
        return False
    return array.dtype != object


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    spec = _io_spec(context)
    if spec.get("type") == "ndarray" and case.media_type == "application/json":
        return _rectangular(case.body)
    return True


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    spec = _io_spec(context)
    if spec.get("type") == "ndarray" and case.media_type == "application/x-npy":
        shape = tuple(2 if d < 0 else d for d in spec.get("shape") or (2, 4))
        buffer = io.BytesIO()
        np.save(buffer, np.ones(shape, dtype=spec.get("dtype") or "float64"))
        case.body = buffer.getvalue()
    return case


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    if getattr(failure, "code", None) != "ST202" or response.status_code != 422:
        return True
    if _io_spec(context).get("shape") is not None:
        return True
    try:
        errors = response.json().get("errors", [])
    except ValueError:
        return True
    return not (errors and all(e.get("type") == "invalid_input" for e in errors))
