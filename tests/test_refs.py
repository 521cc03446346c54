"""JSON pointers and `$ref` chains (codegen/_refs.py), and the places that follow them:
a chain that loops, or points nowhere, is a problem naming where, never endless recursion."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from dosirak.codegen import GenerationError, InvalidDocumentError, Problem, validate_document
from dosirak.codegen._diff import diff_documents
from dosirak.codegen._document import ERROR_RESPONSES
from dosirak.codegen._kind_multipart import multipart_spec_of
from dosirak.codegen._load import load_document
from dosirak.codegen._operations import collect_operations
from dosirak.codegen._publish import pruned_document, published_document
from dosirak.codegen._refs import (
    Target,
    child,
    cycles,
    escape,
    follow,
    locate,
    parts_of,
    pointer,
    schema_name,
    unescape,
)

SCHEMAS = "#/components/schemas/"


# --- escaping -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "escaped"),
    [("pets", "pets"), ("/pets/{id}", "~1pets~1{id}"), ("a~b", "a~0b"), ("~1", "~01"), (3, "3")],
)
def test_escape_and_unescape_are_inverse(part: str | int, escaped: str) -> None:
    assert escape(part) == escaped
    assert unescape(escaped) == str(part)


def test_unescape_reads_tilde_one_before_tilde_zero() -> None:
    # RFC 6901: "~01" is "~1" (a tilde then a one), not "/".
    assert unescape("~01") == "~1"
    assert unescape("~10") == "/0"


def test_pointers_from_parts() -> None:
    assert pointer("paths", "/pets", "get") == "#/paths/~1pets/get"
    assert pointer() == "#"
    assert child("#/paths/~1a", "content", "application/json", 0) == (
        "#/paths/~1a/content/application~1json/0"
    )
    assert parts_of("#/paths/~1pets~0x/get") == ["paths", "/pets~x", "get"]
    assert parts_of("#") == []
    assert parts_of("other.yaml#/Pet") is None
    assert schema_name(SCHEMAS + "A~1B") == "A/B"
    assert schema_name("#/components/responses/A") is None


# --- locating and following -----------------------------------------------------------------

DOCUMENT: dict[str, Any] = {
    "components": {
        "schemas": {
            "A": {"$ref": SCHEMAS + "B"},
            "B": {"$ref": SCHEMAS + "C"},
            "C": {"type": "string"},
            "Self": {"$ref": SCHEMAS + "Self"},
            "Ping": {"$ref": SCHEMAS + "Pong"},
            "Pong": {"$ref": SCHEMAS + "Ping"},
            "ToNowhere": {"$ref": SCHEMAS + "Missing"},
            "a/b~c": {"type": "integer"},
        },
        "parameters": {"list": [{"name": "first"}, {"name": "second"}]},
    }
}


def test_locate_reads_objects_by_key_and_arrays_by_index() -> None:
    found = locate(DOCUMENT, "#/components/parameters/list/1", "#/here", "Skipped.")
    assert found == Target({"name": "second"}, "#/components/parameters/list/1")
    whole = locate(DOCUMENT, "#", "#/here", "Skipped.")
    assert isinstance(whole, Target) and whole.node is DOCUMENT


@pytest.mark.parametrize(
    ("ref", "reason"),
    [
        ("#/components/parameters/list/2", "points nowhere"),
        ("#/components/parameters/list/x", "points nowhere"),
        ("#/components/nothing", "points nowhere"),
        ("common.yaml#/Pet", "is not local to the document"),
        ("#pet", "is not a JSON pointer ('#/...')"),
    ],
)
def test_locate_reports_what_is_not_there(ref: str, reason: str) -> None:
    found = locate(DOCUMENT, ref, "#/paths/~1a/get", "The operation is not generated.")
    assert found == Problem(
        "#/paths/~1a/get", "The operation is not generated.", f"$ref {ref!r} {reason}"
    )


def test_follow_goes_down_a_chain_to_its_end() -> None:
    found = follow(DOCUMENT, {"$ref": SCHEMAS + "A"}, "#/x", "Skipped.")
    assert found == Target({"type": "string"}, SCHEMAS + "C")
    plain = {"type": "number"}
    assert follow(DOCUMENT, plain, "#/x", "Skipped.") == Target(plain, None)


def test_follow_unescapes_the_parts() -> None:
    found = follow(DOCUMENT, {"$ref": SCHEMAS + "a~1b~0c"}, "#/x", "Skipped.")
    assert isinstance(found, Target) and found.node == {"type": "integer"}


def test_follow_applies_siblings_only_when_asked() -> None:
    node = {"$ref": SCHEMAS + "C", "description": "a name"}
    with_siblings = follow(DOCUMENT, node, "#/x", "Skipped.", siblings=True)
    assert isinstance(with_siblings, Target)
    assert with_siblings.node == {"type": "string", "description": "a name"}
    without = follow(DOCUMENT, node, "#/x", "Skipped.")
    assert isinstance(without, Target) and without.node == {"type": "string"}


def test_a_ref_to_itself_is_a_problem_not_a_recursion() -> None:
    found = follow(DOCUMENT, {"$ref": SCHEMAS + "Self"}, "#/paths/~1a", "Skipped.")
    assert isinstance(found, Problem)
    assert found.location == "#/paths/~1a"
    assert found.consequence == "Skipped."
    assert found.reason == (
        f"$ref '{SCHEMAS}Self' refers to itself: {SCHEMAS}Self -> {SCHEMAS}Self"
    )


def test_a_longer_cycle_names_every_step() -> None:
    found = follow(DOCUMENT, {"$ref": SCHEMAS + "Ping"}, "#/x", "Skipped.")
    assert isinstance(found, Problem)
    assert found.reason == (
        f"$ref '{SCHEMAS}Ping' refers to itself: {SCHEMAS}Ping -> {SCHEMAS}Pong -> {SCHEMAS}Ping"
    )


def test_a_chain_ending_nowhere_names_the_missing_ref_and_where_it_started() -> None:
    found = follow(DOCUMENT, {"$ref": SCHEMAS + "ToNowhere"}, "#/paths/~1a/get", "Skipped.")
    assert found == Problem(
        "#/paths/~1a/get", "Skipped.", f"$ref '{SCHEMAS}Missing' points nowhere"
    )


def test_cycles_are_found_once_per_loop_where_first_met() -> None:
    problems = cycles(DOCUMENT, "Stop.")
    assert [(p.location, p.reason) for p in problems] == [
        (
            f"{SCHEMAS}Self",
            f"$ref '{SCHEMAS}Self' refers to itself: {SCHEMAS}Self -> {SCHEMAS}Self",
        ),
        (
            f"{SCHEMAS}Ping",
            f"$ref '{SCHEMAS}Pong' refers to itself: "
            f"{SCHEMAS}Pong -> {SCHEMAS}Ping -> {SCHEMAS}Pong",
        ),
    ]
    assert cycles({"a": {"$ref": "#/b"}, "b": {"items": {"$ref": "#/b"}}}, "Stop.") == []


def test_a_document_with_a_looping_ref_is_invalid_not_a_recursion_error() -> None:
    # openapi-spec-validator alone recurses until Python stops it.
    document = _document(
        {
            "/a": {
                "post": {
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": SCHEMAS + "Loop"}}}
                    },
                    "responses": {"204": {"description": "none"}},
                }
            }
        },
        schemas={"Loop": {"$ref": SCHEMAS + "Again"}, "Again": {"$ref": SCHEMAS + "Loop"}},
    )
    with pytest.raises(InvalidDocumentError) as info:
        validate_document(document, source="loop.yaml")
    (problem,) = info.value.problems
    assert problem.location == "#/paths/~1a/post/requestBody/content/application~1json/schema"
    assert problem.consequence == "Nothing is generated from loop.yaml; fix the document."
    assert problem.reason.startswith(f"$ref '{SCHEMAS}Loop' refers to itself")


# --- the places that follow refs ------------------------------------------------------------


def _document(paths: dict[str, Any], **components: Any) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
        "components": components,
    }


def test_operations_with_looping_or_missing_refs_are_problems_where_they_are() -> None:
    ok = {"description": "ok", "content": {"application/json": {"schema": {"type": "integer"}}}}
    document = _document(
        {
            "/loop": {"$ref": "#/paths/~1loop"},
            "/a": {
                "post": {
                    "operationId": "a",
                    "parameters": [{"$ref": "#/components/parameters/P"}],
                    "requestBody": {"$ref": "#/components/requestBodies/Nowhere"},
                    "responses": {"200": ok},
                }
            },
        },
        parameters={
            "P": {"$ref": "#/components/parameters/Q"},
            "Q": {"$ref": "#/components/parameters/P"},
        },
    )
    problems: list[Problem] = []
    (operation,) = collect_operations(document, problems)
    assert operation.request is None and operation.parameters == []
    assert [(p.location, p.reason.split(":")[0]) for p in problems] == [
        ("#/paths/~1loop", "$ref '#/paths/~1loop' refers to itself"),
        ("#/paths/~1a/post/parameters/0", "$ref '#/components/parameters/P' refers to itself"),
        (
            "#/paths/~1a/post/requestBody",
            "$ref '#/components/requestBodies/Nowhere' points nowhere",
        ),
    ]
    assert {p.consequence for p in problems} == {"The operation is not generated."}


def test_pruning_through_a_looping_ref_is_a_generation_error() -> None:
    # This recursed until Python gave up, before pruning followed refs with a guard.
    document = _document(
        {"/a": {"post": {"requestBody": {"$ref": "#/components/requestBodies/B"}}}},
        requestBodies={"B": {"$ref": "#/components/requestBodies/B"}},
    )
    with pytest.raises(GenerationError) as info:
        pruned_document(document, [("#/paths/~1a/post/requestBody", ("application/json",))])
    (problem,) = info.value.problems
    assert problem.location == "#/paths/~1a/post/requestBody"
    assert "refers to itself" in problem.reason


def test_pruning_copies_a_shared_body_before_narrowing_it() -> None:
    body = {
        "content": {
            "application/json": {"schema": {"type": "string"}},
            "application/xml": {"schema": {"type": "string"}},
        }
    }
    document = _document(
        {
            "/a": {"post": {"requestBody": {"$ref": "#/components/requestBodies/Alias"}}},
            "/b": {"post": {"requestBody": {"$ref": "#/components/requestBodies/B"}}},
        },
        requestBodies={"Alias": {"$ref": "#/components/requestBodies/B"}, "B": body},
    )
    before = copy.deepcopy(document)
    pruned, notes = pruned_document(
        document, [("#/paths/~1a/post/requestBody", ("application/json",))]
    )
    assert pruned["paths"]["/a"]["post"]["requestBody"] == {
        "content": {"application/json": {"schema": {"type": "string"}}}
    }
    assert pruned["components"]["requestBodies"] == before["components"]["requestBodies"]
    assert document == before
    assert "1 media type(s)" in notes[0].consequence


def test_diff_reports_a_looping_ref_with_its_cycle() -> None:
    old = _document(
        {"/a": {"$ref": "#/paths/~1b"}, "/b": {"$ref": "#/paths/~1a"}},
    )
    with pytest.raises(GenerationError) as info:
        diff_documents(old, _document({}))
    first, second = info.value.problems
    assert (first.location, second.location) == ("#/paths/~1a", "#/paths/~1b")
    assert first.consequence == "The old document cannot be compared."
    assert first.reason == (
        "$ref '#/paths/~1b' refers to itself: #/paths/~1b -> #/paths/~1a -> #/paths/~1b"
    )


def _loading_fails(folder: Path) -> Problem:
    """The one problem loading an api.yaml whose parameter is common.yaml's ``Limit``."""
    (folder / "api.yaml").write_text(
        "openapi: 3.1.0\n"
        "info: {title: t, version: '1'}\n"
        "paths:\n"
        "  /a:\n"
        "    get:\n"
        "      parameters: [{$ref: 'common.yaml#/parameters/Limit'}]\n"
        "      responses: {'204': {description: none}}\n",
        encoding="utf-8",
    )
    with pytest.raises(GenerationError) as info:
        load_document(folder / "api.yaml")
    (problem,) = info.value.problems
    return problem


