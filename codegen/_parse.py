"""OpenAPI document → IR, in one pass; every problem found is reported together."""

from __future__ import annotations

from typing import Any

from . import _ir
from ._models import ModelBuilder
from ._names import ClassName, PythonIdentifier
from ._problems import GenerationError, Problem, pointer

__all__ = ["parse_document"]

_SUPPORTED_METHODS = ("post",)
_IGNORED_OPERATION_KEYS = frozenset(
    {
        "operationId",
        "summary",
        "description",
        "requestBody",
        "responses",
        "tags",
        "deprecated",
        "externalDocs",
    }
)


def parse_document(document: dict[str, Any], sha256: str) -> _ir.Service:
    """The IR of a validated document; raise `GenerationError` with every problem."""
    problems: list[Problem] = []
    schemas = document.get("components", {}).get("schemas", {})
    builder = ModelBuilder(schemas, problems)
    builder.build_all()
    info = document.get("info", {})
    service = _ir.Service(
        title=info.get("title", ""),
        version=info.get("version", ""),
        document_sha256=sha256,
    )
    names: dict[str, str] = {}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            where = pointer("paths", path, method)
            if method not in _SUPPORTED_METHODS:
                problems.append(_skip(where, f"method {method.upper()} is not supported yet"))
                continue
            parsed = _operation(path, method, operation, where, problems)
            if parsed is None:
                continue
            if parsed.name in names:
                problems.append(
                    _skip(
                        where,
                        f"operation name {parsed.name!r} is also used at {names[parsed.name]}",
                    )
                )
                continue
            names[parsed.name] = where
            service.operations.append(parsed)
    if problems:
        raise GenerationError(problems)
    service.models = [builder.models[k] for k in sorted(builder.models)]
    service.aliases = [builder.aliases[k] for k in sorted(builder.aliases)]
    service.needs_datetime = builder.needs_datetime
    service.needs_uuid = builder.needs_uuid
    service.needs_field = builder.needs_field
    return service


def _skip(where: str, reason: str) -> Problem:
    return Problem(where, "The operation is not generated.", reason)


def _operation(
    path: str, method: str, operation: dict[str, Any], where: str, problems: list[Problem]
) -> _ir.Operation | None:
    unknown = {k for k in operation if k not in _IGNORED_OPERATION_KEYS and not k.startswith("x-")}
    if unknown:
        problems.append(_skip(where, f"{sorted(unknown)} are not supported yet"))
        return None
    operation_id = operation.get("operationId")
    if not operation_id:
        problems.append(_skip(where, "it has no operationId"))
        return None
    request = operation.get("requestBody")
    if request is None:
        problems.append(_skip(where, "an operation without a request body is not supported yet"))
        return None
    request_body = _body(request, f"{where}/requestBody", problems)
    responses = operation.get("responses", {})
    success = responses.get("200")
    if success is None:
        problems.append(_skip(f"{where}/responses", "it declares no 200 response"))
        return None
    response_body = _body(success, f"{where}/responses/200", problems)
    if request_body is None or response_body is None:
        return None
    return _ir.Operation(
        operation_id=operation_id,
        name=PythonIdentifier(operation_id, prefix="op"),
        path=path,
        method=method.upper(),
        summary=operation.get("summary"),
        request=request_body,
        response=response_body,
    )


def _body(body: dict[str, Any], where: str, problems: list[Problem]) -> _ir.Body | None:
    if "$ref" in body:
        problems.append(_skip(where, "a $ref'd request body or response is not supported yet"))
        return None
    content = body.get("content", {})
    if len(content) != 1:
        problems.append(
            _skip(where, f"exactly one media type is supported yet, found {sorted(content)}")
        )
        return None
    media_type, media = next(iter(content.items()))
    schema = media.get("schema", {})
    io = body.get("x-dosirak-io")
    if io is not None:
        parsed = _from_extension(io, f"{where}/x-dosirak-io", problems)
    elif media_type == "application/json":
        parsed = _json_io(schema)
    elif media_type == "text/plain":
        parsed = _ir.TextIO()
    else:
        problems.append(_skip(where, f"media type {media_type!r} is not supported yet"))
        return None
    if parsed is None:
        return None
    return _ir.Body(media_type=media_type, io=parsed)


def _json_io(schema: dict[str, Any]) -> _ir.JsonIO:
    ref = schema.get("$ref", "")
    prefix = "#/components/schemas/"
    model = ClassName(ref[len(prefix) :]) if ref.startswith(prefix) else None
    return _ir.JsonIO(model=model)


def _from_extension(
    io: dict[str, Any], where: str, problems: list[Problem]
) -> _ir.NdarrayIO | _ir.JsonIO | _ir.TextIO | None:
    kind = io.get("type")
    if kind == "ndarray":
        shape = io.get("shape")
        return _ir.NdarrayIO(
            dtype=io.get("dtype"),
            shape=None if shape is None else tuple(int(d) for d in shape),
            enforce_dtype=bool(io.get("enforce_dtype", False)),
            enforce_shape=bool(io.get("enforce_shape", False)),
        )
    if kind == "json":
        model = io.get("model")
        return _ir.JsonIO(model=None if model is None else ClassName(model))
    if kind == "text":
        return _ir.TextIO()
    problems.append(_skip(where, f"x-dosirak-io type {kind!r} is unknown"))
    return None
