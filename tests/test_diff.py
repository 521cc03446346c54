"""Unit tests of `diff_documents` on documents written inline: every rule fires, and the
reverse change is non-breaking (or another rule); requests and responses judged apart."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from dosirak.codegen import Change, DiffReport, GenerationError, diff_documents

Schema = dict[str, Any] | bool


def document(
    request: Schema | None = None,
    response: Schema | None = None,
    *,
    parameters: list[dict[str, Any]] | None = None,
    schemas: dict[str, Any] | None = None,
    **operation: Any,
) -> dict[str, Any]:
    """One ``POST /items`` operation with a JSON request and a JSON 200 response."""
    op: dict[str, Any] = {
        "operationId": "make",
        "responses": {"200": {"description": "made"}},
        **operation,
    }
    if request is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": request}}}
    if response is not None:
        op["responses"]["200"]["content"] = {"application/json": {"schema": response}}
    if parameters is not None:
        op["parameters"] = parameters
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/items": {"post": op}},
    }
    if schemas is not None:
        doc["components"] = {"schemas": schemas}
    return doc


def found(old: dict[str, Any], new: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c.rule, c.level) for c in diff_documents(old, new).changes}


def only(old: dict[str, Any], new: dict[str, Any]) -> Change:
    changes = diff_documents(old, new).changes
    assert len(changes) == 1, changes
    return changes[0]


B, N = "breaking", "non-breaking"


# --- schema rules, in both directions and both places ---------------------------------------
#
# (old, new, rule for old→new, rule for new→old, what old→new does to the accepted values):
# "narrows" breaks requests, "widens" breaks responses, "both" breaks either.

SCHEMA_CASES: list[tuple[str, Schema, Schema, str, str, str]] = [
    ("type", {"type": "string"}, {"type": "integer"}, "type-changed", "type-changed", "both"),
    ("type-generalised", {"type": "integer"}, {"type": "number"},
     "type-changed", "type-changed", "widens"),
    ("type-set", {}, {"type": "string"}, "type-changed", "type-changed", "narrows"),
    ("nullable-3.0", {"type": "string", "nullable": True}, {"type": "string"},
     "nullable-removed", "nullable-added", "narrows"),
    ("nullable-3.1", {"type": ["string", "null"]}, {"type": "string"},
     "nullable-removed", "nullable-added", "narrows"),
    ("format-narrowed", {"type": "integer", "format": "int64"},
     {"type": "integer", "format": "int32"}, "format-changed", "format-changed", "narrows"),
    ("format-added", {"type": "string"}, {"type": "string", "format": "date"},
     "format-changed", "format-changed", "narrows"),
    ("format-other", {"type": "string", "format": "date"}, {"type": "string", "format": "uuid"},
     "format-changed", "format-changed", "both"),
    ("enum-value", {"enum": ["a", "b"]}, {"enum": ["a"]},
     "enum-value-removed", "enum-value-added", "narrows"),
    ("enum", {"type": "string"}, {"type": "string", "enum": ["a"]},
     "enum-added", "enum-removed", "narrows"),
    ("const", {"const": "a"}, {"enum": ["a", "b"]},
     "enum-value-added", "enum-value-removed", "widens"),
    ("maximum", {"maximum": 10}, {"maximum": 5},
     "maximum-decreased", "maximum-increased", "narrows"),
    ("maximum-set", {}, {"maximum": 5}, "maximum-set", "maximum-removed", "narrows"),
    ("exclusive-3.0", {"maximum": 5}, {"maximum": 5, "exclusiveMaximum": True},
     "maximum-decreased", "maximum-increased", "narrows"),
    ("exclusive-3.1", {"maximum": 5}, {"exclusiveMaximum": 5},
     "maximum-decreased", "maximum-increased", "narrows"),
    ("minimum", {"minimum": 0}, {"minimum": 1},
     "minimum-increased", "minimum-decreased", "narrows"),
    ("exclusiveMinimum", {"minimum": 0}, {"exclusiveMinimum": 0},
     "minimum-increased", "minimum-decreased", "narrows"),
    ("maxLength", {"maxLength": 10}, {"maxLength": 5},
     "max-length-decreased", "max-length-increased", "narrows"),
    ("maxLength-set", {}, {"maxLength": 5}, "max-length-set", "max-length-removed", "narrows"),
    ("minLength", {"minLength": 1}, {"minLength": 3},
     "min-length-increased", "min-length-decreased", "narrows"),
    ("minLength-zero", {"minLength": 0}, {"minLength": 2},
     "min-length-set", "min-length-removed", "narrows"),
    ("maxItems", {"maxItems": 10}, {"maxItems": 5},
     "max-items-decreased", "max-items-increased", "narrows"),
    ("minItems", {"minItems": 1}, {"minItems": 3},
     "min-items-increased", "min-items-decreased", "narrows"),
    ("maxProperties", {"maxProperties": 3}, {"maxProperties": 2},
     "max-properties-decreased", "max-properties-increased", "narrows"),
    ("minProperties", {}, {"minProperties": 2},
     "min-properties-set", "min-properties-removed", "narrows"),
    ("multipleOf", {"multipleOf": 5}, {"multipleOf": 10},
     "multiple-of-changed", "multiple-of-changed", "narrows"),
    ("multipleOf-set", {}, {"multipleOf": 2}, "multiple-of-set", "multiple-of-removed", "narrows"),
    ("pattern", {}, {"pattern": "^a"}, "pattern-added", "pattern-removed", "narrows"),
    ("pattern-changed", {"pattern": "^a"}, {"pattern": "^b"},
     "pattern-changed", "pattern-changed", "both"),
    ("uniqueItems", {"type": "array"}, {"type": "array", "uniqueItems": True},
     "unique-items-set", "unique-items-removed", "narrows"),
    ("additionalProperties", {"type": "object"}, {"type": "object", "additionalProperties": False},
     "additional-properties-forbidden", "additional-properties-allowed", "narrows"),
    ("additionalProperties-schema", {"type": "object"},
     {"type": "object", "additionalProperties": {"type": "string"}},
     "additional-properties-restricted", "additional-properties-unrestricted", "narrows"),
    ("anyOf", {"anyOf": [{"type": "string"}, {"type": "integer"}]}, {"anyOf": [{"type": "string"}]},
     "any-of-alternative-removed", "any-of-alternative-added", "narrows"),
    ("oneOf", {"oneOf": [{"type": "string"}, {"type": "integer"}]}, {"oneOf": [{"type": "string"}]},
     "one-of-alternative-removed", "one-of-alternative-added", "narrows"),
    ("anyOf-set", {}, {"anyOf": [{"type": "string"}, {"type": "integer"}]},
     "any-of-added", "any-of-removed", "narrows"),
    ("false", {"type": "string"}, False, "schema-closed", "schema-opened", "narrows"),
    ("true", True, {"type": "string"}, "schema-restricted", "schema-unrestricted", "narrows"),
]  # fmt: skip


def _levels(effect: str) -> tuple[str, str]:
    """(request level, response level) of a change with this effect on accepted values."""
    return {
        "narrows": (B, N),
        "widens": (N, B),
        "both": (B, B),
    }[effect]


def _reverse(effect: str) -> str:
    return {"narrows": "widens", "widens": "narrows", "both": "both"}[effect]


@pytest.mark.parametrize(
    ("old", "new", "rule", "reverse_rule", "effect"),
    [pytest.param(*case[1:], id=case[0]) for case in SCHEMA_CASES],
)
def test_schema_rule_in_both_directions(
    old: Schema, new: Schema, rule: str, reverse_rule: str, effect: str
) -> None:
    request_level, response_level = _levels(effect)
    assert (f"request-body-{rule}", request_level) in found(document(old), document(new))
    assert (f"response-body-{rule}", response_level) in found(
        document(response=old), document(response=new)
    )
    request_level, response_level = _levels(_reverse(effect))
    assert (f"request-body-{reverse_rule}", request_level) in found(document(new), document(old))
    assert (f"response-body-{reverse_rule}", response_level) in found(
        document(response=new), document(response=old)
    )


def test_schema_rules_name_the_place_inside_properties_and_items() -> None:
    old: dict[str, Any] = {
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"maxLength": 9}}},
    }
    new = copy.deepcopy(old)
    new["properties"]["tags"]["items"]["maxLength"] = 3
    change = only(document(old), document(new))
    assert change.rule == "request-property-max-length-decreased"
    assert change.level == B
    assert change.operation == "POST /items"
    assert change.location == "request body application/json .tags[]"
    assert change.pointer == (
        "#/paths/~1items/post/requestBody/content/application~1json/schema/properties/tags/items"
    )
    assert "maxLength decreased from 9 to 3" in change.message


def test_additional_properties_schemas_are_compared() -> None:
    old = {"type": "object", "additionalProperties": {"type": "string", "maxLength": 9}}
    new = {"type": "object", "additionalProperties": {"type": "string", "maxLength": 3}}
    change = only(document(response=old), document(response=new))
    assert (change.rule, change.level) == ("response-body-max-length-decreased", N)
    assert change.location == "response 200 application/json .*"


def test_integer_to_number_in_a_request_is_not_breaking_but_number_to_integer_is() -> None:
    integer, number = {"type": "integer"}, {"type": "number"}
    assert found(document(integer), document(number)) == {("request-body-type-changed", N)}
    assert found(document(number), document(integer)) == {("request-body-type-changed", B)}


# --- properties ------------------------------------------------------------------------------


def obj(required: list[str] | None = None, **properties: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


STRING = {"type": "string"}


def test_new_required_request_property_breaks_and_its_removal_does_not() -> None:
    old, new = obj(a=STRING), obj(["b"], a=STRING, b=STRING)
    assert found(document(old), document(new)) == {("request-required-property-added", B)}
    assert found(document(new), document(old)) == {("request-property-removed", N)}


def test_new_optional_request_property_does_not_break() -> None:
    old, new = obj(a=STRING), obj(a=STRING, b=STRING)
    assert found(document(old), document(new)) == {("request-optional-property-added", N)}


def test_request_property_removed_breaks_when_unknown_properties_are_refused() -> None:
    old = obj(a=STRING, b=STRING)
    new = {**obj(a=STRING), "additionalProperties": False}
    assert ("request-property-removed", B) in found(document(old), document(new))


def test_request_property_became_required_breaks_and_optional_does_not() -> None:
    old, new = obj(a=STRING), obj(["a"], a=STRING)
    assert found(document(old), document(new)) == {("request-property-became-required", B)}
    assert found(document(new), document(old)) == {("request-property-became-optional", N)}


def test_response_property_became_optional_breaks_and_required_does_not() -> None:
    old, new = obj(["a"], a=STRING), obj(a=STRING)
    change = only(document(response=old), document(response=new))
    assert (change.rule, change.level) == ("response-property-became-optional", B)
    assert change.location == "response 200 application/json .a"
    assert found(document(response=new), document(response=old)) == {
        ("response-property-became-required", N)
    }


def test_response_required_property_removed_breaks_optional_does_not() -> None:
    assert found(
        document(response=obj(["a"], a=STRING, b=STRING)), document(response=obj(b=STRING))
    ) == {("response-required-property-removed", B)}
    assert found(document(response=obj(a=STRING, b=STRING)), document(response=obj(b=STRING))) == {
        ("response-optional-property-removed", N)
    }
    # The reverse: properties added to a response break nobody.
    assert found(
        document(response=obj(b=STRING)), document(response=obj(["a"], a=STRING, b=STRING))
    ) == {("response-required-property-added", N)}


def test_read_only_properties_are_not_required_of_requests() -> None:
    read_only = {"type": "integer", "readOnly": True}
    old, new = obj(name=STRING), obj(["id"], name=STRING, id=read_only)
    assert found(document(old), document(new)) == {("request-optional-property-added", N)}


def test_annotations_are_non_breaking() -> None:
    old = obj(a={"type": "string", "description": "x", "default": "p"})
    new = obj(a={"type": "string", "description": "y", "default": "q", "deprecated": True})
    assert found(document(old), document(new)) == {
        ("request-property-description-changed", N),
        ("request-property-default-changed", N),
        ("request-property-deprecated-changed", N),
    }


# --- $refs -----------------------------------------------------------------------------------


def test_refs_are_resolved_so_component_names_do_not_matter() -> None:
    pet = obj(["name"], name=STRING, owner={"$ref": "#/components/schemas/Owner"})
    owner = obj(name=STRING)
    old = document({"$ref": "#/components/schemas/Pet"}, schemas={"Pet": pet, "Owner": owner})
    renamed = {
        **pet,
        "properties": {**pet["properties"], "owner": {"$ref": "#/components/schemas/Person"}},
    }
    new = document(
        {"$ref": "#/components/schemas/Animal"}, schemas={"Animal": renamed, "Person": owner}
    )
    assert diff_documents(old, new).changes == ()
    new["components"]["schemas"]["Person"] = obj(name={"type": "integer"})
    change = only(old, new)
    assert change.rule == "request-property-type-changed"
    assert change.location == "request body application/json .owner.name"


def test_recursive_schemas_terminate_and_still_report_changes() -> None:
    def tree(label: dict[str, Any], ref: str) -> dict[str, Any]:
        return obj(label=label, children={"type": "array", "items": {"$ref": ref}})

    old = document(
        {"$ref": "#/components/schemas/Node"},
        schemas={"Node": tree(STRING, "#/components/schemas/Node")},
    )
    new = document(
        {"$ref": "#/components/schemas/Tree"},
        schemas={"Tree": tree({"type": "string", "maxLength": 5}, "#/components/schemas/Tree")},
    )
    assert diff_documents(old, copy.deepcopy(old)).changes == ()
    assert found(old, new) == {("request-property-max-length-set", B)}


def test_recursive_any_of_across_documents() -> None:
    # kserve's tensor_data: an anyOf whose alternative refers to the schema itself.
    def doc(name: str, leaf: dict[str, Any]) -> dict[str, Any]:
        ref = f"#/components/schemas/{name}"
        node = {"anyOf": [leaf, {"type": "array", "items": {"$ref": ref}}]}
        return document({"$ref": ref}, schemas={name: node})

    assert diff_documents(doc("A", {"type": "number"}), doc("B", {"type": "number"})).changes == ()
    assert ("request-body-type-changed", B) in found(
        doc("A", {"type": "number"}), doc("B", {"type": "boolean"})
    )


def test_all_of_is_merged_before_comparing() -> None:
    flat = obj(["id", "name"], id={"type": "integer"}, name=STRING)
    composed = {"allOf": [obj(["name"], name=STRING), obj(["id"], id={"type": "integer"})]}
    assert diff_documents(document(flat), document(composed)).changes == ()
    composed["allOf"][1]["properties"]["tag"] = STRING
    composed["allOf"][1]["required"].append("tag")
    assert found(document(flat), document(composed)) == {("request-required-property-added", B)}


def test_openapi_3_0_and_3_1_spellings_compare_equal() -> None:
    old = document(
        obj(a={"type": "integer", "nullable": True, "maximum": 5, "exclusiveMaximum": True})
    )
    old["openapi"] = "3.0.3"
    new = document(obj(a={"type": ["integer", "null"], "exclusiveMaximum": 5}))
    assert diff_documents(old, new).changes == ()


def test_a_ref_that_points_nowhere_is_a_generation_error() -> None:
    old = document({"$ref": "#/components/schemas/Missing"})
    with pytest.raises(GenerationError, match="points nowhere"):
        diff_documents(old, document(STRING))
    looping = document(
        {"$ref": "#/components/schemas/A"},
        schemas={"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}},
    )
    with pytest.raises(GenerationError, match="refers to itself"):
        diff_documents(looping, document(STRING))
    with pytest.raises(GenerationError, match="not local"):
        diff_documents(document({"$ref": "other.yaml#/Pet"}), document(STRING))


# --- paths and operations --------------------------------------------------------------------


def test_removed_path_and_operation_break_added_ones_do_not() -> None:
    old = document()
    new = copy.deepcopy(old)
    new["paths"]["/other"] = new["paths"].pop("/items")
    assert found(old, new) == {("path-removed", B), ("path-added", N)}
    new = copy.deepcopy(old)
    new["paths"]["/items"]["get"] = new["paths"]["/items"].pop("post")
    assert found(old, new) == {("operation-removed", B), ("operation-added", N)}


def test_path_parameters_match_by_position_not_name() -> None:
    def doc(name: str) -> dict[str, Any]:
        path = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        d = document(parameters=[path])
        d["paths"] = {f"/items/{{{name}}}": d["paths"]["/items"]}
        return d

    change = only(doc("id"), doc("itemId"))
    assert (change.rule, change.level) == ("request-path-parameter-renamed", N)
    assert change.operation == "POST /items/{itemId}"


def test_operation_id_change_breaks_generated_clients_either_way() -> None:
    assert found(document(), document(operationId="create")) == {("operation-id-changed", B)}
    assert found(document(operationId="create"), document()) == {("operation-id-changed", B)}


def test_operation_annotations_are_non_breaking() -> None:
    assert found(document(), document(deprecated=True, summary="s")) == {
        ("operation-deprecated", N),
        ("operation-summary-changed", N),
    }
    assert found(document(deprecated=True), document()) == {("operation-no-longer-deprecated", N)}


# --- parameters ------------------------------------------------------------------------------


def query(name: str = "limit", required: bool = False, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema or STRING}


def test_new_required_parameter_breaks_and_its_removal_does_not() -> None:
    old, new = document(parameters=[]), document(parameters=[query(required=True)])
    assert found(old, new) == {("request-required-parameter-added", B)}
    # Like oasdiff, a removed parameter is reported but not breaking: servers ignore it.
    assert found(new, old) == {("request-parameter-removed", N)}


def test_new_optional_parameter_does_not_break() -> None:
    assert found(document(parameters=[]), document(parameters=[query()])) == {
        ("request-optional-parameter-added", N)
    }


def test_parameter_became_required_breaks_and_optional_does_not() -> None:
    old, new = document(parameters=[query()]), document(parameters=[query(required=True)])
    assert found(old, new) == {("request-parameter-became-required", B)}
    assert found(new, old) == {("request-parameter-became-optional", N)}


def test_parameter_schema_is_compared_as_a_request() -> None:
    old = document(parameters=[query(type="integer", format="int64")])
    new = document(parameters=[query(type="integer", format="int32", maximum=100)])
    assert found(old, new) == {
        ("request-parameter-format-changed", B),
        ("request-parameter-maximum-set", B),
    }
    assert found(new, old) == {
        ("request-parameter-format-changed", N),
        ("request-parameter-maximum-removed", N),
    }
    change = diff_documents(old, new).changes[0]
    assert change.location == "query parameter 'limit'"
    assert change.pointer == "#/paths/~1items/post/parameters/0/schema"


def test_parameter_style_change_breaks() -> None:
    old = document(parameters=[query(type="array", items=STRING)])
    new = document(parameters=[{**query(type="array", items=STRING), "explode": False}])
    assert found(old, new) == {("request-parameter-style-changed", B)}


def test_header_parameter_names_are_case_insensitive_and_path_level_ones_count() -> None:
    header = {"name": "X-Trace", "in": "header", "schema": STRING}
    old = document(parameters=[header])
    new = document()
    new["paths"]["/items"]["parameters"] = [{**header, "name": "x-trace"}]
    assert diff_documents(old, new).changes == ()


# --- request bodies --------------------------------------------------------------------------


def test_request_media_type_removed_breaks_added_does_not() -> None:
    old = document(STRING)
    new = copy.deepcopy(old)
    content = new["paths"]["/items"]["post"]["requestBody"]["content"]
    content["text/plain"] = content.pop("application/json")
    assert found(old, new) == {("request-media-type-removed", B), ("request-media-type-added", N)}


def test_request_body_added_removed_and_requiredness() -> None:
    with_body, without = document(STRING), document()
    assert found(without, with_body) == {("request-body-added-required", B)}
    assert found(with_body, without) == {("request-body-removed", B)}
    optional = copy.deepcopy(with_body)
    optional["paths"]["/items"]["post"]["requestBody"]["required"] = False
    assert found(without, optional) == {("request-body-added", N)}
    assert found(optional, with_body) == {("request-body-became-required", B)}
    assert found(with_body, optional) == {("request-body-became-optional", N)}


# --- responses -------------------------------------------------------------------------------


def with_status(doc: dict[str, Any], status: str) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["paths"]["/items"]["post"]["responses"][status] = {"description": status}
    return doc


def test_removed_success_status_breaks_added_does_not() -> None:
    old = with_status(document(), "201")
    assert found(old, document()) == {("response-success-status-removed", B)}
    assert found(document(), old) == {("response-success-status-added", N)}


def test_removed_error_status_does_not_break() -> None:
    old = with_status(document(), "404")
    assert found(old, document()) == {("response-non-success-status-removed", N)}
    assert found(document(), old) == {("response-non-success-status-added", N)}


def test_response_media_type_removed_breaks_added_does_not() -> None:
    old = document(response=STRING)
    new = copy.deepcopy(old)
    new["paths"]["/items"]["post"]["responses"]["200"]["content"]["text/csv"] = {}
    assert found(old, new) == {("response-media-type-added", N)}
    assert found(new, old) == {("response-media-type-removed", B)}


def test_response_headers() -> None:
    def doc(**headers: Any) -> dict[str, Any]:
        d = document()
        d["paths"]["/items"]["post"]["responses"]["200"]["headers"] = headers
        return d

    required = {"required": True, "schema": {"type": "integer"}}
    optional = {"schema": {"type": "integer"}}
    assert found(doc(**{"X-Rate": required}), doc()) == {("response-required-header-removed", B)}
    assert found(doc(**{"X-Rate": optional}), doc()) == {("response-optional-header-removed", N)}
    assert found(doc(), doc(**{"X-Rate": optional})) == {("response-header-added", N)}
    assert found(doc(**{"X-Rate": required}), doc(**{"x-rate": optional})) == {
        ("response-header-became-optional", B)
    }
    widened = {"required": True, "schema": {"type": "number"}}
    assert found(doc(**{"X-Rate": required}), doc(**{"X-Rate": widened})) == {
        ("response-header-type-changed", B)
    }


def test_responses_given_by_ref_are_resolved() -> None:
    old = document()
    old["paths"]["/items"]["post"]["responses"]["400"] = {"$ref": "#/components/responses/Bad"}
    old["components"] = {
        "responses": {
            "Bad": {
                "description": "bad",
                "content": {"application/problem+json": {"schema": obj(["title"], title=STRING)}},
            }
        }
    }
    new = copy.deepcopy(old)
    schema = new["components"]["responses"]["Bad"]["content"]["application/problem+json"]["schema"]
    del schema["required"]
    assert found(old, new) == {("response-property-became-optional", B)}


# --- security --------------------------------------------------------------------------------


def secured(*alternatives: dict[str, list[str]], apikey_in: str = "header") -> dict[str, Any]:
    doc = document(security=list(alternatives))
    doc["components"] = {
        "securitySchemes": {
            "key": {"type": "apiKey", "in": apikey_in, "name": "X-Key"},
            "oauth": {"type": "oauth2", "flows": {}},
        }
    }
    return doc


def test_security_added_breaks_removed_does_not() -> None:
    assert found(secured({}), secured({"key": []})) == {
        ("security-requirement-added", B),
        ("security-alternative-added", N),
    }
    assert found(secured({"key": []}), secured({})) == {("security-removed", N)}


def test_security_alternative_removed_breaks_added_does_not() -> None:
    both = secured({"key": []}, {"oauth": ["read"]})
    assert found(both, secured({"key": []})) == {("security-alternative-removed", B)}
    assert found(secured({"key": []}), both) == {("security-alternative-added", N)}


def test_security_scope_added_breaks_removed_does_not() -> None:
    read, read_write = secured({"oauth": ["read"]}), secured({"oauth": ["read", "write"]})
    assert ("security-scope-added", B) in found(read, read_write)
    assert found(read_write, read) == {("security-alternative-added", N)}


def test_document_security_applies_where_the_operation_has_none() -> None:
    old = secured({"key": []})
    new = copy.deepcopy(old)
    del new["paths"]["/items"]["post"]["security"]
    new["security"] = [{"key": []}]
    assert diff_documents(old, new).changes == ()
    new["security"] = [{"oauth": []}]
    assert ("security-alternative-removed", B) in found(old, new)


def test_security_scheme_changed_breaks() -> None:
    assert found(secured({"key": []}), secured({"key": []}, apikey_in="query")) == {
        ("security-scheme-changed", B)
    }


# --- x-dosirak-io ----------------------------------------------------------------------------


def io(
    request: dict[str, Any] | None = None, response: dict[str, Any] | None = None
) -> dict[str, Any]:
    doc = document({"type": "array"}, {"type": "array"})
    op = doc["paths"]["/items"]["post"]
    if request is not None:
        op["requestBody"]["x-dosirak-io"] = request
    if response is not None:
        op["responses"]["200"]["x-dosirak-io"] = response
    return doc


def nd(
    dtype: str | None = "float32", shape: list[int] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "ndarray",
        "dtype": dtype,
        "shape": shape,
        "enforce_dtype": False,
        "enforce_shape": False,
        **extra,
    }


IO_CASES = [
    # (id, old, new, rule suffix, request level, response level) for old → new.
    ("dtype-changed", nd("float32"), nd("float64"), "io-dtype-changed", B, B),
    ("dtype-fixed", nd(None), nd("float32"), "io-dtype-changed", B, N),
    ("dtype-dropped", nd("float32"), nd(None), "io-dtype-changed", N, B),
    ("rank", nd(shape=[-1, 4]), nd(shape=[-1, 4, 1]), "io-shape-changed", B, B),
    ("fixed-dim", nd(shape=[-1, 4]), nd(shape=[-1, 5]), "io-shape-changed", B, B),
    ("any-to-fixed", nd(shape=[-1, 4]), nd(shape=[8, 4]), "io-shape-changed", B, N),
    ("fixed-to-any", nd(shape=[8, 4]), nd(shape=[-1, 4]), "io-shape-changed", N, B),
    ("shape-set", nd(), nd(shape=[-1]), "io-shape-changed", B, N),
    ("type", nd(), {"type": "dataframe"}, "io-type-changed", B, B),
    ("orient", {"type": "dataframe", "orient": "records"}, {"type": "dataframe", "orient": "split"},
     "io-orient-changed", B, B),
    ("column-added", {"type": "dataframe", "columns": ["a"]},
     {"type": "dataframe", "columns": ["a", "b"]}, "io-columns-added", B, N),
    ("column-removed", {"type": "dataframe", "columns": ["a", "b"]},
     {"type": "dataframe", "columns": ["a"]}, "io-columns-removed", N, B),
    ("columns-reordered", {"type": "dataframe", "columns": ["a", "b"]},
     {"type": "dataframe", "columns": ["b", "a"]}, "io-columns-reordered", B, B),
    ("stream", {"type": "text"}, {"type": "text", "stream": True}, "io-stream-changed", B, B),
    ("part-dtype", {"type": "multipart", "parts": {"x": nd("int64")}},
     {"type": "multipart", "parts": {"x": nd("int32")}}, "io-dtype-changed", B, B),
]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "rule", "request_level", "response_level"),
    [pytest.param(*case[1:], id=case[0]) for case in IO_CASES],
)
def test_io_rule_in_both_directions(
    old: dict[str, Any], new: dict[str, Any], rule: str, request_level: str, response_level: str
) -> None:
    assert (f"request-{rule}", request_level) in found(io(request=old), io(request=new))
    assert (f"response-{rule}", response_level) in found(io(response=old), io(response=new))


def test_io_shape_change_names_both_shapes() -> None:
    change = only(io(request=nd(shape=[-1, 4])), io(request=nd(shape=[-1, 5])))
    assert change.location == "request body x-dosirak-io"
    assert change.pointer == "#/paths/~1items/post/requestBody/x-dosirak-io"
    assert change.message == "shape changed from (*, 4) to (*, 5)"


def test_io_multipart_parts_are_compared_one_by_one() -> None:
    old = {"type": "multipart", "parts": {"x": nd("int64"), "y": {"type": "text"}}}
    new = {"type": "multipart", "parts": {"x": nd("int64", shape=[3]), "y": {"type": "text"}}}
    change = only(io(response=old), io(response=new))
    assert (change.rule, change.level) == ("response-io-shape-changed", N)
    assert change.location == "response 200 x-dosirak-io part 'x'"
    assert change.pointer == "#/paths/~1items/post/responses/200/x-dosirak-io/parts/x"


def test_io_enforcement_counts_for_requests_only() -> None:
    loose, strict = nd(shape=[-1, 4]), nd(shape=[-1, 4], enforce_shape=True)
    assert found(io(request=loose), io(request=strict)) == {("request-io-shape-enforced", B)}
    assert found(io(request=strict), io(request=loose)) == {
        ("request-io-shape-no-longer-enforced", N)
    }
    assert found(io(response=loose), io(response=strict)) == set()


def test_io_max_pixels() -> None:
    small = {"type": "image", "max_pixels": 100}
    large = {"type": "image", "max_pixels": 1000}
    assert found(io(request=large), io(request=small)) == {("request-io-max-pixels-decreased", B)}
    assert found(io(request=small), io(request=large)) == {("request-io-max-pixels-increased", N)}


# --- the report ------------------------------------------------------------------------------


def test_identical_documents_have_no_changes() -> None:
    doc = document(obj(["a"], a=STRING), obj(b={"type": "integer"}), parameters=[query()])
    report = diff_documents(doc, copy.deepcopy(doc))
    assert report.changes == ()
    assert report.to_text() == "No changes.\n"
    assert report.to_json() == {"version": 1, "breaking": 0, "non_breaking": 0, "changes": []}


def test_report_lists_breaking_changes_first_grouped_by_operation() -> None:
    old = document(obj(a=STRING), parameters=[query(required=True)])
    new = document(obj(["a"], a=STRING), summary="new")
    report = diff_documents(old, new)
    assert [c.breaking for c in report.changes] == [True, False, False]
    assert report.to_text() == (
        "1 breaking change:\n"
        "  POST /items\n"
        "    - request body application/json .a: property 'a' became required"
        " [request-property-became-required]\n"
        "\n"
        "2 non-breaking changes:\n"
        "  POST /items\n"
        "    - query parameter 'limit': query parameter 'limit' removed (clients that still send"
        " it are ignored by most servers) [request-parameter-removed]\n"
        "    - summary: summary changed [operation-summary-changed]\n"
    )


def test_report_json_has_a_stable_shape() -> None:
    report = diff_documents(document(obj(a=STRING)), document(obj(["a"], a=STRING)))
    assert report.to_json() == {
        "version": 1,
        "breaking": 1,
        "non_breaking": 0,
        "changes": [
            {
                "rule": "request-property-became-required",
                "level": "breaking",
                "operation": "POST /items",
                "location": "request body application/json .a",
                "pointer": "#/paths/~1items/post/requestBody/content/application~1json/schema"
                "/properties/a",
                "message": "property 'a' became required",
            }
        ],
    }


def test_report_orders_and_deduplicates_whatever_order_changes_come_in() -> None:
    a = Change("r", "non-breaking", "GET /a", "", "#", "m")
    b = Change("r", "breaking", "GET /b", "", "#", "m")
    assert DiffReport.of([a, b, a]).changes == (b, a)
    assert str(b) == "GET /b: m [r]"
