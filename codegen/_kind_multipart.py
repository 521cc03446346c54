"""The ``multipart`` IO kind: ``multipart/form-data`` whose named parts are other kinds.

Reads only the ``x-dosirak-io`` dict: ``{"type": "multipart", "parts": {name: spec}}``,
each part's spec that of its own kind (a JSON part's ``model`` is its component's name).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "FORM_DATA",
    "multipart_encoding",
    "multipart_media_types",
    "multipart_params",
    "multipart_python_type",
    "multipart_schema",
    "multipart_summary",
]

Spec = dict[str, Any]

FORM_DATA = "multipart/form-data"
_REF = "#/components/schemas/"


def _parts(spec: Spec) -> list[tuple[str, Spec, Any]]:
    """Each part's name, spec and Kind (imported late: the registry holds this kind too)."""
    from ._kinds import KINDS

    parts: dict[str, Spec] = spec.get("parts") or {}
    unknown = {n: p.get("type") for n, p in parts.items() if p.get("type") not in KINDS}
    if unknown:
        raise ValueError(f"multipart parts of unknown IO types: {unknown}")
    return [(name, part, KINDS[part["type"]]) for name, part in parts.items()]


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
            model = {"$ref": _REF + part["model"]}
        properties[name] = kind.schema(part, kind.media_types(part)[0], model, components)
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def multipart_encoding(spec: Spec, media_type: str) -> dict[str, Any]:
    """Each part's Content-Type: the default of its kind (the runtime takes its others)."""
    return {name: {"contentType": kind.media_types(part)[0]} for name, part, kind in _parts(spec)}


def multipart_python_type(spec: Spec) -> str:
    types = list(dict.fromkeys(kind.python_type(part) for _, part, kind in _parts(spec)))
    return f"dict[str, {' | '.join(types)}]"


def multipart_params(spec: Spec) -> list[tuple[str, Any]]:
    parts = {
        name: (part["type"], kind.media_types(part), dict(kind.params(part)))
        for name, part, kind in _parts(spec)
    }
    return [("parts", parts)]


def multipart_summary(spec: Spec) -> str:
    described = ", ".join(f"{name} ({kind.summary(part)})" for name, part, kind in _parts(spec))
    return f"a multipart form of {described}"
