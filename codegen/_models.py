"""JSON Schemas under ``components/schemas`` → pydantic model and alias IR."""

from __future__ import annotations

from typing import Any

from . import _ir
from ._names import ClassName, PythonIdentifier
from ._problems import Problem, pointer

__all__ = ["ModelBuilder", "python_literal"]

_METADATA = frozenset(
    {"title", "description", "examples", "example", "deprecated", "readOnly", "writeOnly",
     "default", "$comment", "format", "discriminator", "xml", "externalDocs", "contentMediaType",
     "contentEncoding"}
)
_STRING_FORMATS = {"date-time": "_dt.datetime", "date": "_dt.date", "time": "_dt.time",
                   "uuid": "_uuid.UUID"}
_CONSTRAINTS = {
    "minLength": "min_length", "maxLength": "max_length", "pattern": "pattern",
    "minimum": "ge", "maximum": "le", "exclusiveMinimum": "gt", "exclusiveMaximum": "lt",
    "multipleOf": "multiple_of", "minItems": "min_length", "maxItems": "max_length",
}
_SIMPLE = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
_STRUCTURAL = frozenset({"type", "properties", "required", "additionalProperties", "items",
                         "prefixItems", "anyOf", "oneOf", "allOf", "enum", "const", "$ref",
                         "nullable", "uniqueItems", *_CONSTRAINTS})