def test_a_sibling_file_that_refers_to_itself_is_a_generation_error(tmp_path: Path) -> None:
    (tmp_path / "common.yaml").write_text(
        "parameters:\n  Limit: {$ref: '#/parameters/Limit'}\n", encoding="utf-8"
    )
    problem = _loading_fails(tmp_path)
    assert problem.location == "#/paths/~1a/get/parameters/0"
    assert problem.consequence == "Nothing is generated."
    assert problem.reason == (
        "$ref 'common.yaml#/parameters/Limit' refers to itself: "
        "common.yaml#/parameters/Limit -> common.yaml#/parameters/Limit"
    )


def test_a_sibling_file_ref_to_nothing_names_it(tmp_path: Path) -> None:
    (tmp_path / "common.yaml").write_text("parameters: {}\n", encoding="utf-8")
    problem = _loading_fails(tmp_path)
    assert problem.location == "#/paths/~1a/get/parameters/0"
    assert problem.reason == "$ref 'common.yaml#/parameters/Limit' points nowhere"


def test_multipart_parts_follow_component_chains_and_stop_at_loops() -> None:
    schemas = {
        "Form": {"$ref": SCHEMAS + "FormBody"},
        "FormBody": {
            "type": "object",
            "properties": {
                "meta": {"$ref": SCHEMAS + "MetaAlias"},
                "odd": {"$ref": SCHEMAS + "Loop"},
            },
            "required": ["meta"],
        },
        "MetaAlias": {"$ref": SCHEMAS + "Meta"},
        "Meta": {"type": "object", "properties": {"a": {"type": "integer"}}},
        "Loop": {"$ref": SCHEMAS + "Loop"},
    }
    spec = multipart_spec_of({"$ref": SCHEMAS + "Form"}, {}, schemas)
    # The loop is left as it is (the models built from these components report it).
    assert spec == {
        "type": "multipart",
        "parts": {
            "meta": {"type": "json", "model": "Meta"},
            "odd": {"type": "json", "model": None},
        },
        "optional": ["odd"],
    }


