"""The ``multipart`` IO kind: ``multipart/form-data`` whose named parts are other kinds.

Reads only the ``x-dosirak-io`` dict: ``{"type": "multipart", "parts": {name: spec}}``,
each part's spec that of its own kind (a JSON part's ``model`` is its component's name),
and, when some are, the names of the ``repeated`` parts (several under one name: an
array of the part's schema) and of the ``optional`` ones (not ``required``)::

    {"type": "multipart", "parts": {"files": {"type": "file"}, "meta": {"type": "text"}},
     "repeated": ["files"], "optional": ["meta"]}
"""

from __future__ import annotations

from typing import Any

from ._problems import Problem
from ._refs import SCHEMAS, escape, follow, schema_name

__all__ = [
    "FORM_DATA",
    "multipart_encoding",
    "multipart_imports",
    "multipart_media_types",
    "multipart_params",
    "multipart_python_type",
    "multipart_schema",
    "multipart_spec_of",
    "multipart_summary",
]

Spec = dict[str, Any]

FORM_DATA = "multipart/form-data"


def _parts(spec: Spec) -> list[tuple[str, Spec, Any]]:
    """Each part's name, spec and Kind (imported late: the registry holds this kind too)."""
    from ._kinds import KINDS

    parts: dict[str, Spec] = spec.get("parts") or {}
    unknown = {n: p.get("type") for n, p in parts.items() if p.get("type") not in KINDS}
    if unknown:
        raise ValueError(f"multipart parts of unknown IO types: {unknown}")
    return [(name, part, KINDS[part["type"]]) for name, part in parts.items()]


def _flags(spec: Spec, name: str) -> tuple[str, ...]:
    """The runtime codec's flags of a part (see ``dosirak.runtime.codecs.multipart``)."""
    return tuple(flag for flag in ("repeated", "optional") if name in (spec.get(flag) or ()))


def multipart_media_types(spec: Spec) -> tuple[str, ...]:
    return (FORM_DATA,)


def multipart_schema(
    spec: Spec,
    media_type: str,
    model_schemas: dict[str, Any] | None,
    components: dict[str, Any],
) -> dict[str, Any]:
    """An object with one property per part, each the schema of its part's default type.

    ``model_schemas`` holds each part's model schema by part name, as the document
    builder found it; parsing a document, a JSON part's ``model`` names its component.
    """
    properties: dict[str, Any] = {}
    for name, part, kind in _parts(spec):
        model = (model_schemas or {}).get(name)
        if model is None and part.get("model"):
            model = {"$ref": SCHEMAS + escape(part["model"])}
        schema = kind.schema(part, kind.media_types(part)[0], model, components)
        if "repeated" in _flags(spec, name):
            schema = {"type": "array", "items": schema}
        properties[name] = schema
    return {
        "type": "object",
        "properties": properties,
        "required": [n for n in properties if "optional" not in _flags(spec, n)],
        "additionalProperties": False,
    }


def multipart_encoding(spec: Spec, media_type: str) -> dict[str, Any]:
    """Each part's Content-Type: the default of its kind (the runtime takes its others)."""
    return {name: {"contentType": kind.media_types(part)[0]} for name, part, kind in _parts(spec)}


def multipart_imports(spec: Spec) -> tuple[str, ...]:
    """What the parts' types import (an image part: PIL), each once."""
    return tuple(
        dict.fromkeys(line for _, part, kind in _parts(spec) for line in kind.imports(part))
    )


def multipart_python_type(spec: Spec) -> str:
    types: list[str] = []
    for name, part, kind in _parts(spec):
        flags = _flags(spec, name)
        one = kind.python_type(part)
        types.append(f"list[{one}]" if "repeated" in flags else one)
        if "optional" in flags:
            types.append("None")
    distinct = list(dict.fromkeys(t for t in types if t != "None"))
    if "None" in types:
        distinct.append("None")
    return f"dict[str, {' | '.join(distinct)}]"


def multipart_params(spec: Spec) -> list[tuple[str, Any]]:
    parts: dict[str, tuple[Any, ...]] = {}
    for name, part, kind in _parts(spec):
        parts[name] = (part["type"], kind.media_types(part), dict(kind.params(part)))
        if _flags(spec, name):
            parts[name] += (_flags(spec, name),)
    return [("parts", parts)]


def multipart_summary(spec: Spec) -> str:
    described = ", ".join(
        f"{name} ({', '.join([kind.summary(part), *_flags(spec, name)])})"
        for name, part, kind in _parts(spec)
    )
    return f"a multipart form of {described}"


_SCALARS = frozenset({"string", "number", "integer", "boolean", "null"})


def _resolve(schema: Any, schemas: dict[str, Any]) -> tuple[Any, str | None]:
    """A schema with its ``$ref`` chain to components/schemas followed, and the last name.

    A chain that cannot be followed is left as it is: the models built from the same
    components report it (`ModelBuilder`), where it is.
    """
    found = follow({"components": {"schemas": schemas}}, schema, "", "")
    if isinstance(found, Problem) or found.ref is None:
        return schema, None
    return found.node, schema_name(found.ref)


def _is_binary(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and schema.get("type") == "string"
        and (schema.get("format") == "binary" or "contentMediaType" in schema)
    )


def _part_of(schema: Any, name: str | None, content_type: str | None) -> tuple[Spec, bool]:
    """A property's part spec, and whether it repeats (an array of files)."""
    if not isinstance(schema, dict):
        return {"type": "text"}, False  # `true`: anything, sent as a form field
    items = schema.get("items")
    if _is_binary(schema) or (schema.get("type") == "array" and _is_binary(items)):
        binary: dict[str, Any] = schema if _is_binary(schema) else dict(items or {})
        mime = content_type or binary.get("contentMediaType")
        return {"type": "file", "mime_type": mime}, not _is_binary(schema)
    types = schema.get("type")
    types = [types] if isinstance(types, str) else types
    structured = ("properties", "items", "anyOf", "oneOf", "allOf", "$ref")
    scalar = types is None or (isinstance(types, list) and set(types) <= _SCALARS)
    if scalar and not any(key in schema for key in structured):
        return {"type": "text"}, False  # a form field: its text, as the caller typed it
    return {"type": "json", "model": name}, False


def multipart_spec_of(
    schema: Any, encoding: dict[str, Any], schemas: dict[str, Any]
) -> Spec | None:
    """The multipart spec of a ``multipart/form-data`` body a document gives no
    ``x-dosirak-io`` for: one part per property of its object schema (``$ref``\\ s to
    components/schemas followed), None if it has none.

    A binary string (``format: binary`` or ``contentMediaType``) is a file part, an array
    of them a repeated one (several files under one name); a scalar or untyped property a
    text part (a form field); anything else a JSON part (of the component it names, if
    any). Properties not ``required`` are optional parts.
    """
    schema, _ = _resolve(schema, schemas)
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or not properties:
        return None
    required = set(schema.get("required") or ())
    parts: dict[str, Spec] = {}
    repeated: list[str] = []
    for name, raw in properties.items():
        resolved, model = _resolve(raw, schemas)
        content_type = (encoding.get(name) or {}).get("contentType")
        if isinstance(content_type, str):  # may list several: the first is sent
            content_type = content_type.split(",")[0].strip() or None
        parts[name], repeats = _part_of(resolved, model, content_type)
        if repeats:
            repeated.append(name)
    spec: Spec = {"type": "multipart", "parts": parts}
    if repeated:
        spec["repeated"] = repeated
    optional = [name for name in parts if name not in required]
    if optional:
        spec["optional"] = optional
    return spec
