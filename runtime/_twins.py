"""JSON request bodies validated once, straight into the service's own pydantic model.

A code-first API declared with ``Json(pydantic_model=Order)`` has its document describe
``Order``; the generated server validates a request body into the generated ``Order``, and
`Json.from_wire` then validates that again into the service's ``Order``: two validations,
about half the server's work on a small JSON request. When the service's model checks just
what the document says (`checks_only_its_schema`) and its JSON schema is the generated
model's, validating the body into it once is the same check; the json codec then does
that (`dosirak.runtime.codecs.json.adopt_twins`).

Answers likewise: a result of the service's model is checked against the generated model
(through JSON-able data, then written by the generated model). When the service's model
also writes its fields as pydantic writes plain fields (`writes_only_its_schema`) and gives
the same serialization schema, the codec checks the result with the service's own model and
writes that: the same check and the same JSON, with less copying.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from pydantic.json_schema import JsonSchemaMode

    from dosirak import Service

    from ._generated import GeneratedServer

__all__ = ["answer_twins", "checks_only_its_schema", "twin_models", "writes_only_its_schema"]

# pydantic-core schema nodes whose JSON check the document states in full. Anything else
# (validator functions, sets, dates, enums, tagged unions...) may accept what the document
# refuses, or map it otherwise, so its body keeps going through the generated model first.
_PLAIN_NODES = frozenset(
    {
        "definitions",
        "definition-ref",
        "model",
        "model-fields",
        "model-field",
        "default",
        "nullable",
        "union",
        "literal",
        "list",
        "dict",
        "str",
        "int",
        "float",
        "bool",
        "none",
    }
)
# Options that transform or widen what a node accepts.
_WIDENING_KEYS = frozenset(
    {
        "strip_whitespace",
        "to_lower",
        "to_upper",
        "coerce_numbers_to_str",
        "custom_error_type",
        "on_error",  # a default that swallows errors
    }
)
# Model options that only name, narrow or leave alone what the document says.
_SAFE_CONFIG = frozenset(
    {
        "title",
        "extra_fields_behavior",
        "validate_by_alias",
        "validate_by_name",
        "populate_by_name",
        "serialize_by_alias",
        "revalidate_instances",
        "from_attributes",
        "frozen",
        "strict",
        "str_max_length",
        "str_min_length",
        "hide_input_in_errors",
        "validation_error_cause",
        "cache_strings",
        "ser_json_timedelta",
        "ser_json_temporal",
        "ser_json_bytes",
        "ser_json_inf_nan",
    }
)


# What a field of a model may say and still be written as pydantic writes its plain value.
_PLAIN_FIELD_KEYS = frozenset(
    {"type", "schema", "validation_alias", "serialization_alias", "metadata", "frozen"}
)
# Model options that change how a value is written (``inf`` as ``Infinity``, extra fields).
_WRITING_CONFIG = frozenset(
    {"ser_json_timedelta", "ser_json_temporal", "ser_json_bytes", "ser_json_inf_nan"}
)


# JSON-schema annotations that describe a field without changing what it accepts.
_ANNOTATIONS = frozenset({"title", "description", "examples", "deprecated"})
_MODEL_JSON_SCHEMA = BaseModel.__get_pydantic_json_schema__.__func__  # type: ignore[attr-defined]
_JSON_SCHEMA_METHOD = BaseModel.model_json_schema.__func__  # type: ignore[attr-defined]


def checks_only_its_schema(model: type[BaseModel]) -> bool:
    """Whether ``model`` accepts exactly the JSON its JSON schema describes.

    True for models of plain types (numbers, strings, booleans, literals, lists, string-keyed
    dicts, optional and union fields, nested such models) with no validator functions, no
    ``__init__`` or ``model_post_init`` of their own and no transforming options.

    >>> class Order(BaseModel):
    ...     id: int
    ...     tags: list[str] = []
    >>> checks_only_its_schema(Order)
    True
    """
    schema = getattr(model, "__pydantic_core_schema__", None)
    if not isinstance(schema, dict):  # not built yet (forward references)
        model.model_rebuild(raise_errors=False)
        schema = getattr(model, "__pydantic_core_schema__", None)
        if not isinstance(schema, dict):
            return False
    return all(_plain(node) for node in _nodes(schema))


def writes_only_its_schema(model: type[BaseModel]) -> bool:
    """Whether ``model`` is flat and writes a checked instance as pydantic writes plain fields.

    It must pass `checks_only_its_schema`, hold no other model (an instance inside would be
    taken as it is, unchecked) and have no serializer functions, computed or excluded
    fields, extra fields or serialization options.

    >>> class Order(BaseModel):
    ...     id: int
    ...     tags: list[str] = []
    >>> writes_only_its_schema(Order)
    True
    """
    if not checks_only_its_schema(model):
        return False
    models = 0
    for node in _nodes(model.__pydantic_core_schema__):
        if "serialization" in node or node.get("computed_fields"):
            return False
        kind = node["type"]
        if kind == "model":
            models += 1
            config = node.get("config") or {}
            if _WRITING_CONFIG & config.keys() or config.get("extra_fields_behavior") == "allow":
                return False
        elif kind in ("definitions", "definition-ref"):  # a model nested by reference
            return False
        if kind == "model-field" and not node.keys() <= _PLAIN_FIELD_KEYS:
            return False
    return models == 1


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every schema node (a dict with a ``type``) under ``value``; metadata left out."""
    if isinstance(value, dict):
        if isinstance(value.get("type"), str):
            yield value
        for key, item in value.items():
            if key not in ("metadata", "cls", "config", "serialization", "computed_fields"):
                yield from _nodes(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _nodes(item)


def _plain(node: dict[str, Any]) -> bool:
    kind = node["type"]
    if kind not in _PLAIN_NODES or _WIDENING_KEYS & node.keys():
        return False
    if not _describes_only(node.get("metadata") or {}):
        return False
    if kind == "model":
        config = node.get("config") or {}
        return bool(
            not node.get("custom_init")
            and not node.get("root_model")
            and "post_init" not in node
            and set(config) <= _SAFE_CONFIG
            and _schema_from_fields(node.get("cls"))
        )
    if kind == "model-field":  # AliasChoices or AliasPath read names the schema does not give
        return isinstance(node.get("validation_alias", ""), str)
    if kind == "dict":
        return bool(node.get("keys_schema", {}).get("type") == "str")
    if kind == "union":
        return bool(node.get("mode", "smart") == "smart")
    return True


def _schema_from_fields(cls: Any) -> bool:
    """Whether the model's JSON schema (so the document) is what pydantic writes of it."""
    config = getattr(cls, "model_config", {})
    method = getattr(cls, "model_json_schema", None)
    return (
        config.get("json_schema_extra") is None
        and config.get("json_schema_mode_override") is None
        and getattr(method, "__func__", None) is _JSON_SCHEMA_METHOD
    )


def _describes_only(metadata: dict[str, Any]) -> bool:
    """Whether a node's metadata leaves its JSON schema as pydantic writes it from the node.

    ``json_schema_extra``, ``WithJsonSchema`` or a ``__get_pydantic_json_schema__`` of its
    own could make the document say what the node does not check (``minimum``...).
    """
    for key, value in metadata.items():
        if key == "pydantic_js_updates":
            if not set(value) <= _ANNOTATIONS:
                return False
        elif key == "pydantic_js_functions":
            if any(getattr(f, "__func__", None) is not _MODEL_JSON_SCHEMA for f in value):
                return False
        else:  # pydantic_js_extra, pydantic_js_annotation_functions, anything unknown
            return False
    return True


def twin_models(
    service: Service, generated: GeneratedServer
) -> dict[type[BaseModel], type[BaseModel]]:
    """Generated request models mapped to the service's models that check the same JSON.

    Only the models of ``Json`` API inputs are looked at, and a pair is kept only when the
    service's model passes `checks_only_its_schema` and both give the same JSON schema.
    """
    twins: dict[type[BaseModel], type[BaseModel]] = {}
    # The document names it after the model, with "Input" when its answers differ.
    for own, made in _json_models(service, generated, "input", "Input"):
        if made not in twins and (
            checks_only_its_schema(own) and checks_only_its_schema(made) and _same_schema(own, made)
        ):
            twins[made] = own
    return twins


def answer_twins(
    service: Service, generated: GeneratedServer
) -> dict[type[BaseModel], type[BaseModel]]:
    """The service's models of ``Json`` API outputs mapped to the generated response models
    they write the same JSON as (both `writes_only_its_schema`, the same serialization
    schema)."""
    twins: dict[type[BaseModel], type[BaseModel]] = {}
    # The document names it after the model, with "Output" when its inputs differ.
    for own, made in _json_models(service, generated, "output", "Output"):
        if own not in twins and (
            writes_only_its_schema(own)
            and writes_only_its_schema(made)
            and _same_schema(own, made, mode="serialization")
        ):
            twins[own] = made
    return twins


def _json_models(
    service: Service, generated: GeneratedServer, side: str, suffix: str
) -> Iterator[tuple[type[BaseModel], type[BaseModel]]]:
    """(the service's model, the generated model named after it) of each API whose ``side``
    (input or output) is ``Json`` with a pydantic model; the name is the model's, or the
    model's with ``suffix`` when the document had to tell its two sides apart."""
    from dosirak.io import Json

    models = importlib.import_module(f"{generated.package.__name__}.models")
    for api in service.apis.values():
        descriptor = getattr(api, side)
        if not isinstance(descriptor, Json):
            continue
        own = descriptor.pydantic_model
        if not (isinstance(own, type) and issubclass(own, BaseModel)):
            continue
        for name in (own.__name__, f"{own.__name__}{suffix}"):
            made = getattr(models, name, None)
            if isinstance(made, type) and issubclass(made, BaseModel):
                yield own, made
                break


def _same_schema(
    own: type[BaseModel], made: type[BaseModel], *, mode: JsonSchemaMode = "validation"
) -> bool:
    """Whether both read (or write) JSON by the same schema, whatever their models are named."""
    try:
        mine, theirs = (m.model_json_schema(by_alias=True, mode=mode) for m in (own, made))
        same: bool = _unnamed(mine, mine.get("$defs", {}), ()) == _unnamed(
            theirs, theirs.get("$defs", {}), ()
        )
        return same
    except Exception:  # a schema pydantic cannot write, or a recursive one: not known
        return False


def _unnamed(value: Any, defs: dict[str, Any], seen: tuple[str, ...]) -> Any:
    """``value`` with its ``$ref``s written out and its titles left out."""
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            if name in seen:
                raise RecursionError(name)
            return _unnamed(defs[name], defs, (*seen, name))
        return {
            key: _unnamed(item, defs, seen)
            for key, item in value.items()
            if key not in ("title", "$defs")
        }
    if isinstance(value, list):
        return [_unnamed(item, defs, seen) for item in value]
    return value
