"""Breaking changes between two versions of an OpenAPI document.

A change breaks when a client written against the old document can fail against a server
of the new one: requests are contravariant (the new server must accept everything the
old one did), responses covariant (it may send only what old clients understand).
Operations are matched by method and path template (``/pets/{id}`` is ``/pets/{petId}``);
``webhooks`` and ``callbacks`` are not compared.
"""

from __future__ import annotations

import re
from typing import Any

from ._diff_context import Changes, Direction, Resolver, Where
from ._diff_io import compare_io
from ._diff_report import BREAKING, NON_BREAKING, Change, DiffReport
from ._diff_schema import SchemaDiff
from ._diff_security import compare_security
from ._operations import HTTP_METHODS
from ._problems import GenerationError
from ._refs import child, pointer

__all__ = ["Change", "DiffReport", "diff_documents"]

_TEMPLATE = re.compile(r"\{[^}]*\}")


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> DiffReport:
    """Every change from ``old`` to ``new``, breaking or not, as a `DiffReport`.

    Both are parsed OpenAPI 3.0 or 3.1 documents (mixing the two is fine). A ``$ref``
    that cannot be followed is a `GenerationError` naming it.

    Example::

        report = diff_documents(load_document("v1.yaml"), load_document("v2.yaml"))
        for change in report.breaking:
            print(change)
    """
    return _Differ(old, new).run()