# --- path items: shared parameters and `$ref`s ----------------------------------------------


def test_a_shared_parameter_is_named_where_the_path_item_holds_it() -> None:
    nowhere = {"$ref": "#/components/parameters/Nowhere"}
    document = _document(
        {
            "/x": {
                "parameters": [{"name": "a", "in": "query", "schema": {"type": "string"}}, nowhere],
                "get": {"parameters": [nowhere], "responses": {"204": {"description": "ok"}}},
            }
        },
    )
    problems: list[Problem] = []
    (operation,) = collect_operations(document, problems)
    assert [p["name"] for p in operation.parameters] == ["a"]
    assert [p.location for p in problems] == [
        "#/paths/~1x/parameters/1",  # the path item's own list, not the operation's
        "#/paths/~1x/get/parameters/0",  # counted in the operation's list alone
    ]


def _ok(schema_type: str) -> dict[str, Any]:
    return {
        "description": "ok",
        "content": {"application/json": {"schema": {"type": schema_type}}},
    }


def _problem_refs() -> dict[str, Any]:
    return {
        status: {"$ref": f"#/components/responses/{name}"}
        for status, (name, _) in ERROR_RESPONSES.items()
    }


def test_publishing_completes_path_items_behind_refs_once_where_they_live() -> None:
    thing = {
        "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "get": {"responses": {"200": _ok("integer")}},
        "delete": {"responses": {}},
    }
    document = _document(
        {
            "/a/{id}": {"$ref": "#/components/pathItems/Thing"},
            "/b/{id}": {"$ref": "#/components/pathItems/Alias"},
        },
        pathItems={"Alias": {"$ref": "#/components/pathItems/Thing"}, "Thing": thing},
    )
    before = copy.deepcopy(document)
    published, notes = published_document(document)
    assert document == before
    assert published["paths"] == before["paths"]  # still references
    done = published["components"]["pathItems"]
    assert done["Alias"] == before["components"]["pathItems"]["Alias"]
    assert done["Thing"]["get"]["responses"] == {"200": _ok("integer"), **_problem_refs()}
    assert done["Thing"]["delete"]["responses"] == {
        "204": {
            "description": "Success, with no body. Added by dosirak: the document declared "
            "no success response."
        },
        **_problem_refs(),
    }
    assert set(published["components"]["responses"]) == {n for n, _ in ERROR_RESPONSES.values()}
    validate_document(published, source="published", generated=True)
    assert "in 4 operation(s)" in notes[0].consequence  # GET and DELETE under both paths
    assert [n.consequence for n in notes[1:]] == [
        "The published openapi.json declares a 204 for DELETE /a/{id}; its handler returns None.",
        "The published openapi.json declares a 204 for DELETE /b/{id}; its handler returns None.",
    ]
    assert published_document(published) == (published, [])


