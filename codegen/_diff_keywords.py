"""What changed between two schemas' own keywords (type, format, enum, bounds, pattern).

Pure functions: each says whether the new schema accepts fewer values (``narrowed``),
more (``widened``), or both; whether that breaks depends on the direction, which the
caller knows. Subschemas (properties, items, alternatives) are the caller's business.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["Finding", "kebab", "keyword_findings", "schema_types"]

#: Formats whose values are all values of another one (the wider one second).
_WIDER_FORMATS = {("int32", "int64"), ("float", "double")}
#: Lengths and counts, as (keyword, is an upper bound); a minimum of 0 is no minimum.
_COUNTS = (
    ("maxLength", True),
    ("minLength", False),
    ("maxItems", True),
    ("minItems", False),
    ("maxProperties", True),
    ("minProperties", False),
)
#: Annotations: their change never breaks anyone.
_ANNOTATIONS = ("description", "default", "deprecated")


@dataclass(frozen=True)
class Finding:
    """A change of a schema's keywords; neither narrowed nor widened: an annotation."""

    rule: str  # after the subject: "max-length-decreased"
    message: str
    narrowed: bool = False  # the new schema refuses values the old one accepted
    widened: bool = False  # the new schema accepts values the old one refused


def keyword_findings(old: dict[str, Any], new: dict[str, Any]) -> list[Finding]:
    """Every keyword change from ``old`` to ``new`` (``allOf`` already merged into each)."""
    found = [*_types(old, new), *_format(old, new), *_enum(old, new)]
    for upper in (True, False):
        found += _numeric_bound(old, new, upper)
    for keyword, upper in _COUNTS:
        found += _count(old, new, keyword, upper)
    found += [*_multiple_of(old, new), *_pattern(old, new), *_unique_items(old, new)]
    found += _annotations(old, new)
    return found


def schema_types(schema: dict[str, Any]) -> frozenset[str] | None:
    """The JSON types a schema allows (3.0 ``nullable`` as ``"null"``); None: any."""
    declared = schema.get("type")
    if declared is None:
        return None
    types = {declared} if isinstance(declared, str) else {str(t) for t in declared}
    if schema.get("nullable") is True:
        types.add("null")
    return frozenset(types)


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _types_text(types: frozenset[str]) -> str:
    names = sorted(types)
    return repr(names[0]) if len(names) == 1 else "[" + ", ".join(map(repr, names)) + "]"


def _covered(kind: str, types: frozenset[str]) -> bool:
    return kind in types or (kind == "integer" and "number" in types)


def _types(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Finding]:
    before, after = schema_types(old), schema_types(new)
    if before is None or after is None:
        if after is not None:
            yield Finding("type-changed", f"type now restricted to {_types_text(after)}", True)
        elif before is not None:
            message = f"type no longer restricted (was {_types_text(before)})"
            yield Finding("type-changed", message, widened=True)
        return
    if "null" in before and "null" not in after:
        yield Finding("nullable-removed", "no longer nullable", narrowed=True)
    elif "null" in after and "null" not in before:
        yield Finding("nullable-added", "became nullable", widened=True)
    old_kinds, new_kinds = before - {"null"}, after - {"null"}
    removed = {k for k in old_kinds if not _covered(k, new_kinds)}
    added = {k for k in new_kinds if not _covered(k, old_kinds)}
    if removed or added:
        yield Finding(
            "type-changed",
            f"type changed from {_types_text(old_kinds)} to {_types_text(new_kinds)}",
            narrowed=bool(removed),
            widened=bool(added),
        )


def _format(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Finding]:
    before, after = old.get("format"), new.get("format")
    if before == after:
        return
    if before is None:
        yield Finding("format-changed", f"format {after!r} added", narrowed=True)
    elif after is None:
        yield Finding("format-changed", f"format {before!r} removed", widened=True)
    else:
        widened = (before, after) in _WIDER_FORMATS
        narrowed = (after, before) in _WIDER_FORMATS
        if not (narrowed or widened):  # unrelated formats: either way may break
            narrowed = widened = True
        message = f"format changed from {before!r} to {after!r}"
        yield Finding("format-changed", message, narrowed, widened)


