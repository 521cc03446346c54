"""Service (descriptors) → OpenAPI 3.1 document."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Literal

from pydantic import TypeAdapter

from ._kinds import KINDS, Spec
from ._problems import GenerationError, Problem
from ._refs import pointer
from ._schemas import PROBLEM_SCHEMAS

if TYPE_CHECKING:
    from dosirak import InferenceAPI, Service
    from dosirak.io import IODescriptor

__all__ = ["ERROR_RESPONSES", "build_document", "error_response"]

OPENAPI_VERSION = "3.1.0"
REF_TEMPLATE = "#/components/schemas/{model}"
PROBLEM_MEDIA_TYPE = "application/problem+json"

#: Error responses every API can answer, by status: component name and description.
ERROR_RESPONSES: dict[str, tuple[str, str]] = {
    "400": ("BadRequest", "The body could not be parsed (malformed JSON, undecodable text)."),
    "406": ("NotAcceptable", "No media type in the Accept header can be produced."),
    "413": ("ContentTooLarge", "The body is larger than the server accepts."),
    "415": ("UnsupportedMediaType", "The Content-Type is not one this operation accepts."),
    "422": ("ValidationError", "The body parsed but does not fit the schema; see `errors`."),
    "500": ("InternalServerError", "The API or a runner failed; `error_id` names the log entry."),
    "503": ("ServiceUnavailable", "A runner's queue is full or it is stopping; see Retry-After."),
    "504": ("GatewayTimeout", "The request's deadline passed before a runner answered it."),
}

#: Headers an error response carries, by status.
ERROR_HEADERS: dict[str, dict[str, Any]] = {
    "503": {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}

Mode = Literal["validation", "serialization"]


def error_response(status: str, problem: str = "Problem") -> dict[str, Any]:
    """The ``components/responses`` entry of an error ``status``: a problem body (the
    ``problem`` schema), with the headers that status carries."""
    _, description = ERROR_RESPONSES[status]
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{problem}"}}},
    }
    if status in ERROR_HEADERS:
        response["headers"] = copy.deepcopy(ERROR_HEADERS[status])
    return response


def build_document(service: Service, *, validate: bool = True) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``service``, validated with openapi-spec-validator.

    ``validate=False`` skips the validator (and its import) where the document is only
    hashed, to find generated code that was made (and validated) from it before.
    """
    problems: list[Problem] = []
    model_refs = _model_schemas(service, problems)
    paths: dict[str, Any] = {}
    kind_schemas: dict[str, Any] = {}
    for api in service.apis.values():
        paths[api.route] = {"post": _operation(api, model_refs, kind_schemas)}
    components: dict[str, Any] = {"schemas": {}, "responses": {}}
    for name, schema in model_refs.definitions.items():
        if name in PROBLEM_SCHEMAS or name in kind_schemas:
            problems.append(
                Problem(
                    pointer("components", "schemas", name),
                    "The document is not generated.",
                    f"a model is named {name!r}, which dosirak's own schemas use; rename it",
                )
            )
        components["schemas"][name] = schema
    components["schemas"].update(sorted(kind_schemas.items()))
    components["schemas"].update(PROBLEM_SCHEMAS)
    for status, (name, _) in ERROR_RESPONSES.items():
        components["responses"][name] = error_response(status)
    if problems:
        raise GenerationError(problems)
    info: dict[str, Any] = {"title": service.name, "version": service.version}
    if service.description:
        info["description"] = service.description
    document = {
        "openapi": OPENAPI_VERSION,
        "info": info,
        "paths": paths,
        "components": components,
    }
    if validate:
        from ._validate import validate_document

        validate_document(document, source=f"service {service.name!r}", generated=True)
    return document


class _ModelRefs:
    """The JSON Schema of every pydantic type the service uses, by (type, mode)."""

    def __init__(self) -> None:
        self.refs: dict[tuple[Any, Mode], dict[str, Any]] = {}
        self.definitions: dict[str, Any] = {}

    def schema(self, json_type: Any, mode: Mode) -> dict[str, Any]:
        return dict(self.refs[(_key(json_type), mode)])


def _key(json_type: Any) -> Any:
    try:
        hash(json_type)
    except TypeError:
        return id(json_type)
    return json_type