class _Differ:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old = Resolver(old, "old")
        self.new = Resolver(new, "new")
        self.changes = Changes()
        self.schemas = SchemaDiff(self.old, self.new, self.changes)

    def run(self) -> DiffReport:
        old_paths, new_paths = self._paths(self.old), self._paths(self.new)
        for key, (path, old_item) in old_paths.items():
            if key not in new_paths:
                methods = ", ".join(m.upper() for m in HTTP_METHODS if m in old_item)
                self.changes.add(
                    "path-removed",
                    BREAKING,
                    Where.top("paths", path, operation=path),
                    f"path removed, with its operations ({methods})" if methods else "path removed",
                )
                continue
            new_path, new_item = new_paths[key]
            for method in HTTP_METHODS:
                if method in old_item and method in new_item:
                    self._operation(path, new_path, method, old_item, new_item)
                elif method in old_item:
                    self.changes.add(
                        "operation-removed",
                        BREAKING,
                        Where.top("paths", path, method, operation=f"{method.upper()} {path}"),
                        "operation removed",
                    )
                elif method in new_item:
                    self.changes.add(
                        "operation-added",
                        NON_BREAKING,
                        Where.top(
                            "paths", new_path, method, operation=f"{method.upper()} {new_path}"
                        ),
                        "operation added",
                    )
        for key, (path, _) in new_paths.items():
            if key not in old_paths:
                self.changes.add(
                    "path-added",
                    NON_BREAKING,
                    Where.top("paths", path, operation=path),
                    "path added",
                )
        # A schema met in several places is resolved, and found wanting, in each.
        problems = list(dict.fromkeys(self.old.problems + self.new.problems))
        if problems:
            raise GenerationError(problems)
        return DiffReport.of(self.changes.items)

    def _paths(self, resolver: Resolver) -> dict[str, tuple[str, dict[str, Any]]]:
        """Path items by template with parameter names left out, resolved."""
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for path, item in (resolver.document.get("paths") or {}).items():
            resolved, _ = resolver.resolve(item, pointer("paths", path))
            if isinstance(resolved, dict):
                found[_TEMPLATE.sub("{}", path)] = (path, resolved)
        return found

    # --- one operation ----------------------------------------------------------------------

    def _operation(
        self,
        old_path: str,
        new_path: str,
        method: str,
        old_item: dict[str, Any],
        new_item: dict[str, Any],
    ) -> None:
        old_op, new_op = old_item[method], new_item[method]
        if not isinstance(old_op, dict) or not isinstance(new_op, dict):
            return
        where = Where.top("paths", new_path, method, operation=f"{method.upper()} {new_path}")
        self._operation_fields(old_op, new_op, where)
        self._parameters(
            self._parameter_map(self.old, old_path, method, old_item, old_op),
            self._parameter_map(self.new, new_path, method, new_item, new_op),
            where,
        )
        self._request_body(old_op.get("requestBody"), new_op.get("requestBody"), where)
        self._responses(old_op.get("responses") or {}, new_op.get("responses") or {}, where)
        compare_security(self.old.document, self.new.document, old_op, new_op, where, self.changes)

    def _operation_fields(
        self, old_op: dict[str, Any], new_op: dict[str, Any], where: Where
    ) -> None:
        before, after = old_op.get("operationId"), new_op.get("operationId")
        if before != after:
            self.changes.add(
                "operation-id-changed",
                BREAKING,
                where.at("operationId", "operationId"),
                f"operationId changed from {before!r} to {after!r}: generated clients name "
                "their methods after it",
            )
        if bool(old_op.get("deprecated")) != bool(new_op.get("deprecated")):
            deprecated = bool(new_op.get("deprecated"))
            self.changes.add(
                "operation-deprecated" if deprecated else "operation-no-longer-deprecated",
                NON_BREAKING,
                where.at("deprecated", "deprecated"),
                "operation deprecated" if deprecated else "operation no longer deprecated",
            )
        for field in ("summary", "description"):
            if old_op.get(field) != new_op.get(field):
                self.changes.add(
                    f"operation-{field}-changed",
                    NON_BREAKING,
                    where.at(field, field),
                    f"{field} changed",
                )

    # --- parameters --------------------------------------------------------------------------

    def _parameter_map(
        self,
        resolver: Resolver,
        path: str,
        method: str,
        item: dict[str, Any],
        operation: dict[str, Any],
    ) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
        """Parameters by (in, name), with their pointers; path parameters by position,
        so that renaming ``{id}`` to ``{petId}`` is no new parameter."""
        positions = {name[1:-1]: str(index) for index, name in enumerate(_TEMPLATE.findall(path))}
        found: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        sources = [
            (pointer("paths", path, "parameters"), item.get("parameters") or []),
            (pointer("paths", path, method, "parameters"), operation.get("parameters") or []),
        ]
        for base, parameters in sources:  # the operation's override the path item's
            for index, parameter in enumerate(parameters):
                at = f"{base}/{index}"
                resolved, _ = resolver.resolve(parameter, at)
                if not isinstance(resolved, dict):
                    continue
                place, name = str(resolved.get("in", "")), str(resolved.get("name", ""))
                if place == "header":
                    name = name.lower()  # header names are case-insensitive
                elif place == "path":
                    name = "#" + positions.get(name, name)
                found[(place, name)] = (at, resolved)
        return found

    def _parameters(
        self,
        old: dict[tuple[str, str], tuple[str, dict[str, Any]]],
        new: dict[tuple[str, str], tuple[str, dict[str, Any]]],
        where: Where,
    ) -> None:
        for key in [*old, *(k for k in new if k not in old)]:
            at, parameter = new[key] if key in new else old[key]
            name = parameter.get("name")
            here = Where(where.operation, f"{key[0]} parameter {name!r}", at)
            if key not in new:
                self.changes.add(
                    "request-parameter-removed",
                    NON_BREAKING,
                    here,
                    f"{key[0]} parameter {name!r} removed (clients that still send it are "
                    "ignored by most servers)",
                )
            elif key not in old:
                required = bool(parameter.get("required"))
                kind = "required" if required else "optional"
                self.changes.add(
                    f"request-{kind}-parameter-added",
                    BREAKING if required else NON_BREAKING,
                    here,
                    f"new {kind} {key[0]} parameter {name!r}",
                )
            else:
                self._parameter(old[key][1], parameter, here)

    def _parameter(self, old: dict[str, Any], new: dict[str, Any], where: Where) -> None:
        if old.get("in") == "path" and old.get("name") != new.get("name"):
            self.changes.add(
                "request-path-parameter-renamed",
                NON_BREAKING,
                where,
                f"path parameter renamed from {old.get('name')!r} to {new.get('name')!r}",
            )
        before, after = bool(old.get("required")), bool(new.get("required"))
        if before != after:
            became = "required" if after else "optional"
            self.changes.add(
                f"request-parameter-became-{became}",
                BREAKING if after else NON_BREAKING,
                where,
                f"parameter became {became}",
            )
        old_style, old_explode = _serialization(old)
        new_style, new_explode = _serialization(new)
        if (old_style, old_explode) != (new_style, new_explode):
            self.changes.add(
                "request-parameter-style-changed",
                BREAKING,
                where,
                f"serialization changed from style={old_style!r}, explode={old_explode} "
                f"to style={new_style!r}, explode={new_explode}",
            )
        for field in ("description", "deprecated"):
            if old.get(field) != new.get(field):
                self.changes.add(
                    f"request-parameter-{field}-changed",
                    NON_BREAKING,
                    where,
                    f"{field} changed",
                )
        old_schema, new_schema = _parameter_schema(old), _parameter_schema(new)
        if old_schema is not None and new_schema is not None:
            here = Where(where.operation, where.location, where.pointer + new_schema[0])
            self.schemas.compare(old_schema[1], new_schema[1], here, "request", "request-parameter")

    # --- bodies ------------------------------------------------------------------------------

    def _request_body(self, old: Any, new: Any, where: Where) -> None:
        here = where.at("request body", "requestBody")
        before, _ = self.old.resolve(old, here.pointer)
        after, _ = self.new.resolve(new, here.pointer)
        if not isinstance(before, dict) and not isinstance(after, dict):
            return
        if not isinstance(before, dict):
            required = bool(after.get("required"))
            self.changes.add(
                "request-body-added-required" if required else "request-body-added",
                BREAKING if required else NON_BREAKING,
                here,
                f"new {'required' if required else 'optional'} request body",
            )
            return
        if not isinstance(after, dict):
            self.changes.add(
                "request-body-removed",
                BREAKING,
                here,
                "request body removed: old clients still send one",
            )
            return
        if bool(before.get("required")) != bool(after.get("required")):
            required = bool(after.get("required"))
            self.changes.add(
                "request-body-became-required" if required else "request-body-became-optional",
                BREAKING if required else NON_BREAKING,
                here,
                f"request body became {'required' if required else 'optional'}",
            )
        if before.get("description") != after.get("description"):
            self.changes.add(
                "request-body-description-changed", NON_BREAKING, here, "description changed"
            )
        self._content(before, after, here, "request")
        compare_io(
            before.get("x-dosirak-io"), after.get("x-dosirak-io"), here, "request", self.changes
        )

    def _content(
        self, old: dict[str, Any], new: dict[str, Any], where: Where, direction: Direction
    ) -> None:
        old_content: dict[str, Any] = old.get("content") or {}
        new_content: dict[str, Any] = new.get("content") or {}
        for media_type in [*old_content, *(m for m in new_content if m not in old_content)]:
            here = where.at(media_type, "content", media_type)
            if media_type not in new_content:
                self.changes.add(
                    f"{direction}-media-type-removed",
                    BREAKING,
                    here,
                    f"media type {media_type!r} removed",
                )
            elif media_type not in old_content:
                self.changes.add(
                    f"{direction}-media-type-added",
                    NON_BREAKING,
                    here,
                    f"media type {media_type!r} added",
                )
            else:
                old_media = old_content[media_type] or {}
                new_media = new_content[media_type] or {}
                if "schema" in old_media and "schema" in new_media:
                    self.schemas.compare(
                        old_media["schema"],
                        new_media["schema"],
                        Where(here.operation, here.location, here.pointer + "/schema"),
                        direction,
                        f"{direction}-body",
                    )

    # --- responses ---------------------------------------------------------------------------

    def _responses(self, old: dict[str, Any], new: dict[str, Any], where: Where) -> None:
        old_map = {str(k).upper(): (str(k), v) for k, v in old.items()}
        new_map = {str(k).upper(): (str(k), v) for k, v in new.items()}
        for status in [*old_map, *(s for s in new_map if s not in old_map)]:
            success = status.startswith("2")
            raw = new_map[status][0] if status in new_map else old_map[status][0]
            here = where.at(f"response {raw}", "responses", raw)
            if status not in new_map:
                self.changes.add(
                    "response-success-status-removed"
                    if success
                    else "response-non-success-status-removed",
                    BREAKING if success else NON_BREAKING,
                    here,
                    f"response status {raw} removed",
                )
            elif status not in old_map:
                self.changes.add(
                    "response-success-status-added"
                    if success
                    else "response-non-success-status-added",
                    NON_BREAKING,
                    here,
                    f"response status {raw} added",
                )
            else:
                self._response(old_map[status][1], new_map[status][1], here)

    def _response(self, old: Any, new: Any, where: Where) -> None:
        before, _ = self.old.resolve(old, where.pointer)
        after, _ = self.new.resolve(new, where.pointer)
        if not isinstance(before, dict) or not isinstance(after, dict):
            return
        self._content(before, after, where, "response")
        compare_io(
            before.get("x-dosirak-io"), after.get("x-dosirak-io"), where, "response", self.changes
        )
        self._headers(before.get("headers") or {}, after.get("headers") or {}, where)

    def _headers(self, old: dict[str, Any], new: dict[str, Any], where: Where) -> None:
        old_map = {k.lower(): (k, v) for k, v in old.items()}
        new_map = {k.lower(): (k, v) for k, v in new.items()}
        for key in [*old_map, *(k for k in new_map if k not in old_map)]:
            name = new_map[key][0] if key in new_map else old_map[key][0]
            here = where.at(f"header {name!r}", "headers", name)
            before = self.old.resolve(old_map[key][1], here.pointer)[0] if key in old_map else None
            after = self.new.resolve(new_map[key][1], here.pointer)[0] if key in new_map else None
            if not isinstance(after, dict):
                required = isinstance(before, dict) and bool(before.get("required"))
                self.changes.add(
                    f"response-{'required' if required else 'optional'}-header-removed",
                    BREAKING if required else NON_BREAKING,
                    here,
                    f"{'required' if required else 'optional'} header {name!r} removed",
                )
            elif not isinstance(before, dict):
                self.changes.add(
                    "response-header-added", NON_BREAKING, here, f"header {name!r} added"
                )
            else:
                if before.get("required") and not after.get("required"):
                    self.changes.add(
                        "response-header-became-optional",
                        BREAKING,
                        here,
                        f"header {name!r} became optional",
                    )
                if "schema" in before and "schema" in after:
                    self.schemas.compare(
                        before["schema"],
                        after["schema"],
                        Where(here.operation, here.location, here.pointer + "/schema"),
                        "response",
                        "response-header",
                    )


def _serialization(parameter: dict[str, Any]) -> tuple[str, bool]:
    """``style`` and ``explode``, with the defaults OpenAPI gives by location."""
    default = "form" if parameter.get("in") in ("query", "cookie") else "simple"
    style = str(parameter.get("style") or default)
    return style, bool(parameter.get("explode", style == "form"))


def _parameter_schema(parameter: dict[str, Any]) -> tuple[str, Any] | None:
    """The parameter's schema and its pointer suffix: ``schema``, or its one media type's."""
    if "schema" in parameter:
        return "/schema", parameter["schema"]
    for media_type, media in (parameter.get("content") or {}).items():
        if isinstance(media, dict) and "schema" in media:
            return child("", "content", media_type, "schema"), media["schema"]
    return None