def python_literal(value: Any) -> str:
    """Python source for a JSON value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise TypeError(f"not a JSON value: {value!r}")


class ModelBuilder:
    """Turns named schemas into `_ir.Model` and `_ir.TypeAlias`, collecting problems."""

    def __init__(self, schemas: dict[str, Any], problems: list[Problem]) -> None:
        self.schemas = schemas
        self.problems = problems
        self.models: dict[str, _ir.Model] = {}
        self.aliases: dict[str, _ir.TypeAlias] = {}
        self.class_names = {name: ClassName(name) for name in schemas}
        self.needs_datetime = False
        self.needs_uuid = False
        self.needs_field = False
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
            self.build(name)

    def build(self, name: str) -> None:
        schema = self.schemas[name]
        where = pointer("components", "schemas", name)
        cls = self.class_names[name]
        if not isinstance(schema, dict):
            self._problem(where, "a schema must be an object")
            return
        if _is_object_model(schema):
            self.models[cls] = self._model(cls, schema, where)
        else:
            self.aliases[cls] = _ir.TypeAlias(
                cls, self.annotation(schema, where, cls), schema.get("description")
            )

    def _problem(self, where: str, reason: str) -> None:
        self.problems.append(Problem(where, "The schema's model is not generated.", reason))

    def _model(self, cls: ClassName, schema: dict[str, Any], where: str) -> _ir.Model:
        required = set(schema.get("required", []))
        fields: list[_ir.Field] = []
        used: set[str] = set()
        for prop, prop_schema in schema.get("properties", {}).items():
            prop_where = f"{where}/properties/{prop}"
            name = PythonIdentifier(prop)
            while name in used:
                name = PythonIdentifier(f"{name}_")
            used.add(name)
            annotation = self.annotation(prop_schema, prop_where, ClassName(f"{cls}_{prop}"))
            is_required = prop in required
            default: str | None = None
            if isinstance(prop_schema, dict) and "default" in prop_schema:
                try:
                    default = python_literal(prop_schema["default"])
                except TypeError as exc:
                    self._problem(prop_where, str(exc))
            elif not is_required:
                default = "None"
                if annotation != "None" and not annotation.endswith("| None"):
                    annotation = f"{annotation} | None"
            alias = prop if name != prop else None
            description = prop_schema.get("description") if isinstance(prop_schema, dict) else None
            if alias or description:
                self.needs_field = True
            fields.append(_ir.Field(name, alias, annotation, is_required, default, description))
        extra = "ignore"
        additional = schema.get("additionalProperties")
        if additional is False:
            extra = "forbid"
        elif additional not in (None, True, {}):
            self._problem(
                f"{where}/additionalProperties",
                "an object with both properties and typed additionalProperties is not "
                "supported yet",
            )
        elif additional in (True, {}):
            extra = "allow"
        return _ir.Model(cls, schema.get("description"), tuple(fields), extra)

    def annotation(self, schema: Any, where: str, inline_name: ClassName) -> str:
        """The Python annotation for ``schema``; inline objects become models."""
        if schema is True or schema == {}:
            return "_t.Any"
        if not isinstance(schema, dict):
            self._problem(where, f"unsupported schema {schema!r}")
            return "_t.Any"
        unknown = set(schema) - _STRUCTURAL - _METADATA
        unknown = {k for k in unknown if not k.startswith("x-")}
        if unknown:
            self._problem(where, f"keywords {sorted(unknown)} are not supported yet")
        base = self._base_annotation(schema, where, inline_name)
        if schema.get("nullable") is True and not base.endswith("| None") and base != "None":
            base = f"{base} | None"
        constraints = [
            f"{arg}={python_literal(schema[key])}"
            for key, arg in _CONSTRAINTS.items()
            if key in schema and not (key in ("minimum", "maximum") and isinstance(
                schema.get("exclusive" + key.capitalize()), bool))
        ]
        if constraints and "$ref" not in schema:
            self.needs_field = True
            return f"_t.Annotated[{base}, _Field({', '.join(constraints)})]"
        return base

    def _base_annotation(self, schema: dict[str, Any], where: str, inline_name: ClassName) -> str:
        if "$ref" in schema:
            return self._ref(schema["$ref"], where)
        if "const" in schema:
            return self._literal([schema["const"]], where)
        if "enum" in schema:
            return self._literal(schema["enum"], where)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                parts = [
                    self.annotation(s, f"{where}/{key}/{i}", ClassName(f"{inline_name}{i}"))
                    for i, s in enumerate(schema[key])
                ]
                return _union(parts)
        if "allOf" in schema:
            if len(schema["allOf"]) == 1:
                return self.annotation(schema["allOf"][0], f"{where}/allOf/0", inline_name)
            self._problem(f"{where}/allOf", "allOf with several schemas is not supported yet")
            return "_t.Any"
        kind = schema.get("type")
        if isinstance(kind, list):
            parts = [
                self._base_annotation({**schema, "type": k}, where, inline_name) for k in kind
            ]
            return _union(parts)
        if kind == "array" or (kind is None and ("items" in schema or "prefixItems" in schema)):
            return self._array(schema, where, inline_name)
        if kind == "object" or (kind is None and "properties" in schema):
            return self._object(schema, where, inline_name)
        if kind == "string" and schema.get("format") in _STRING_FORMATS:
            fmt = _STRING_FORMATS[schema["format"]]
            if fmt.startswith("_dt."):
                self.needs_datetime = True
            else:
                self.needs_uuid = True
            return fmt
        if kind in _SIMPLE:
            return _SIMPLE[kind]
        if kind is None:
            return "_t.Any"
        self._problem(where, f"unknown type {kind!r}")
        return "_t.Any"

    def _ref(self, ref: str, where: str) -> str:
        prefix = "#/components/schemas/"
        name = ref[len(prefix):] if ref.startswith(prefix) else None
        if name is None or name not in self.class_names:
            self._problem(where, f"$ref {ref!r} does not name a schema under components/schemas")
            return "_t.Any"
        return self.class_names[name]

    def _literal(self, values: list[Any], where: str) -> str:
        if not values or not all(v is None or isinstance(v, (str, int, bool)) for v in values):
            self._problem(where, f"enum values {values!r} must be strings, integers, booleans or null")
            return "_t.Any"
        return f"_t.Literal[{', '.join(python_literal(v) for v in values)}]"

    def _array(self, schema: dict[str, Any], where: str, inline_name: ClassName) -> str:
        if "prefixItems" in schema:
            parts = [
                self.annotation(s, f"{where}/prefixItems/{i}", ClassName(f"{inline_name}{i}"))
                for i, s in enumerate(schema["prefixItems"])
            ]
            if schema.get("items", False) is not False:
                self._problem(where, "prefixItems followed by more items is not supported yet")
            return f"tuple[{', '.join(parts)}]"
        item = self.annotation(schema.get("items", {}), f"{where}/items", ClassName(f"{inline_name}Item"))
        if schema.get("uniqueItems") is True:
            if item in ("str", "int", "float", "bool"):
                return f"set[{item}]"
            self._problem(where, "uniqueItems is supported for arrays of scalars only")
        return f"list[{item}]"

    def _object(self, schema: dict[str, Any], where: str, inline_name: ClassName) -> str:
        if schema.get("properties"):
            name = inline_name
            while name in self.models or name in self.class_names.values():
                name = ClassName(f"{name}Inline")
            self.models[name] = self._model(name, schema, where)
            return name
        additional = schema.get("additionalProperties", True)
        if additional is True or additional == {}:
            return "dict[str, _t.Any]"
        if additional is False:
            return "dict[str, _t.Never]"
        value = self.annotation(additional, f"{where}/additionalProperties", ClassName(f"{inline_name}Value"))
        return f"dict[str, {value}]"


def _is_object_model(schema: dict[str, Any]) -> bool:
    return (schema.get("type") == "object" or "properties" in schema) and bool(
        schema.get("properties")
    )


def _union(parts: list[str]) -> str:
    unique: list[str] = []
    for part in parts:
        if part not in unique:
            unique.append(part)
    if "None" in unique:  # conventional spelling: X | None last
        unique.remove("None")
        unique.append("None")
    return " | ".join(unique)