def _enum_values(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The allowed values by their JSON text (``const`` is a one-value enum); None: any."""
    if "const" in schema:
        return {_show(schema["const"]): schema["const"]}
    enum = schema.get("enum")
    return {_show(v): v for v in enum} if isinstance(enum, list) else None


def _enum(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Finding]:
    before, after = _enum_values(old), _enum_values(new)
    if before == after:
        return
    if before is None:
        yield Finding("enum-added", f"now limited to {', '.join(after or ())}", narrowed=True)
    elif after is None:
        yield Finding("enum-removed", f"no longer limited to {', '.join(before)}", widened=True)
    else:
        removed = [v for v in before if v not in after]
        added = [v for v in after if v not in before]
        if removed:
            plural = "s" if len(removed) > 1 else ""
            message = f"enum value{plural} {', '.join(removed)} removed"
            yield Finding("enum-value-removed", message, narrowed=True)
        if added:
            plural = "s" if len(added) > 1 else ""
            message = f"enum value{plural} {', '.join(added)} added"
            yield Finding("enum-value-added", message, widened=True)


def _bound(schema: dict[str, Any], upper: bool) -> tuple[float, bool] | None:
    """The upper (or lower) numeric bound and whether it is exclusive, 3.0 or 3.1 style."""
    plain = schema.get("maximum" if upper else "minimum")
    exclusive = schema.get("exclusiveMaximum" if upper else "exclusiveMinimum")
    if isinstance(exclusive, bool):  # OpenAPI 3.0: a flag on maximum/minimum
        return None if plain is None else (float(plain), exclusive)
    bounds: list[tuple[float, bool]] = []
    if isinstance(plain, int | float):
        bounds.append((float(plain), False))
    if isinstance(exclusive, int | float):
        bounds.append((float(exclusive), True))
    if not bounds:
        return None
    return min(bounds, key=_upper_key) if upper else max(bounds, key=_lower_key)


def _upper_key(bound: tuple[float, bool]) -> tuple[float, bool]:
    return bound[0], not bound[1]  # smaller is tighter; "< 5" is tighter than "<= 5"


def _lower_key(bound: tuple[float, bool]) -> tuple[float, bool]:
    return bound  # larger is tighter; "> 5" is tighter than ">= 5"


def _show_bound(bound: tuple[float, bool], upper: bool) -> str:
    value = int(bound[0]) if bound[0].is_integer() else bound[0]
    sign = ("<" if bound[1] else "<=") if upper else (">" if bound[1] else ">=")
    return f"{sign} {value}"


def _numeric_bound(old: dict[str, Any], new: dict[str, Any], upper: bool) -> Iterator[Finding]:
    before, after = _bound(old, upper), _bound(new, upper)
    if before == after:
        return
    name = "maximum" if upper else "minimum"
    if before is None and after is not None:
        yield Finding(f"{name}-set", f"{name} set: {_show_bound(after, upper)}", narrowed=True)
    elif after is None and before is not None:
        message = f"{name} removed (was {_show_bound(before, upper)})"
        yield Finding(f"{name}-removed", message, widened=True)
    elif before is not None and after is not None:
        if upper:
            tighter = _upper_key(after) < _upper_key(before)
        else:
            tighter = _lower_key(after) > _lower_key(before)
        verb = "decreased" if tighter == upper else "increased"
        message = f"{name} {verb} from {_show_bound(before, upper)} to {_show_bound(after, upper)}"
        yield Finding(f"{name}-{verb}", message, narrowed=tighter, widened=not tighter)


def kebab(keyword: str) -> str:
    """``maxLength`` as ``max-length``, for rule ids."""
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in keyword)


def _count(
    old: dict[str, Any], new: dict[str, Any], keyword: str, upper: bool
) -> Iterator[Finding]:
    before, after = old.get(keyword), new.get(keyword)
    if not upper:
        before, after = before or None, after or None
    if before == after:
        return
    rule = kebab(keyword)
    if before is None:
        yield Finding(f"{rule}-set", f"{keyword} set to {after}", narrowed=True)
    elif after is None:
        yield Finding(f"{rule}-removed", f"{keyword} {before} removed", widened=True)
    else:
        tighter = after < before if upper else after > before
        verb = "decreased" if after < before else "increased"
        message = f"{keyword} {verb} from {before} to {after}"
        yield Finding(f"{rule}-{verb}", message, narrowed=tighter, widened=not tighter)


def _multiple_of(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Finding]:
    before, after = old.get("multipleOf"), new.get("multipleOf")
    if before == after:
        return
    if before is None:
        yield Finding("multiple-of-set", f"multipleOf set to {after}", narrowed=True)
    elif after is None:
        yield Finding("multiple-of-removed", f"multipleOf {before} removed", widened=True)
    else:
        # Multiples of 10 are multiples of 5: a divisor of the old value widens.
        widened = (before / after).is_integer()
        narrowed = (after / before).is_integer()
        if not (widened or narrowed):
            widened = narrowed = True
        message = f"multipleOf changed from {before} to {after}"
        yield Finding("multiple-of-changed", message, narrowed, widened)


def _pattern(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Finding]:
    before, after = old.get("pattern"), new.get("pattern")
    if before == after:
        return
    if before is None:
        yield Finding("pattern-added", f"pattern {after!r} added", narrowed=True)
    elif after is None:
        yield Finding("pattern-removed", f"pattern {before!r} removed", widened=True)
    else:
        # Regular expressions cannot be compared in general: either way may break.
        message = f"pattern changed from {before!r} to {after!r}"
        yield Finding("pattern-changed", message, narrowed=True, widened=True)


def _unique_items(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Finding]:
    before, after = bool(old.get("uniqueItems")), bool(new.get("uniqueItems"))
    if after and not before:
        yield Finding("unique-items-set", "items must now be unique", narrowed=True)
    elif before and not after:
        yield Finding("unique-items-removed", "items no longer need be unique", widened=True)


def _annotations(old: dict[str, Any], new: dict[str, Any]) -> Iterator[Finding]:
    for keyword in _ANNOTATIONS:
        before, after = old.get(keyword), new.get(keyword)
        if before == after:
            continue
        if keyword == "deprecated":
            message = "deprecated" if after else "no longer deprecated"
        elif keyword == "default":
            message = f"default changed from {_show(before)} to {_show(after)}"
        else:
            message = "description changed"
        yield Finding(f"{keyword}-changed", message)
