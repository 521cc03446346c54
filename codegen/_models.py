"""JSON Schemas under ``components/schemas`` → pydantic model and alias IR.

Every schema becomes either a model (an object with properties) or a type alias. What the
generated code cannot express is a `Problem` with the JSON pointer of the keyword, and the
builder goes on, so that one run reports every problem of the document.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import uuid
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from . import _ir
from ._names import ClassName, PythonIdentifier
from ._problems import Problem
from ._refs import child, pointer, schema_name

__all__ = ["ModelBuilder", "python_literal"]

_METADATA = frozenset(
    {
        "title",
        "description",
        "examples",
        "example",
        "deprecated",
        "readOnly",
        "writeOnly",
        "default",
        "$comment",
        "format",
        "discriminator",
        "xml",
        "externalDocs",
        "contentMediaType",
        "contentEncoding",
    }
)
_STRING_FORMATS = {
    "date-time": "_dt.datetime",
    "date": "_dt.date",
    "time": "_dt.time",
    "uuid": "_uuid.UUID",
}
_STRING_CONSTRAINTS = {"minLength": "min_length", "maxLength": "max_length", "pattern": "pattern"}
_NUMBER_CONSTRAINTS = {
    "minimum": "ge",
    "maximum": "le",
    "exclusiveMinimum": "gt",
    "exclusiveMaximum": "lt",
    "multipleOf": "multiple_of",
}
_ARRAY_CONSTRAINTS = {"minItems": "min_length", "maxItems": "max_length"}
_MAP_CONSTRAINTS = {"minProperties": "min_length", "maxProperties": "max_length"}
#: The constraints that apply to values of each JSON type (JSON Schema ignores the others).
_CONSTRAINTS_BY_TYPE: dict[str, dict[str, str]] = {
    "string": _STRING_CONSTRAINTS,
    "integer": _NUMBER_CONSTRAINTS,
    "number": _NUMBER_CONSTRAINTS,
    "array": _ARRAY_CONSTRAINTS,
    "object": _MAP_CONSTRAINTS,
}
_ALL_CONSTRAINTS = frozenset(
    {*_STRING_CONSTRAINTS, *_NUMBER_CONSTRAINTS, *_ARRAY_CONSTRAINTS, *_MAP_CONSTRAINTS}
)
_SIMPLE = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
_COMBINATORS = ("$ref", "const", "enum", "anyOf", "oneOf", "allOf")
_STRUCTURAL = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "prefixItems",
        "nullable",
        "uniqueItems",
        *_COMBINATORS,
        *_ALL_CONSTRAINTS,
    }
)
#: Names a field may not take: the builtins annotations use (pydantic would resolve the
#: annotation to the field) and BaseModel's own attributes.
_FIELD_RESERVED = frozenset({"str", "int", "float", "bool", "list", "dict", "set", "tuple"})


def python_literal(value: Any) -> str:
    """Python source for a JSON value, quoted as ``ruff format`` quotes it."""
    if isinstance(value, str):
        return _string_literal(value)
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise TypeError(f"not a JSON value: {value!r}")
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise TypeError(f"not a JSON value: {value!r}")


def _string_literal(value: str) -> str:
    """Double quotes, unless single ones need fewer escapes (ruff format's preference)."""
    single = repr(value)  # Python picks '...' unless the text has ' and no "
    if single.startswith('"'):
        return single
    if value.count('"') > value.count("'"):
        return single
    inner = single[1:-1].replace("\\'", "'").replace('"', '\\"')
    return f'"{inner}"'


def _pascal(text: str) -> str:
    """``sepal_length`` / ``sepalLength`` / ``sepal-length`` → ``SepalLength``."""
    words = [w for w in re.split(r"[^0-9A-Za-z]+", text) if w]
    return "".join(w[0].upper() + w[1:] for w in words)


def _identifier(text: str) -> PythonIdentifier:
    """``text``, already a valid name, as is (`PythonIdentifier` would strip a final ``_``)."""
    assert text.isidentifier(), text
    return str.__new__(PythonIdentifier, text)


def _field_name(prop: str, used: set[str]) -> PythonIdentifier:
    """The Python name of property ``prop``: not one of ``used``, pydantic's or a builtin's."""
    name = str(PythonIdentifier(prop))
    if name.startswith("model_"):  # pydantic's namespace
        name = f"field_{name}"
    elif name in _FIELD_RESERVED or hasattr(BaseModel, name):
        name = f"{name}_"
    candidate, number = name, 1
    while candidate in used:
        number += 1
        candidate = f"{name}_{number}"
    used.add(candidate)
    return _identifier(candidate)


class ModelBuilder:
    """Turns named schemas into `_ir.Model` and `_ir.TypeAlias`, collecting problems."""

    def __init__(self, schemas: dict[str, Any], problems: list[Problem]) -> None:
        self.schemas = schemas
        self.problems = problems
        self.models: dict[str, _ir.Model] = {}
        self.aliases: dict[str, _ir.TypeAlias] = {}
        self.class_names = {name: ClassName(name.lstrip("_") or "Model") for name in schemas}
        self.needs_field = False
        # An alias's value runs when the module is imported, before aliases written after
        # it exist: while building one (eager), a $ref to another alias is inlined.
        self._eager = False
        self._building: list[str] = []
        self._built: set[str] = set()
        seen: dict[str, str] = {}
        for name, cls in self.class_names.items():
            if cls in seen:
                self._problem(
                    pointer("components", "schemas", name),
                    f"schemas {seen[cls]!r} and {name!r} both become class {cls}",
                )
            seen[cls] = name

    def build_all(self) -> None:
        for name in self.schemas:
            if name not in self._built:  # not built on demand already
                self.build(name)

    def build(self, name: str) -> None:
        self._built.add(name)
        schema = self.schemas[name]
        where = pointer("components", "schemas", name)
        cls = self.class_names[name]
        if not isinstance(schema, dict):
            self._problem(where, "a schema must be an object")
            return
        merged = self._merge_all_of(schema)
        if merged is not None:
            schema = merged
        if _is_object_model(schema):
            with self._lazy():
                self.models[cls] = self._model(cls, schema, where)
            return
        self._building.append(name)
        eager, self._eager = self._eager, True
        try:
            annotation = self.annotation(schema, where, cls)
        finally:
            self._eager = eager
            self._building.pop()
        self.aliases[cls] = _ir.TypeAlias(cls, annotation, schema.get("description"))

    @contextlib.contextmanager
    def _lazy(self) -> Iterator[None]:
        """Inside a model: annotations are evaluated late, so they may name any class."""
        eager, self._eager = self._eager, False
        try:
            yield
        finally:
            self._eager = eager

    def _problem(self, where: str, reason: str) -> None:
        self.problems.append(Problem(where, "The schema's model is not generated.", reason))

    def _check_keywords(self, schema: dict[str, Any], where: str) -> None:
        unknown = sorted(
            k
            for k in schema
            if k not in _STRUCTURAL and k not in _METADATA and not k.startswith("x-")
        )
        if unknown:
            self._problem(where, f"keywords {unknown} are not supported yet")
        present = [k for k in _COMBINATORS if k in schema]
        shaped = [
            k for k in ("properties", "items", "prefixItems", "additionalProperties") if k in schema
        ]
        if len(present) > 1 and set(present) - {"enum", "const"}:
            self._problem(where, f"{' and '.join(present)} in one schema are not supported yet")
        elif present and present[0] not in ("enum", "const") and (shaped or "type" in schema):
            self._problem(
                where,
                f"{present[0]} beside {' and '.join(shaped or ['type'])} is not supported yet; "
                "move one of them into an allOf member or a property",
            )

    def _model(self, cls: ClassName, schema: dict[str, Any], where: str) -> _ir.Model:
        self._check_keywords(schema, where)
        for key in sorted(_MAP_CONSTRAINTS):
            if key in schema:
                self._problem(
                    child(where, key), f"{key} on an object with properties is not supported yet"
                )
        required = list(schema.get("required", []))
        properties: dict[str, Any] = dict(schema.get("properties", {}))
        for prop in required:
            if prop not in properties:
                properties[prop] = {}  # required but unconstrained: any value, must be present
        fields: list[_ir.Field] = []
        used: set[str] = set()
        for prop, prop_schema in properties.items():
            prop_where = child(where, "properties", prop)
            name = _field_name(prop, used)
            annotation = self.annotation(prop_schema, prop_where, ClassName(cls + _pascal(prop)))
            is_required = prop in required
            default: str | None = None
            if not is_required:
                if isinstance(prop_schema, dict) and "default" in prop_schema:
                    default = self._default(prop_schema, prop_schema["default"], prop_where)
                    if default == "None" and not _accepts_null(annotation):
                        annotation = f"{annotation} | None"
                else:
                    # Optional without a default: None when left out (unset, so dumps with
                    # exclude_unset leave it out). The annotation then admits null too, as
                    # generated models conventionally do, though the schema may not.
                    default = "None"
                    if not _accepts_null(annotation):
                        annotation = f"{annotation} | None"
            alias = prop if name != prop else None
            description = prop_schema.get("description") if isinstance(prop_schema, dict) else None
            fields.append(_ir.Field(name, alias, annotation, is_required, default, description))
        extra = "ignore"
        additional = schema.get("additionalProperties")
        if additional is False:
            extra = "forbid"
        elif additional not in (None, True, {}):
            self._problem(
                child(where, "additionalProperties"),
                "an object with both properties and typed additionalProperties is not "
                "supported yet",
            )
        elif additional in (True, {}):
            extra = "allow"
        return _ir.Model(cls, schema.get("description"), tuple(fields), extra)

    def _merge_all_of(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        """An ``allOf`` of objects as the one object it means: every property, every
        required name (a later member's property wins). None when a member is not an object.
        """
        members = schema.get("allOf")
        if not isinstance(members, list) or len(members) < 2:
            return None
        properties: dict[str, Any] = {}
        required: list[str] = []
        for member in members:
            resolved = self._resolve(member, set())
            if not isinstance(resolved, dict) or "allOf" in resolved:
                resolved = self._merge_all_of(resolved) if isinstance(resolved, dict) else None
            if (
                not isinstance(resolved, dict)
                or resolved.get("type", "object") != "object"
                or any(k in resolved for k in ("anyOf", "oneOf", "enum", "const", "items"))
            ):
                return None
            properties.update(resolved.get("properties", {}))
            required += [r for r in resolved.get("required", []) if r not in required]
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        merged.update({"type": "object", "properties": properties})
        if required:
            merged["required"] = required
        return merged

    def _default(self, schema: dict[str, Any], value: Any, where: str) -> str | None:
        """Python source for a property's default, of the type its annotation says."""
        where = child(where, "default")
        if value is None:
            return "None"
        if self._is_plain(schema, set()):
            try:
                return python_literal(value)
            except TypeError as exc:
                self._problem(where, str(exc))
                return None
        fmt = self._string_format(schema, set())
        if fmt is not None and isinstance(value, str):
            source = _format_default(fmt, value)
            if source is None:
                self._problem(where, f"default {value!r} is not a valid {fmt}")
            return source
        self._problem(
            where,
            "a default for a property whose type is a model, or a date, time or uuid inside "
            "an array or object, is not supported yet",
        )
        return None

    def _resolve(self, schema: Any, seen: set[str]) -> Any:
        """Follow ``$ref`` and single-member ``allOf`` to the schema that shapes values."""
        while isinstance(schema, dict):
            if "$ref" in schema:
                name = schema_name(schema["$ref"])
                if name is None or name not in self.schemas or name in seen:
                    return None
                seen.add(name)
                schema = self.schemas[name]
            elif isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
                schema = schema["allOf"][0]
            else:
                return schema
        return schema

    def _string_format(self, schema: Any, seen: set[str]) -> str | None:
        """The date, time or uuid format of ``schema``, or of its one member that has one."""
        resolved = self._resolve(schema, seen)
        if not isinstance(resolved, dict):
            return None
        fmt = resolved.get("format")
        types = resolved.get("type")
        if fmt in _STRING_FORMATS and (
            types == "string" or (isinstance(types, list) and "string" in types)
        ):
            return str(fmt)
        members = [*resolved.get("anyOf", []), *resolved.get("oneOf", [])]
        found = {self._string_format(m, set(seen)) for m in members} - {None}
        return found.pop() if len(found) == 1 else None

    def _is_plain(self, schema: Any, seen: set[str]) -> bool:
        """True when a JSON value of ``schema`` is, as a Python literal, of its annotation."""
        resolved = self._resolve(schema, seen)
        if resolved is True or resolved == {}:
            return True
        if not isinstance(resolved, dict):
            return False
        if "enum" in resolved or "const" in resolved:
            return True
        if _is_object_model(resolved) or self._string_format(resolved, set(seen)) is not None:
            return False
        if resolved.get("uniqueItems") is True:
            return False  # a set
        members = [
            *resolved.get("anyOf", []),
            *resolved.get("oneOf", []),
            *resolved.get("allOf", []),
            *resolved.get("prefixItems", []),
        ]
        if "prefixItems" in resolved:
            return False  # a tuple
        for key in ("items", "additionalProperties"):
            if isinstance(resolved.get(key), dict):
                members.append(resolved[key])
        return all(self._is_plain(m, set(seen)) for m in members)

    def annotation(self, schema: Any, where: str, inline_name: ClassName) -> str:
        """The Python annotation for ``schema``; inline objects become models."""
        if schema is True or schema == {}:
            return "_t.Any"
        if not isinstance(schema, dict):
            self._problem(where, f"unsupported schema {schema!r}")
            return "_t.Any"
        self._check_keywords(schema, where)
        kind = schema.get("type")
        if isinstance(kind, list) and not any(k in schema for k in _COMBINATORS):
            parts = [self._typed(schema, k, where, inline_name) for k in kind]
            base = _union(parts)
        else:
            base = self._typed(schema, kind, where, inline_name)
        if schema.get("nullable") is True and not base.endswith("| None") and base != "None":
            base = f"{base} | None"
        return base

    def _typed(self, schema: dict[str, Any], kind: Any, where: str, inline_name: ClassName) -> str:
        """The annotation of ``schema`` for one JSON type ``kind``, with its constraints."""
        base = self._base_annotation(schema, kind, where, inline_name)
        present = sorted(k for k in _ALL_CONSTRAINTS if k in schema)
        if not present:
            return base
        if kind is None:
            if "items" in schema or "prefixItems" in schema:
                kind = "array"
            elif "properties" in schema:
                kind = "object"
        if kind is None or isinstance(kind, list) or any(k in schema for k in _COMBINATORS):
            self._problem(
                where,
                f"constraints {present} are supported only beside one type "
                "(not beside $ref, enum, const or a combinator)",
            )
            return base
        if kind not in _CONSTRAINTS_BY_TYPE:
            return base  # JSON Schema applies these constraints to other types only
        if kind == "object" and not base.startswith("dict["):
            return base  # a model: _model reports the constraints it cannot carry
        args: list[str] = []
        for key, arg in _CONSTRAINTS_BY_TYPE[kind].items():
            if key not in schema:
                continue
            value = schema[key]
            if key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
                continue  # OpenAPI 3.0: a flag on minimum/maximum, applied there
            if (
                key in ("minimum", "maximum")
                and schema.get(f"exclusive{key[:1].upper()}{key[1:]}") is True
            ):
                arg = "gt" if key == "minimum" else "lt"
            if key == "pattern":
                if self._check_pattern(value, child(where, key)):
                    args.append(f"{arg}={python_literal(value)}")
                continue
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                self._problem(child(where, key), f"{key} {value!r} is not a number")
                continue
            args.append(f"{arg}={python_literal(value)}")
        if not args:
            return base
        self.needs_field = True
        return f"_t.Annotated[{base}, _pydantic.Field({', '.join(args)})]"

    def _check_pattern(self, pattern: Any, where: str) -> bool:
        if not isinstance(pattern, str):
            self._problem(where, f"pattern {pattern!r} is not a string")
            return False
        try:
            re.compile(pattern)
        except re.error as exc:
            self._problem(where, f"pattern {pattern!r} is not a regular expression: {exc}")
            return False
        from pydantic_core import SchemaError, SchemaValidator, core_schema

        try:
            SchemaValidator(core_schema.str_schema(pattern=pattern))
        except SchemaError:
            self._problem(
                where,
                f"pattern {pattern!r} uses what pydantic's regex engine lacks "
                "(look-around or backreferences); it is not supported yet",
            )
            return False
        return True

    def _base_annotation(
        self, schema: dict[str, Any], kind: Any, where: str, inline_name: ClassName
    ) -> str:
        if "$ref" in schema:
            return self._ref(schema["$ref"], child(where, "$ref"))
        if "const" in schema:
            return self._literal([schema["const"]], child(where, "const"))
        if "enum" in schema:
            return self._literal(schema["enum"], child(where, "enum"))
        for key in ("anyOf", "oneOf"):
            if key in schema:
                parts = [
                    self.annotation(s, child(where, key, i), ClassName(f"{inline_name}{i}"))
                    for i, s in enumerate(schema[key])
                ]
                return _union(parts)
        if "allOf" in schema:
            if len(schema["allOf"]) == 1:
                return self.annotation(schema["allOf"][0], child(where, "allOf", 0), inline_name)
            merged = self._merge_all_of(schema)
            if merged is not None:
                return self.annotation(merged, where, inline_name)
            self._problem(
                child(where, "allOf"),
                "allOf is supported for objects only (each member an object or a $ref to one)",
            )
            return "_t.Any"
        if kind == "array" or (kind is None and ("items" in schema or "prefixItems" in schema)):
            return self._array(schema, where, inline_name)
        if kind == "object" or (kind is None and "properties" in schema):
            return self._object(schema, where, inline_name)
        if kind == "string" and schema.get("format") in _STRING_FORMATS:
            return _STRING_FORMATS[schema["format"]]
        if kind in _SIMPLE:
            return _SIMPLE[kind]
        if kind is None:
            return "_t.Any"
        self._problem(child(where, "type"), f"unknown type {kind!r}")
        return "_t.Any"

    def _ref(self, ref: Any, where: str) -> str:
        name = schema_name(ref) if isinstance(ref, str) else None
        if name is None or name not in self.class_names:
            self._problem(where, f"$ref {ref!r} does not name a schema under components/schemas")
            return "_t.Any"
        cls = self.class_names[name]
        target = self.schemas[name]
        if isinstance(target, dict) and _is_object_model(target):
            if target.get("nullable") is True:
                return f"{cls} | None"  # OpenAPI 3.0: a nullable component accepts null where used
            return cls
        merged = self._merge_all_of(target) if isinstance(target, dict) else None
        if not self._eager or (merged is not None and _is_object_model(merged)):
            return cls
        if name in self._building:
            return cls  # recursion: the alias becomes a TypeAliasType, read late
        if name not in self._built:
            self.build(name)
        alias = self.aliases.get(cls)
        if alias is None:
            return "_t.Any"
        return cls if alias.recursive else alias.annotation

    def _literal(self, values: Any, where: str) -> str:
        if (
            not isinstance(values, list)
            or not values
            or not all(v is None or isinstance(v, (str, int, bool)) for v in values)
        ):
            self._problem(
                where, f"enum values {values!r} must be strings, integers, booleans or null"
            )
            return "_t.Any"
        literals = [python_literal(v) for v in values if v is not None]
        if not literals:
            return "None"
        annotation = f"_t.Literal[{', '.join(literals)}]"
        return f"{annotation} | None" if None in values else annotation

    def _array(self, schema: dict[str, Any], where: str, inline_name: ClassName) -> str:
        if "prefixItems" in schema:
            parts = [
                self.annotation(s, child(where, "prefixItems", i), ClassName(f"{inline_name}{i}"))
                for i, s in enumerate(schema["prefixItems"])
            ]
            if schema.get("items", False) is not False:
                self._problem(where, "prefixItems followed by more items is not supported yet")
            return f"tuple[{', '.join(parts)}]"
        item = self.annotation(
            schema.get("items", {}), child(where, "items"), ClassName(f"{inline_name}Item")
        )
        if schema.get("uniqueItems") is True:
            if item in ("str", "int", "float", "bool"):
                return f"set[{item}]"
            self._problem(
                child(where, "uniqueItems"), "uniqueItems is supported for arrays of scalars only"
            )
        return f"list[{item}]"

    def _object(self, schema: dict[str, Any], where: str, inline_name: ClassName) -> str:
        if schema.get("properties"):
            name = inline_name
            while name in self.models or name in self.aliases or name in self.class_names.values():
                name = ClassName(f"{name}Inline")
            self.models[name] = _ir.Model(name, None, (), "ignore")  # reserve the name
            with self._lazy():
                self.models[name] = self._model(name, schema, where)
            return name
        additional = schema.get("additionalProperties", True)
        if additional is True or additional == {}:
            return "dict[str, _t.Any]"
        if additional is False:  # no property may appear: only {} fits
            self.needs_field = True
            return "_t.Annotated[dict[str, _t.Any], _pydantic.Field(max_length=0)]"
        value = self.annotation(
            additional, child(where, "additionalProperties"), ClassName(f"{inline_name}Value")
        )
        return f"dict[str, {value}]"


def _accepts_null(annotation: str) -> bool:
    return annotation in ("None", "_t.Any") or annotation.endswith("| None")


def _is_object_model(schema: dict[str, Any]) -> bool:
    return (
        schema.get("type") in ("object", None)
        and bool(schema.get("properties"))
        and not any(k in schema for k in _COMBINATORS)
    )


def _format_default(fmt: str, value: str) -> str | None:
    """Constructor source for a date, time or uuid default; None when it does not parse."""
    try:
        if fmt == "uuid":
            return f"_uuid.UUID({python_literal(str(uuid.UUID(value)))})"
        # Parsed here so that a bad default fails generation; written back in the form
        # fromisoformat reads on every Python this package supports ("+00:00", not "Z").
        parsed: dt.datetime | dt.date | dt.time
        if fmt == "date-time":
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        elif fmt == "date":
            parsed = dt.date.fromisoformat(value)
        else:
            parsed = dt.time.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    kind = {"date-time": "datetime", "date": "date", "time": "time"}[fmt]
    return f"_dt.{kind}.fromisoformat({python_literal(parsed.isoformat())})"


def _union(parts: list[str]) -> str:
    unique: list[str] = []
    for part in parts:
        for member in _split_union(part):
            if member not in unique:
                unique.append(member)
    if "None" in unique:  # conventional spelling: X | None last
        unique.remove("None")
        unique.append("None")
    return " | ".join(unique)


def _split_union(annotation: str) -> list[str]:
    """The top-level members of ``A | B[C | D]`` → ``["A", "B[C | D]"]``."""
    members: list[str] = []
    depth = 0
    start = 0
    quote: str | None = None
    for i, char in enumerate(annotation):
        if quote:
            if char == quote and annotation[i - 1] != "\\":
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        elif char == "|" and depth == 0:
            members.append(annotation[start:i].strip())
            start = i + 1
    members.append(annotation[start:].strip())
    return members