def _model_schemas(service: Service, problems: list[Problem]) -> _ModelRefs:
    """Schemas of every pydantic type the service uses; named models go to components."""
    wanted: dict[tuple[Any, Mode], Any] = {}
    for api in service.apis.values():
        pairs: tuple[tuple[IODescriptor, Mode], ...] = (
            (api.input, "validation"),
            (api.output, "serialization"),
        )
        for descriptor, mode in pairs:
            for json_type in descriptor.json_types():
                wanted.setdefault((_key(json_type), mode), json_type)
    result = _ModelRefs()
    if not wanted:
        return result
    try:
        inputs = [(key, mode, TypeAdapter(t)) for (key, mode), t in wanted.items()]
        refs, top = TypeAdapter.json_schemas(inputs, ref_template=REF_TEMPLATE)
    except Exception as exc:  # pydantic raises several kinds for unschemable types
        problems.append(
            Problem(
                pointer("components", "schemas"),
                "The document is not generated.",
                f"pydantic could not make a JSON Schema of the types: {exc}",
            )
        )
        return result
    result.refs = {key: dict(schema) for key, schema in refs.items()}
    result.definitions = dict(top.get("$defs", {}))
    return result


def _model_schema(
    descriptor: IODescriptor, mode: Mode, model_refs: _ModelRefs
) -> dict[str, Any] | None:
    parts = descriptor.parts()
    if parts:  # a composite's, by part name: its kind's schema places each
        return {name: _model_schema(part, mode, model_refs) for name, part in parts.items()}
    types = descriptor.json_types()
    return model_refs.schema(types[0], mode) if len(types) == 1 else None


def _io_extension(descriptor: IODescriptor, model_schema: dict[str, Any] | None) -> Spec:
    spec = descriptor.io_spec()
    parts = descriptor.parts()
    if parts:
        for name, part in parts.items():
            spec["parts"][name] = _io_extension(part, (model_schema or {}).get(name))
        return spec
    if model_schema is not None and set(model_schema) == {"$ref"}:
        # Name the component the document actually uses (pydantic may suffix it).
        spec["model"] = model_schema["$ref"].rsplit("/", 1)[-1]
    elif spec.get("model") is not None:
        spec["model"] = None  # not a named model: the schema inline says what it is
    return spec


def _content(
    descriptor: IODescriptor,
    spec: Spec,
    model_schema: dict[str, Any] | None,
    components: dict[str, Any],
) -> Spec:
    kind = KINDS[spec["type"]]
    content: Spec = {}
    example = descriptor.example()
    for media_type in kind.media_types(spec):
        media: Spec = {"schema": kind.schema(spec, media_type, model_schema, components)}
        if example is not None and media_type == "application/json":
            media["example"] = example
        encoding = kind.encoding(spec, media_type)
        if encoding:
            media["encoding"] = encoding
        content[media_type] = media
    return content


def _operation(
    api: InferenceAPI, model_refs: _ModelRefs, kind_schemas: dict[str, Any]
) -> dict[str, Any]:
    in_model = _model_schema(api.input, "validation", model_refs)
    out_model = _model_schema(api.output, "serialization", model_refs)
    in_spec = _io_extension(api.input, in_model)
    out_spec = _io_extension(api.output, out_model)
    if api.is_stream:
        out_spec["stream"] = True
    operation: dict[str, Any] = {"operationId": api.name}
    if api.doc:
        summary, _, rest = api.doc.partition("\n")
        operation["summary"] = summary.strip()
        if rest.strip():
            operation["description"] = rest.strip()
    operation["requestBody"] = {
        "required": True,
        "content": _content(api.input, in_spec, in_model, kind_schemas),
        "x-dosirak-io": in_spec,
    }
    content = _content(api.output, out_spec, out_model, kind_schemas)
    responses: dict[str, Any] = {
        str(status): {
            "description": "Successful response." if i == 0 else "Successful response, too.",
            "content": content,
            "x-dosirak-io": out_spec,
        }
        for i, status in enumerate(api.statuses)
    }
    for status, (name, _) in ERROR_RESPONSES.items():
        responses[status] = {"$ref": f"#/components/responses/{name}"}
    operation["responses"] = responses
    return operation
