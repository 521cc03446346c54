"""Identifiers as types that sanitise themselves, so no invalid name reaches a template."""

from __future__ import annotations

import keyword
import re

__all__ = ["ClassName", "PythonIdentifier"]

_NON_WORD = re.compile(r"[^0-9A-Za-z_]+")
# Names generated modules use themselves, or that would shadow BaseModel's API.
_RESERVED = frozenset(
    {
        "self",
        "cls",
        "model_config",
        "model_fields",
        "model_computed_fields",
        "schema",
        "json",
        "dict",
        "copy",
        "validate",
        "construct",
        "fields",
        "request",
        "context",
        "operations",
    }
)


class PythonIdentifier(str):
    """A snake_case identifier made from any string: ``"find pet by id"`` → ``find_pet_by_id``."""

    __slots__ = ()

    def __new__(cls, value: str, *, prefix: str = "field") -> PythonIdentifier:
        text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", value)
        text = _NON_WORD.sub("_", text).strip("_").lower()
        text = re.sub(r"_+", "_", text)
        if not text:
            text = prefix
        if text[0].isdigit():
            text = f"{prefix}_{text}"
        if keyword.iskeyword(text) or keyword.issoftkeyword(text) or text in _RESERVED:
            text = f"{text}_"
        return super().__new__(cls, text)


class ClassName(str):
    """A PascalCase class name made from any string: ``"iris-input"`` → ``IrisInput``."""

    __slots__ = ()

    def __new__(cls, value: str) -> ClassName:
        parts = [p for p in re.split(r"[^0-9A-Za-z]+", value) if p]
        text = "".join(p[0].upper() + p[1:] for p in parts) or "Model"
        if text[0].isdigit():
            text = f"Model{text}"
        if keyword.iskeyword(text):
            text = f"{text}_"
        return super().__new__(cls, text)
