"""Service (descriptors) → OpenAPI 3.1 document."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from ._problems import GenerationError, Problem, pointer
from ._schemas import PROBLEM_SCHEMAS, ndarray_schema
from ._validate import validate_document

if TYPE_CHECKING:
    from dosirak import InferenceAPI, Service
    from dosirak.io import IODescriptor

__all__ = ["ERROR_RESPONSES", "MEDIA_TYPES", "build_document"]

OPENAPI_VERSION = "3.1.0"
REF_TEMPLATE = "#/components/schemas/{model}"
PROBLEM_MEDIA_TYPE = "application/problem+json"

#: The media type each descriptor kind travels as.
MEDIA_TYPES = {"ndarray": "application/json", "json": "application/json", "text": "text/plain"}

#: Error responses every API can answer, by status: component name and description.
ERROR_RESPONSES: dict[str, tuple[str, str]] = {
    "400": ("BadRequest", "The body could not be parsed (malformed JSON, undecodable text)."),
    "413": ("ContentTooLarge", "The body is larger than the server accepts."),
    "415": ("UnsupportedMediaType", "The Content-Type is not one this operation accepts."),
    "422": ("ValidationError", "The body parsed but does not fit the schema; see `errors`."),
    "500": ("InternalServerError", "The API or a runner failed; `error_id` names the log entry."),
}

Mode = Literal["validation", "serialization"]


def build_document(service: Service) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``service``, validated with openapi-spec-validator."""
    problems: list[Problem] = []
    model_refs = _model_schemas(service, problems)
    paths: dict[str, Any] = {}
    for api in service.apis.values():
        paths[api.route] = {"post": _operation(api, model_refs)}
    components: dict[str, Any] = {"schemas": {}, "responses": {}}
    for name, schema in model_refs.definitions.items():
        if name in PROBLEM_SCHEMAS:
            problems.append(
                Problem(
                    pointer("components", "schemas", name),
                    "The document is not generated.",
                    f"a model is named {name!r}, which dosirak's error schema uses; rename it",
                )
            )
        components["schemas"][name] = schema
    components["schemas"].update(PROBLEM_SCHEMAS)
    for status, (name, description) in ERROR_RESPONSES.items():
        components["responses"][name] = {
            "description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        del status
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
    validate_document(document, source=f"service {service.name!r}", generated=True)
    return document


class _ModelRefs:
    def __init__(self) -> None:
        self.refs: dict[tuple[type[BaseModel], Mode], dict[str, Any]] = {}
        self.definitions: dict[str, Any] = {}


def _model_schemas(service: Service, problems: list[Problem]) -> _ModelRefs:
    """Schemas of every pydantic model the service uses, hoisted into components."""
    wanted: list[tuple[type[BaseModel], Mode]] = []
    for api in service.apis.values():
        for descriptor, mode in ((api.input, "validation"), (api.output, "serialization")):
            model = getattr(descriptor, "pydantic_model", None)
            if model is not None and (model, mode) not in wanted:
                wanted.append((model, mode))  # type: ignore[arg-type]
    result = _ModelRefs()
    if not wanted:
        return result
    try:
        refs, top = models_json_schema(wanted, ref_template=REF_TEMPLATE)
    except Exception as exc:  # pydantic raises several kinds for unschemable models
        problems.append(
            Problem(
                pointer("components", "schemas"),
                "The document is not generated.",
                f"pydantic could not make a JSON Schema of the models: {exc}",
            )
        )
        return result
    result.refs = dict(refs)  # type: ignore[arg-type]
    result.definitions = dict(top.get("$defs", {}))
    return result


def _io_schema(descriptor: IODescriptor, mode: Mode, model_refs: _ModelRefs) -> dict[str, Any]:
    spec = descriptor.io_spec()
    kind = spec["type"]
    if kind == "ndarray":
        return ndarray_schema(spec["dtype"], spec["shape"])
    if kind == "json":
        model = getattr(descriptor, "pydantic_model", None)
        if model is None:
            return {}
        return dict(model_refs.refs[(model, mode)])
    if kind == "text":
        return {"type": "string"}
    raise TypeError(f"no schema for descriptor kind {kind!r}")


def _io_extension(descriptor: IODescriptor, schema: dict[str, Any]) -> dict[str, Any]:
    spec = descriptor.io_spec()
    if spec["type"] == "json" and "$ref" in schema:
        # Name the component the document actually uses (pydantic may suffix it).
        spec["model"] = schema["$ref"].rsplit("/", 1)[-1]
    return spec


def _media(descriptor: IODescriptor, schema: dict[str, Any]) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    example = descriptor.example()
    if example is not None:
        media["example"] = example
    return {MEDIA_TYPES[descriptor.kind]: media}


def _operation(api: InferenceAPI, model_refs: _ModelRefs) -> dict[str, Any]:
    in_schema = _io_schema(api.input, "validation", model_refs)
    out_schema = _io_schema(api.output, "serialization", model_refs)
    operation: dict[str, Any] = {"operationId": api.name}
    if api.doc:
        summary, _, rest = api.doc.partition("\n")
        operation["summary"] = summary.strip()
        if rest.strip():
            operation["description"] = rest.strip()
    operation["requestBody"] = {
        "required": True,
        "content": _media(api.input, in_schema),
        "x-dosirak-io": _io_extension(api.input, in_schema),
    }
    responses: dict[str, Any] = {
        "200": {
            "description": "Successful response.",
            "content": _media(api.output, out_schema),
            "x-dosirak-io": _io_extension(api.output, out_schema),
        }
    }
    for status, (name, _) in ERROR_RESPONSES.items():
        responses[status] = {"$ref": f"#/components/responses/{name}"}
    operation["responses"] = responses
    return operation
