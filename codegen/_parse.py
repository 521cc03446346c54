"""OpenAPI document → IR, in one pass; every problem found is reported together."""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from . import _ir
from ._kind_multipart import FORM_DATA, multipart_spec_of
from ._kinds import KINDS, ModelRef
from ._models import ModelBuilder
from ._names import ClassName, PythonIdentifier
from ._operations import RawOperation, collect_operations
from ._problems import GenerationError, Problem
from ._refs import pointer, schema_name
from ._render import python_source
from ._servers import base_path

__all__ = ["Target", "parse_document"]

Target = Literal["server", "client"]

#: Operation fields that change nothing in generated code.
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
        "parameters",
        "servers",
        "security",
        "callbacks",
    }
)
_PARAMETER_LOCATIONS = ("path", "query", "header", "cookie")
_DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}


def parse_document(
    document: dict[str, Any],
    sha256: str,
    *,
    target: Target = "server",
    skip_unsupported: bool = False,
) -> _ir.Service:
    """The IR of a validated document; raise `GenerationError` with every problem.

    ``target`` is what will be generated: a server (its routes validate parameters and
    bodies; what it leaves to handlers, such as security and callbacks, is listed as
    warnings) or a client. With ``skip_unsupported``, an operation that cannot be
    generated is left out with a warning (in ``Service.warnings``) instead of stopping,
    and a body narrowed to the media types it supports.
    """
    problems: list[Problem] = []
    raws = collect_operations(document, problems)
    schemas = _model_schemas(document, raws)
    inline = _inline_json_schemas(raws, document, schemas)
    schemas.update({name: schema for name, schema in inline.values()})
    schema_problems: list[Problem] = []
    builder = ModelBuilder(schemas, schema_problems)
    builder.build_all()
    if skip_unsupported:
        # What a schema cannot say in Python is typed Any there, and listed.
        schema_problems = [
            Problem(p.location, "The value is typed Any there.", p.reason, "warning")
            for p in schema_problems
        ]
    problems += schema_problems
    info = document.get("info", {})
    service = _ir.Service(
        title=info.get("title", ""),
        version=info.get("version", ""),
        document_sha256=sha256,
    )
    if target == "server":
        problems += _server_notes(document, raws)
    names: dict[str, str] = {}
    for raw in raws:
        found: list[Problem] = []
        parsed = _operation(raw, target, found, inline, builder)
        if parsed is not None and parsed.name in names:
            found.append(
                _skip(
                    raw.where,
                    f"operation name {parsed.name!r} is also used at {names[parsed.name]}",
                )
            )
        narrowed = [p.location for p in found if p.narrowing]
        errors = [p for p in found if p.level == "error"]
        if errors and skip_unsupported:
            found = [Problem(p.location, p.consequence, p.reason, "warning") for p in found]
            errors = [p for p in errors if not p.narrowing]
        problems += found
        if parsed is None or errors:
            if skip_unsupported:
                service.left_out.append((raw.where, None))
            continue
        if skip_unsupported:
            for location in narrowed:
                if parsed.request and location == raw.request_where:
                    service.left_out.append((location, parsed.request.media_types))
                elif parsed.response:
                    service.left_out.append((location, parsed.response.media_types))
        names[parsed.name] = raw.where
        service.operations.append(parsed)
    if any(p.level == "error" for p in problems):
        raise GenerationError(problems)
    service.operations = _name_adapters(service.operations)
    service.warnings = [p for p in problems if p.level == "warning"]
    service.models = [builder.models[k] for k in sorted(builder.models)]
    service.aliases = [builder.aliases[k] for k in sorted(builder.aliases)]
    service.needs_field = builder.needs_field
    return service


def _name_adapters(operations: list[_ir.Operation]) -> list[_ir.Operation]:
    """Each parameter's TypeAdapter name: by operation and parameter, numbered if too long."""
    named = []
    count = 0
    for op in operations:
        parameters = []
        for parameter in op.parameters:
            count += 1
            name = f"_{op.name}_{parameter.python_name}".upper()
            if len(name) > 40:
                name = f"_PARAMETER_{count}"
            parameters.append(dataclasses.replace(parameter, adapter=name))
        named.append(dataclasses.replace(op, parameters=tuple(parameters)))
    return named


