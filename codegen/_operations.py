"""The operations of a document as plain records, with `$ref`s to components resolved.

Parameters, request bodies and responses may live under ``components`` and be referred
to; everything after this step sees them inline, and knows where each came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._names import PythonIdentifier
from ._problems import Problem
from ._refs import child, follow, pointer
from ._servers import operation_servers

__all__ = ["HTTP_METHODS", "RawOperation", "collect_operations"]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass
class RawOperation:
    where: str
    path: str
    method: str
    operation_id: str
    name: PythonIdentifier
    operation: dict[str, Any]
    parameters: list[dict[str, Any]] = field(default_factory=list)
    request: dict[str, Any] | None = None
    request_where: str = ""
    responses: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    #: Each response's declared headers (their objects, ``$ref``s followed), by status.
    response_headers: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: The ``servers`` that apply to it (its own, its path item's or the document's).
    servers: Any = None


def deref(document: dict[str, Any], node: Any, problems: list[Problem], where: str) -> Any:
    """``node`` with a local ``$ref`` chain followed (not into schemas: those stay refs);
    None, with a problem, when it cannot be followed."""
    found = follow(document, node, where, "The operation is not generated.")
    if isinstance(found, Problem):
        problems.append(found)
        return None
    return found.node


def collect_operations(document: dict[str, Any], problems: list[Problem]) -> list[RawOperation]:
    """Every operation of ``paths``, in document order, refs resolved."""
    found: list[RawOperation] = []
    for path, item in document.get("paths", {}).items():
        item = deref(document, item, problems, pointer("paths", path))
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters", [])
        for method in item:
            if method not in HTTP_METHODS:
                continue
            operation = item[method]
            where = pointer("paths", path, method)
            operation_id = operation.get("operationId") or f"{method}_{path}"
            raw = RawOperation(
                where=where,
                path=path,
                method=method,
                operation_id=operation_id,
                name=PythonIdentifier(operation_id, prefix="op"),
                operation=operation,
                servers=operation_servers(document, item, operation),
            )
            by_key: dict[tuple[str, str], dict[str, Any]] = {}
            # The path item's shared parameters first, so the operation's own override them;
            # each named where it is written.
            item_where = pointer("paths", path)
            own = operation.get("parameters", [])
            placed = [
                *(child(item_where, "parameters", i) for i in range(len(shared))),
                *(child(where, "parameters", i) for i in range(len(own))),
            ]
            for parameter, parameter_where in zip([*shared, *own], placed, strict=True):
                resolved = deref(document, parameter, problems, parameter_where)
                if isinstance(resolved, dict):
                    by_key[(resolved.get("in", ""), resolved.get("name", ""))] = resolved
            raw.parameters = list(by_key.values())
            if "requestBody" in operation:
                raw.request_where = child(where, "requestBody")
                raw.request = deref(document, operation["requestBody"], problems, raw.request_where)
            for status, response in operation.get("responses", {}).items():
                response_where = child(where, "responses", status)
                resolved = deref(document, response, problems, response_where)
                if isinstance(resolved, dict):
                    raw.responses[str(status)] = (response_where, resolved)
                    headers = resolved.get("headers")
                    if isinstance(headers, dict) and headers:
                        raw.response_headers[str(status)] = {
                            str(name): header
                            for name, spec in headers.items()
                            if isinstance(
                                header := deref(
                                    document, spec, problems, child(response_where, "headers", name)
                                ),
                                dict,
                            )
                        }
            found.append(raw)
    return found
