"""OpenAPI document → IR, in one pass; every problem found is reported together."""

from __future__ import annotations

from typing import Any

from . import _ir
from ._kinds import KINDS, ModelRef
from ._models import ModelBuilder
from ._names import ClassName, PythonIdentifier
from ._problems import GenerationError, Problem, pointer
from ._render import python_source

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
    schemas = _model_schemas(document)
    inline = _inline_json_schemas(document, schemas)
    schemas.update({name: schema for name, schema in inline.values()})
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
            parsed = _operation(path, method, operation, where, problems, inline)
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


def _model_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """The component schemas JSON bodies and error responses use, and all they refer to.

    Schemas only other IO kinds use (the items of an array of unknown rank, say) are
    theirs to interpret: no pydantic model is made of them.
    """
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    roots: list[Any] = [document.get("components", {}).get("responses", {})]
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            bodies = [operation.get("requestBody", {})]
            bodies += list(operation.get("responses", {}).values())
            for body in bodies:
                spec = body.get("x-dosirak-io") if isinstance(body, dict) else None
                if spec is None or spec.get("type") == "json":
                    roots.append(body)
                elif isinstance(spec, dict):
                    roots.append(_model_refs(spec))
    wanted: set[str] = set()
    prefix = "#/components/schemas/"

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(prefix):
                name = ref[len(prefix) :]
                if name in schemas and name not in wanted:
                    wanted.add(name)
                    visit(schemas[name])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(roots)
    return {name: schema for name, schema in schemas.items() if name in wanted}


def _inline_json_schemas(
    document: dict[str, Any], taken: dict[str, Any]
) -> dict[str, tuple[str, Any]]:
    """JSON bodies whose schema is neither a model's ``$ref`` nor "anything".

    Each gets a named alias (``ClassifyRequestBody = list[Item]``), by its location.
    """
    found: dict[str, tuple[str, Any]] = {}
    names = set(document.get("components", {}).get("schemas", {})) | set(taken)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            where = pointer("paths", path, method)
            bodies = {
                "request_body": (f"{where}/requestBody", operation.get("requestBody")),
                "response_body": _first_success(where, operation),
            }
            for role, (body_where, body) in bodies.items():
                if not isinstance(body, dict):
                    continue
                content = body.get("content", {})
                spec = body.get("x-dosirak-io") or {"type": "json"}
                if spec.get("type") != "json" or set(content) != {"application/json"}:
                    continue
                schema = content["application/json"].get("schema", {})
                if schema in ({}, True) or set(schema) == {"$ref"}:
                    continue
                name = str(ClassName(f"{operation['operationId']}_{role}"))
                while name in names:
                    name += "_"
                names.add(name)
                found[body_where] = (name, schema)
    return found


def _model_refs(spec: dict[str, Any]) -> list[dict[str, str]]:
    """``$ref``s to the models a kind's codec arguments name (a multipart body's JSON parts)."""
    kind = KINDS.get(spec.get("type", ""))
    found: list[dict[str, str]] = []

    def visit(value: Any) -> None:
        if isinstance(value, ModelRef):
            found.append({"$ref": f"#/components/schemas/{value.name}"})
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                visit(item)

    if kind is not None:
        for _, value in kind.params(spec):
            visit(value)
    return found


def _first_success(where: str, operation: dict[str, Any]) -> tuple[str, Any]:
    """The location and object of an operation's first 2xx response."""
    responses = operation.get("responses", {})
    statuses = sorted(s for s in responses if str(s).isdigit() and str(s).startswith("2"))
    if not statuses:
        return f"{where}/responses/200", None
    return f"{where}/responses/{statuses[0]}", responses[statuses[0]]


def _skip(where: str, reason: str) -> Problem:
    return Problem(where, "The operation is not generated.", reason)


def _operation(
    path: str,
    method: str,
    operation: dict[str, Any],
    where: str,
    problems: list[Problem],
    inline: dict[str, tuple[str, Any]],
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
    request_body = _body(request, f"{where}/requestBody", problems, inline)
    responses = operation.get("responses", {})
    statuses = tuple(sorted(int(s) for s in responses if str(s).isdigit() and 200 <= int(s) < 300))
    if not statuses:
        problems.append(_skip(f"{where}/responses", "it declares no 2xx response"))
        return None
    first = str(statuses[0])
    response_body = _body(responses[first], f"{where}/responses/{first}", problems, inline)
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
        statuses=statuses,
    )


def _body(
    body: dict[str, Any], where: str, problems: list[Problem], inline: dict[str, tuple[str, Any]]
) -> _ir.Body | None:
    if "$ref" in body:
        problems.append(_skip(where, "a $ref'd request body or response is not supported yet"))
        return None
    content = body.get("content", {})
    spec = body.get("x-dosirak-io")
    if spec is None:
        spec = _infer_spec(content)
        if spec is None:
            problems.append(_skip(where, f"media types {sorted(content)} are not supported yet"))
            return None
    if where in inline:
        spec = {**spec, "model": inline[where][0]}
    kind = KINDS.get(spec.get("type", ""))
    if kind is None:
        problems.append(_skip(f"{where}/x-dosirak-io", f"IO type {spec.get('type')!r} is unknown"))
        return None
    media_types = tuple(content) or kind.media_types(spec)
    unknown = set(media_types) - set(kind.media_types(spec))
    if unknown:
        problems.append(
            _skip(where, f"media types {sorted(unknown)} are not ones a {kind.name} body has")
        )
        return None
    params = tuple(_ir.Param(name, _code(value)) for name, value in kind.params(spec))
    return _ir.Body(
        kind=kind.name,
        media_types=media_types,
        python_type=kind.python_type(spec),
        params=params,
        summary=kind.summary(spec),
        cast=kind.read_is_untyped and kind.python_type(spec) != "_t.Any",
    )


def _code(value: Any) -> str:
    """Python source for a codec argument: literals, with model references as names."""
    if isinstance(value, ModelRef):
        return f"_models.{ClassName(value.name)}"
    if isinstance(value, dict):
        items = ", ".join(f"{_code(k)}: {_code(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, tuple):
        inner = ", ".join(_code(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(_code(v) for v in value) + "]"
    return python_source(value)


def _infer_spec(content: dict[str, Any]) -> dict[str, Any] | None:
    """The IO kind of a body the document gives no ``x-dosirak-io`` for."""
    types = set(content)
    if types == {"application/json"}:
        ref = content["application/json"].get("schema", {}).get("$ref", "")
        prefix = "#/components/schemas/"
        return {"type": "json", "model": ref[len(prefix) :] if ref.startswith(prefix) else None}
    if types == {"text/plain"}:
        return {"type": "text"}
    if "application/x-npy" in types and types <= {"application/json", "application/x-npy"}:
        return {"type": "ndarray", "dtype": None, "shape": None}
    return None