def _model_schemas(document: dict[str, Any], raws: list[RawOperation]) -> dict[str, Any]:
    """The component schemas JSON bodies, parameters and error responses use, and all they
    refer to.

    Schemas only other IO kinds use (the items of an array of unknown rank, say) are
    theirs to interpret: no pydantic model is made of them.
    """
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    roots: list[Any] = [document.get("components", {}).get("responses", {})]
    for raw in raws:
        roots.append(raw.parameters)
        bodies = [raw.request] + [response for _, response in raw.responses.values()]
        for body in bodies:
            spec = body.get("x-dosirak-io") if isinstance(body, dict) else None
            if spec is None or spec.get("type") == "json":
                roots.append(body)
            elif isinstance(spec, dict):
                roots.append(_model_refs(spec))
    wanted: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            name = schema_name(ref) if isinstance(ref, str) else None
            if name is not None and name in schemas and name not in wanted:
                wanted.add(name)
                visit(schemas[name])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(roots)
    return {name: schema for name, schema in schemas.items() if name in wanted}


def _base(media_type: str) -> str:
    """A media type without its parameters, in lower case."""
    return media_type.partition(";")[0].strip().lower()


def _json_media(content: dict[str, Any]) -> str | None:
    for media_type in content:
        base = _base(media_type)
        if base == "application/json" or base.endswith("+json"):
            return str(media_type)
    return None


def _form_media(content: dict[str, Any]) -> str | None:
    return next((str(t) for t in content if _base(t) == "application/x-www-form-urlencoded"), None)


def _inline_json_schemas(
    raws: list[RawOperation], document: dict[str, Any], taken: dict[str, Any]
) -> dict[str, tuple[str, Any]]:
    """JSON bodies whose schema is neither a model's ``$ref`` nor "anything".

    Each gets a named alias (``ClassifyRequestBody = list[Item]``), by its location.
    """
    found: dict[str, tuple[str, Any]] = {}
    names = set(document.get("components", {}).get("schemas", {})) | set(taken)
    for raw in raws:
        bodies = [("request_body", raw.request_where, raw.request)]
        success = _first_success(raw)
        if success is not None:
            bodies.append(("response_body", success[0], success[1]))
        for role, body_where, body in bodies:
            if not isinstance(body, dict):
                continue
            content = body.get("content", {})
            spec = body.get("x-dosirak-io") or {"type": "json"}
            # A form's fields are a model too, when no JSON media type comes first.
            media_type = _json_media(content) or _form_media(content)
            if spec.get("type") != "json" or media_type is None:
                continue
            schema = content[media_type].get("schema", {})
            if schema in ({}, True) or set(schema) == {"$ref"}:
                continue
            name = str(ClassName(f"{raw.operation_id}_{role}"))
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
            found.append({"$ref": pointer("components", "schemas", value.name)})
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


def _first_success(raw: RawOperation) -> tuple[str, dict[str, Any]] | None:
    """The location and object of an operation's first 2xx response that has content."""
    statuses = sorted(s for s in raw.responses if s.isdigit() and s.startswith("2"))
    for status in statuses:
        if raw.responses[status][1].get("content"):
            return raw.responses[status]
    return None


def _skip(where: str, reason: str) -> Problem:
    return Problem(where, "The operation is not generated.", reason)


