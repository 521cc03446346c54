"""The document a generated server publishes: the one it was generated from, plus what the
runtime can answer that the document does not declare (invariant 3).

A hand-written document rarely declares dosirak's problem responses (400, 413, 415, 422,
500...). Each operation gets those it lacks, as ``$ref``s to ``components/responses``;
an operation with no success response gets a 204. What was added is reported as notes.
A code-first document declares all of it already: publishing it changes nothing. A path
item given by a local ``$ref`` (``components/pathItems``) is completed where it lives.
"""

from __future__ import annotations

import copy
from typing import Any

from ._document import ERROR_RESPONSES, error_response
from ._operations import HTTP_METHODS
from ._problems import GenerationError, Problem
from ._refs import follow, parts_of, pointer
from ._schemas import PROBLEM_SCHEMAS

__all__ = ["pruned_document", "published_document"]

_NO_CONTENT = {
    "description": "Success, with no body. Added by dosirak: the document declared no "
    "success response."
}


def published_document(document: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """``document`` with the responses the server can send added where missing, and notes
    saying what was added. The document itself is returned when nothing is missing."""
    added: dict[str, list[str]] = {}
    no_success: list[str] = []
    # What each operation lacks, found in one walk: (where it lives, missing statuses, no 2xx).
    lacking: list[tuple[list[str], list[str], bool]] = []
    seen: set[tuple[str, ...]] = set()
    for path, item in document.get("paths", {}).items():
        found = _path_item(document, path, item)
        if found is None:
            continue
        home, item = found
        for method in HTTP_METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            responses = operation.get("responses", {})
            where = f"{method.upper()} {path}"
            success = any(str(status).startswith("2") for status in responses)
            if not success:
                no_success.append(where)
            missing = [status for status in ERROR_RESPONSES if status not in responses]
            for status in missing:
                added.setdefault(status, []).append(where)
            # A path item shared through a $ref is completed once, where it lives.
            if (missing or not success) and (*home, method) not in seen:
                seen.add((*home, method))
                lacking.append(([*home, method], missing, not success))
    if not lacking:
        return document, []
    published = copy.deepcopy(document)
    names = _component_names(published)
    for home, missing, needs_success in lacking:
        node: Any = published
        for part in home:
            node = node[int(part)] if isinstance(node, list) else node[part]
        responses = node.setdefault("responses", {})
        if needs_success:
            responses["204"] = dict(_NO_CONTENT)
        for status in missing:
            name, _ = ERROR_RESPONSES[status]
            responses[status] = {"$ref": f"#/components/responses/{names[name]}"}
    if added:
        _add_components(published, names, set(added))
    notes = []
    if added:
        statuses = ", ".join(sorted(added))
        count = len({where for places in added.values() for where in places})
        notes.append(
            Problem(
                "#/paths",
                f"The published openapi.json declares them: problem responses {statuses} "
                f"added where missing, in {count} operation(s).",
                "the server can answer errors the document does not declare",
                "note",
            )
        )
    notes += [
        Problem(
            "#/paths",
            f"The published openapi.json declares a 204 for {where}; its handler returns None.",
            "the operation declares no success response",
            "note",
        )
        for where in no_success
    ]
    return published, notes


def _path_item(
    document: dict[str, Any], path: str, item: Any
) -> tuple[list[str], dict[str, Any]] | None:
    """The path item of ``path`` and the pointer parts of where it lives: under ``paths``,
    or where its local ``$ref`` chain leads (``components/pathItems/...``). None when that
    is no path item (a chain that cannot be followed is a problem `collect_operations`
    reports)."""
    found = follow(document, item, pointer("paths", path), "")
    if isinstance(found, Problem) or not isinstance(found.node, dict):
        return None
    home = ["paths", path] if found.ref is None else parts_of(found.ref)
    return None if home is None else (home, found.node)


def _component_names(document: dict[str, Any]) -> dict[str, str]:
    """Our component names, prefixed with ``Dosirak`` where the document uses the name for
    something else."""
    components = document.get("components", {})
    taken_schemas = components.get("schemas", {})
    taken_responses = components.get("responses", {})
    clash = any(
        name in taken_schemas and taken_schemas[name] != schema
        for name, schema in PROBLEM_SCHEMAS.items()
    ) or any(
        name in taken_responses and taken_responses[name] != error_response(status)
        for status, (name, _) in ERROR_RESPONSES.items()
    )
    prefix = "Dosirak" if clash else ""
    names = {name: prefix + name for name in PROBLEM_SCHEMAS}
    names.update({name: prefix + name for name, _ in ERROR_RESPONSES.values()})
    return names


def _add_components(document: dict[str, Any], names: dict[str, str], statuses: set[str]) -> None:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name, schema in PROBLEM_SCHEMAS.items():
        renamed = copy.deepcopy(schema)
        errors = renamed.get("properties", {}).get("errors", {})
        if "items" in errors:  # Problem's list of ProblemItem, under its name here
            errors["items"]["$ref"] = f"#/components/schemas/{names['ProblemItem']}"
        schemas.setdefault(names[name], renamed)
    responses = components.setdefault("responses", {})
    for status, (name, _) in ERROR_RESPONSES.items():
        if status in statuses:
            responses.setdefault(names[name], error_response(status, names["Problem"]))


def pruned_document(
    document: dict[str, Any], left_out: list[tuple[str, tuple[str, ...] | None]]
) -> tuple[dict[str, Any], list[Problem]]:
    """``document`` without what the server leaves out (with ``--skip-unsupported``):
    operations it does not serve, media types it does not accept or answer. What it
    publishes must not promise them."""
    pruned = copy.deepcopy(document)
    problems: list[Problem] = []
    operations = 0
    media_types = 0
    for where, kept in left_out:
        parts = parts_of(where) or []
        if parts[:1] != ["paths"] or len(parts) < 3:
            continue
        # A path item behind a $ref becomes this path's own copy: others may share it.
        item = _own_node(pruned, pruned.get("paths", {}), parts[1:2], where)
        if isinstance(item, Problem):
            problems.append(item)
            continue
        if item is None:
            continue
        if kept is None:
            if item.pop(parts[2], None) is not None:
                operations += 1
            if not any(method in item for method in HTTP_METHODS):
                del pruned["paths"][parts[1]]
            continue
        body = _own_node(pruned, item, parts[2:], where)
        if isinstance(body, Problem):
            problems.append(body)
        elif body is not None and isinstance(body.get("content"), dict):
            before = len(body["content"])
            body["content"] = {k: v for k, v in body["content"].items() if k in kept}
            media_types += before - len(body["content"])
    if problems:
        raise GenerationError(problems)
    notes = []
    if operations or media_types:
        notes.append(
            Problem(
                "#/paths",
                f"The published openapi.json leaves out {operations} operation(s) and "
                f"{media_types} media type(s) the server does not serve.",
                "--skip-unsupported left them out of the server",
                "note",
            )
        )
    return pruned, notes


def _own_node(
    document: dict[str, Any], node: Any, parts: list[str], where: str
) -> dict[str, Any] | Problem | None:
    """The object at ``parts`` below ``node`` (at ``where``), a copy of its own if it was a
    local ``$ref`` (a shared ``components/requestBodies`` entry is not pruned for every
    user); a problem if a ``$ref`` on the way cannot be followed."""
    for index, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            return None
        child = node[part]
        if isinstance(child, dict) and isinstance(child.get("$ref"), str):
            found = follow(document, child, where, "Nothing is generated.")
            if isinstance(found, Problem):
                return found
            if not isinstance(found.node, dict):
                return None
            child = node[part] = copy.deepcopy(found.node)
        node = child
        if index == len(parts) - 1:
            return node if isinstance(node, dict) else None
    return None