def test_publishing_follows_a_path_item_that_refers_to_another_path() -> None:
    document = _document(
        {
            "/a": {"get": {"responses": {"200": _ok("string")}}},
            "/b": {"$ref": "#/paths/~1a"},
        },
    )
    published, _ = published_document(document)
    assert published["paths"]["/b"] == {"$ref": "#/paths/~1a"}
    assert published["paths"]["/a"]["get"]["responses"] == {
        "200": _ok("string"),
        **_problem_refs(),
    }


def test_publishing_leaves_a_broken_path_item_ref_to_the_operations_problem() -> None:
    document = _document({"/a": {"$ref": "#/components/pathItems/Nowhere"}})
    assert published_document(document) == (document, [])
    problems: list[Problem] = []
    assert collect_operations(document, problems) == []
    assert [p.location for p in problems] == ["#/paths/~1a"]


def test_a_path_item_from_a_sibling_file_is_published_complete(tmp_path: Path) -> None:
    (tmp_path / "items.yaml").write_text(
        "thing:\n  get:\n    responses:\n"
        "      '200': {description: ok, content: {text/plain: {schema: {type: string}}}}\n",
        encoding="utf-8",
    )
    (tmp_path / "api.yaml").write_text(
        "openapi: 3.1.0\n"
        "info: {title: t, version: '1'}\n"
        "paths:\n"
        "  /a: {$ref: 'items.yaml#/thing'}\n",
        encoding="utf-8",
    )
    published, _ = published_document(load_document(tmp_path / "api.yaml"))
    responses = published["paths"]["/a"]["get"]["responses"]
    assert set(responses) == {"200", *ERROR_RESPONSES}
    validate_document(published, source="published", generated=True)


def test_pruning_an_operation_of_a_shared_path_item_copies_it_first() -> None:
    text = {"content": {"text/plain": {"schema": {"type": "string"}}}}
    both = {
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/xml": {"schema": {"type": "string"}},
        }
    }
    thing = {
        "get": {"responses": {"200": _ok("string")}},
        "trace": {"responses": {"200": _ok("string")}},
        "post": {"requestBody": both, "responses": {"200": _ok("string")}},
    }
    document = _document(
        {
            "/a": {"$ref": "#/components/pathItems/Thing"},
            "/b": {"$ref": "#/components/pathItems/Thing"},
        },
        pathItems={"Thing": thing},
    )
    before = copy.deepcopy(document)
    pruned, notes = pruned_document(
        document,
        [("#/paths/~1a/trace", None), ("#/paths/~1a/post/requestBody", ("text/plain",))],
    )
    assert pruned["paths"]["/a"] == {
        "get": thing["get"],
        "post": {**thing["post"], "requestBody": text},
    }
    assert pruned["paths"]["/b"] == before["paths"]["/b"]
    assert pruned["components"] == before["components"]
    assert document == before
    assert "1 operation(s) and 1 media type(s)" in notes[0].consequence