def _operation(
    raw: RawOperation,
    target: Target,
    problems: list[Problem],
    inline: dict[str, tuple[str, Any]],
    builder: ModelBuilder,
) -> _ir.Operation | None:
    where = raw.where
    operation = raw.operation
    unknown = {k for k in operation if k not in _IGNORED_OPERATION_KEYS and not k.startswith("x-")}
    if unknown:
        problems.append(_skip(where, f"{sorted(unknown)} are not supported yet"))
    if target == "client":
        # An error response's headers reach the caller with its ApiError.
        for status in (s for s in raw.response_headers if s.startswith("2")):
            problems.append(
                Problem(
                    f"{raw.responses[status][0]}/headers",
                    "The generated client returns the body only, not these headers.",
                    "clients do not expose response headers yet",
                    "warning",
                )
            )
    if target == "client" and "callbacks" in operation:
        problems.append(
            Problem(
                f"{where}/callbacks",
                "The client does not serve the callbacks.",
                "callbacks are requests the API makes, not ones a client makes",
                "warning",
            )
        )
    taken = {"body", "context", "self"}
    parameters = []
    for spec in raw.parameters:
        parameter = _parameter(raw, spec, problems, builder, taken)
        if parameter is not None:
            taken.add(parameter.python_name)
            parameters.append(parameter)
    request_body = None
    if raw.request is not None:
        request_body = _body(
            raw.request, raw.request_where, target, problems, inline, "request", builder.schemas
        )
    statuses = tuple(sorted(int(s) for s in raw.responses if s.isdigit() and s.startswith("2")))
    if not statuses:
        problems.append(_skip(f"{where}/responses", "it declares no 2xx response"))
        return None
    response_body = None
    success = _first_success(raw)
    if success is not None:
        response_body = _body(
            success[1], success[0], target, problems, inline, "response", builder.schemas
        )
    served_at = base_path(raw.servers) if target == "server" else ""
    if served_at is None:
        problems.append(_skip(where, "the path of its server's URL has a variable with no default"))
    if any(p.level == "error" and not p.narrowing for p in problems) or served_at is None:
        return None
    return _ir.Operation(
        operation_id=raw.operation_id,
        name=raw.name,
        path=raw.path,
        method=raw.method.upper(),
        summary=operation.get("summary"),
        request=request_body,
        response=response_body,
        statuses=statuses,
        parameters=tuple(sorted(parameters, key=lambda p: not p.required)),
        request_required=bool(raw.request.get("required", False)) if raw.request else True,
        description=operation.get("description"),
        base_path=served_at,
        required_headers=_required_headers(raw),
    )


def _required_headers(raw: RawOperation) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """The headers each success response must carry (a Content-Type header is ignored, as
    OpenAPI says)."""
    required = []
    for status, headers in sorted(raw.response_headers.items()):
        names = sorted(
            {
                name.lower()
                for name, header in headers.items()
                if header.get("required") and name.lower() != "content-type"
            }
        )
        if status.isdigit() and status.startswith("2") and names:
            required.append((int(status), tuple(names)))
    return tuple(required)


def _parameter(
    raw: RawOperation,
    parameter: dict[str, Any],
    problems: list[Problem],
    builder: ModelBuilder,
    taken: set[str],
) -> _ir.Parameter | None:
    name = str(parameter.get("name", ""))
    location = str(parameter.get("in", ""))
    where = f"{raw.where}/parameters/{name}"
    if location not in _PARAMETER_LOCATIONS:
        problems.append(_skip(where, f"parameters in {location!r} are not supported"))
        return None
    if "content" in parameter:
        problems.append(_skip(where, "parameters described by content are not supported yet"))
        return None
    style = parameter.get("style", _DEFAULT_STYLE[location])
    if style != _DEFAULT_STYLE[location]:
        problems.append(_skip(where, f"parameter style {style!r} is not supported yet"))
        return None
    schema = parameter.get("schema", {})
    annotation = builder.annotation(schema, where, ClassName(f"{raw.name}_{name}"))
    if any(word in annotation for word in ("dict[", "_models.")) or (annotation in builder.models):
        problems.append(_skip(where, "object-valued parameters are not supported yet"))
        return None
    array = annotation.startswith("list[")
    explode = bool(parameter.get("explode", style == "form"))
    if array and location == "cookie":
        problems.append(_skip(where, "array parameters in cookies are not supported yet"))
        return None
    if array and location != "query" and explode:
        problems.append(_skip(where, f"exploded array parameters in {location} are not supported"))
        return None
    required = bool(parameter.get("required", location == "path"))
    default = None
    if not required and isinstance(schema, dict) and "default" in schema:
        try:
            default = python_source(schema["default"])
        except TypeError:
            problems.append(
                _skip(
                    f"{where}/schema/default",
                    "only a number, string or boolean default is supported",
                )
            )
            return None
    python_name = PythonIdentifier(name)
    while python_name in taken:
        python_name = PythonIdentifier(f"{python_name}_{location}")
    return _ir.Parameter(
        name=name,
        python_name=python_name,
        location=location,
        annotation=annotation if required else f"{annotation} | None",
        required=required,
        value_type=annotation,
        array=array,
        explode=explode,
        default=default,
    )


def _server_notes(document: dict[str, Any], raws: list[RawOperation]) -> list[Problem]:
    """What a generated server leaves to its handlers, as warnings: never silently."""
    notes: list[Problem] = []
    if document.get("webhooks"):
        notes.append(
            Problem(
                "#/webhooks",
                "Nothing is generated for them: the handlers make those requests themselves.",
                "webhooks are requests the API makes, not ones it serves",
                "warning",
            )
        )
    schemes = document.get("components", {}).get("securitySchemes", {})
    secured = bool(document.get("security")) or any(r.operation.get("security") for r in raws)
    if secured:
        notes.append(
            Problem(
                "#/components/securitySchemes",
                "The generated server checks no credentials: each handler reads them from "
                "context.request (headers, query, cookies) and raises a problem to refuse.",
                f"security schemes {sorted(schemes)} are not enforced by generated code",
                "warning",
            )
        )
    for raw in raws:
        if raw.operation.get("callbacks"):
            notes.append(
                Problem(
                    f"{raw.where}/callbacks",
                    "Nothing is generated for them: the handler makes those requests itself.",
                    "callbacks are requests the API makes, not ones it serves",
                    "warning",
                )
            )
        for status, (response_where, response) in raw.responses.items():
            if status.isdigit() and status.startswith("2") and raw.response_headers.get(status):
                notes.append(
                    Problem(
                        f"{response_where}/headers",
                        "The handler sets them through context.response.headers; the server "
                        "answers 500 when a success response lacks a required one.",
                        "the generated server does not validate response header values",
                        "warning",
                    )
                )
            if response.get("links"):
                notes.append(
                    Problem(
                        f"{response_where}/links",
                        "They stay in the published document; no code follows them.",
                        "links describe how a client may chain operations",
                        "warning",
                    )
                )
    return notes


def _infer_spec(
    content: dict[str, Any], schemas: dict[str, Any]
) -> tuple[dict[str, Any], tuple[str, ...]] | None:
    """The IO kind of a body the document gives no ``x-dosirak-io`` for, and its media types.

    ``schemas`` are the document's component schemas a multipart body's ``$ref`` names.
    """
    for kind, media_type in (("json", _json_media(content)), ("form", _form_media(content))):
        if media_type is not None:
            model = schema_name(str(content[media_type].get("schema", {}).get("$ref", "")))
            return {"type": kind, "model": model}, (media_type,)
    types = [_base(t) for t in content]
    if FORM_DATA in content:
        media = content[FORM_DATA]
        multipart = multipart_spec_of(media.get("schema", {}), media.get("encoding") or {}, schemas)
        if multipart is not None:
            return multipart, (FORM_DATA,)
    if "text/plain" in types:
        return {"type": "text"}, ("text/plain",)
    if "text/event-stream" in types:
        return {"type": "text", "stream": True}, ("text/event-stream",)
    if "application/x-npy" in types:
        return {"type": "ndarray", "dtype": None, "shape": None}, ("application/x-npy",)
    if "application/octet-stream" in types:
        return {"type": "file", "mime_type": "application/octet-stream"}, (
            "application/octet-stream",
        )
    images = tuple(t for t in types if t.startswith("image/"))
    if images and "image" in KINDS:
        spec: dict[str, Any] = {
            "type": "image",
            "pilmode": None,
            "mime_type": images[0],
            "allowed_mime_types": list(images),
            "max_pixels": None,
        }
        return spec, images
    return None


def _body(
    body: dict[str, Any],
    where: str,
    target: Target,
    problems: list[Problem],
    inline: dict[str, tuple[str, Any]],
    role: str,
    schemas: dict[str, Any],
) -> _ir.Body | None:
    content = body.get("content", {})
    spec = body.get("x-dosirak-io")
    if spec is None:
        inferred = _infer_spec(content, schemas)
        if inferred is None:
            problems.append(_skip(where, f"media types {sorted(content)} are not supported yet"))
            return None
        spec, media_types = inferred
        left = sorted(set(content) - set(media_types))
        if left:
            problems.append(
                Problem(
                    where,
                    f"The {role} goes as {' or '.join(media_types)} only."
                    if target == "client"
                    else f"The server's {role} goes as {' or '.join(media_types)} only.",
                    f"media types {left} are not supported yet",
                    narrowing=True,
                )
            )
    else:
        media_types = tuple(content)
    if where in inline:
        spec = {**spec, "model": inline[where][0]}
    kind = KINDS.get(spec.get("type", ""))
    if kind is None:
        problems.append(_skip(f"{where}/x-dosirak-io", f"IO type {spec.get('type')!r} is unknown"))
        return None
    media_types = media_types or kind.media_types(spec)
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
        imports=kind.imports(spec),
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
