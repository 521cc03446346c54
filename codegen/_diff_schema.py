"""Comparing two JSON Schemas in a direction: what a request accepts, what a response sends.

Schemas are compared after their ``$ref`` s are followed, so the two documents may name
their components differently. A pair of schemas already being compared higher up (a
recursive schema) is not compared again. ``allOf`` is merged into one schema first;
``anyOf``/``oneOf`` alternatives are matched by content, then by position. ``not``,
``if``/``then``/``else``, ``prefixItems`` and ``discriminator`` are not compared.
"""

from __future__ import annotations

import json
from typing import Any

from ._diff_context import Changes, Direction, Resolver, Where, level_for
from ._diff_keywords import kebab, keyword_findings
from ._diff_report import BREAKING, NON_BREAKING

__all__ = ["SchemaDiff"]


class SchemaDiff:
    """Compares schema pairs of one old and one new document into ``changes``."""

    def __init__(self, old: Resolver, new: Resolver, changes: Changes) -> None:
        self.old = old
        self.new = new
        self.changes = changes
        self._active: set[tuple[object, object, Direction]] = set()

    def compare(self, old: Any, new: Any, where: Where, direction: Direction, subject: str) -> None:
        """Report how ``new`` differs from ``old`` as a schema of ``subject``
        (``request-body``, ``response-property`` ...)."""
        old_schema, old_ref = self.old.resolve(old, where.pointer)
        new_schema, new_ref = self.new.resolve(new, where.pointer)
        key = (old_ref or id(old_schema), new_ref or id(new_schema), direction)
        if key in self._active:
            return  # a recursive schema, already being compared further up
        self._active.add(key)
        try:
            self._compare(old_schema, new_schema, where, direction, subject)
        finally:
            self._active.discard(key)

    def _compare(
        self, old: Any, new: Any, where: Where, direction: Direction, subject: str
    ) -> None:
        if old is None or new is None:
            return  # unresolvable: a problem is already recorded
        if isinstance(old, bool) or isinstance(new, bool):
            self._booleans(old, new, where, direction, subject)
            return
        if not isinstance(old, dict) or not isinstance(new, dict):
            return
        old = self._merge_all_of(old, self.old, where.pointer, set())
        new = self._merge_all_of(new, self.new, where.pointer, set())
        for finding in keyword_findings(old, new):
            self._add(
                f"{subject}-{finding.rule}",
                where,
                direction,
                finding.message,
                narrowed=finding.narrowed,
                widened=finding.widened,
            )
        self._properties(old, new, where, direction, subject)
        self._additional_properties(old, new, where, direction, subject)
        if "items" in old and "items" in new:
            self.compare(old["items"], new["items"], where.at("[]", "items"), direction, subject)
        for keyword in ("anyOf", "oneOf"):
            self._alternatives(old, new, where, direction, subject, keyword)

    # --- helpers -------------------------------------------------------------------------

    def _add(
        self,
        rule: str,
        where: Where,
        direction: Direction,
        message: str,
        *,
        narrowed: bool = False,
        widened: bool = False,
    ) -> None:
        level = level_for(direction, narrowed=narrowed, widened=widened)
        self.changes.add(rule, level, where, message)

    def _merge_all_of(
        self, schema: dict[str, Any], resolver: Resolver, where: str, seen: set[str]
    ) -> dict[str, Any]:
        """``schema`` with its ``allOf`` members merged in: properties and required joined,
        other keywords from the last member that has them."""
        members = schema.get("allOf")
        if not isinstance(members, list):
            return schema
        merged: dict[str, Any] = {}
        properties: dict[str, Any] = {}
        required: list[str] = []
        for member in [*members, {k: v for k, v in schema.items() if k != "allOf"}]:
            resolved, ref = resolver.resolve(member, where)
            if not isinstance(resolved, dict) or (ref is not None and ref in seen):
                continue
            resolved = self._merge_all_of(resolved, resolver, where, seen | {ref or ""})
            properties.update(resolved.get("properties") or {})
            required += [r for r in resolved.get("required") or [] if r not in required]
            merged.update(resolved)
        if properties:
            merged["properties"] = properties
        if required:
            merged["required"] = required
        return merged

    def _booleans(
        self, old: Any, new: Any, where: Where, direction: Direction, subject: str
    ) -> None:
        # JSON Schema's `true` accepts anything, `false` nothing.
        def accepts_all(schema: Any) -> bool:
            return schema is True or schema == {}

        if old is False and new is not False:
            self._add(
                f"{subject}-schema-opened", where, direction, "now allows values", widened=True
            )
        elif new is False and old is not False:
            self._add(
                f"{subject}-schema-closed",
                where,
                direction,
                "no longer allows any value",
                narrowed=True,
            )
        elif accepts_all(old) and not accepts_all(new):
            self._add(
                f"{subject}-schema-restricted",
                where,
                direction,
                "now restricted by a schema",
                narrowed=True,
            )
        elif accepts_all(new) and not accepts_all(old):
            self._add(
                f"{subject}-schema-unrestricted",
                where,
                direction,
                "no longer restricted by a schema",
                widened=True,
            )

    def _properties(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        where: Where,
        direction: Direction,
        subject: str,
    ) -> None:
        old_props: dict[str, Any] = old.get("properties") or {}
        new_props: dict[str, Any] = new.get("properties") or {}
        old_required = set(old.get("required") or [])
        new_required = set(new.get("required") or [])
        closed = new.get("additionalProperties") is False
        for name in [*old_props, *(n for n in new_props if n not in old_props)]:
            here = where.at(f".{name}", "properties", name)
            if name not in new_props:
                self._property_removed(name, name in old_required, closed, here, direction)
                continue
            # A readOnly property never travels in a request, a writeOnly one never in a
            # response: whether they are required there means nothing.
            hidden = self._hidden(old_props.get(name), new_props[name], direction, here.pointer)
            if name not in old_props:
                required = name in new_required and not hidden
                kind = "required" if required else "optional"
                level = BREAKING if required and direction == "request" else NON_BREAKING
                self.changes.add(
                    f"{direction}-{kind}-property-added",
                    level,
                    here,
                    f"new {kind} property {name!r}",
                )
                continue
            if not hidden and (name in old_required) != (name in new_required):
                became = "required" if name in new_required else "optional"
                level = level_for(
                    direction, narrowed=became == "required", widened=became == "optional"
                )
                self.changes.add(
                    f"{direction}-property-became-{became}",
                    level,
                    here,
                    f"property {name!r} became {became}",
                )
            self.compare(old_props[name], new_props[name], here, direction, f"{direction}-property")

    def _hidden(self, old: Any, new: Any, direction: Direction, where: str) -> bool:
        flag = "readOnly" if direction == "request" else "writeOnly"
        for resolver, schema in ((self.old, old), (self.new, new)):
            resolved, _ = resolver.resolve(schema, where)
            if isinstance(resolved, dict) and resolved.get(flag) is True:
                return True
        return False

    def _property_removed(
        self, name: str, required: bool, closed: bool, where: Where, direction: Direction
    ) -> None:
        if direction == "request":
            # Old clients still send it: harmless unless the schema now forbids unknown ones.
            level = BREAKING if closed else NON_BREAKING
            why = ": clients that send it are refused" if closed else ""
            self.changes.add(
                "request-property-removed", level, where, f"property {name!r} removed{why}"
            )
        elif required:
            self.changes.add(
                "response-required-property-removed",
                BREAKING,
                where,
                f"required property {name!r} removed",
            )
        else:
            self.changes.add(
                "response-optional-property-removed",
                NON_BREAKING,
                where,
                f"optional property {name!r} removed",
            )

    def _additional_properties(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        where: Where,
        direction: Direction,
        subject: str,
    ) -> None:
        before, after = old.get("additionalProperties", True), new.get("additionalProperties", True)
        if before == after or (before in (True, {}) and after in (True, {})):
            return
        rule = f"{subject}-additional-properties"
        here = where.at(".*", "additionalProperties")
        if after is False:
            self._add(
                f"{rule}-forbidden",
                where,
                direction,
                "properties not listed are no longer allowed",
                narrowed=True,
            )
        elif before is False:
            self._add(
                f"{rule}-allowed",
                where,
                direction,
                "properties not listed are now allowed",
                widened=True,
            )
        elif before in (True, {}):
            self._add(
                f"{rule}-restricted",
                where,
                direction,
                "properties not listed are now restricted by a schema",
                narrowed=True,
            )
        elif after in (True, {}):
            self._add(
                f"{rule}-unrestricted",
                where,
                direction,
                "properties not listed are no longer restricted by a schema",
                widened=True,
            )
        else:
            self.compare(before, after, here, direction, subject)

    def _alternatives(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        where: Where,
        direction: Direction,
        subject: str,
        keyword: str,
    ) -> None:
        before: list[Any] = old.get(keyword) or []
        after: list[Any] = new.get(keyword) or []
        if not before and not after:
            return
        rule = f"{subject}-{kebab(keyword)}"
        if not before:
            self._add(
                f"{rule}-added",
                where,
                direction,
                f"must now match {keyword} of {len(after)} schemas",
                narrowed=True,
            )
            return
        if not after:
            self._add(
                f"{rule}-removed",
                where,
                direction,
                f"no longer restricted by {keyword}",
                widened=True,
            )
            return
        old_prints = [self._fingerprint(s, self.old, where.pointer) for s in before]
        new_prints = [self._fingerprint(s, self.new, where.pointer) for s in after]
        unmatched_old = [i for i, p in enumerate(old_prints) if p not in new_prints]
        unmatched_new = [i for i, p in enumerate(new_prints) if p not in old_prints]
        # Leftovers on both sides are taken as the same alternatives, changed, in order.
        for i, j in zip(unmatched_old, unmatched_new, strict=False):
            self.compare(
                before[i], after[j], where.at(f"{keyword}[{j}]", keyword, j), direction, subject
            )
        for i in unmatched_old[len(unmatched_new) :]:
            self._add(
                f"{rule}-alternative-removed",
                where.at(f"{keyword}[{i}]", keyword, i),
                direction,
                f"{keyword} alternative {i} removed",
                narrowed=True,
            )
        for j in unmatched_new[len(unmatched_old) :]:
            self._add(
                f"{rule}-alternative-added",
                where.at(f"{keyword}[{j}]", keyword, j),
                direction,
                f"{keyword} alternative {j} added",
                widened=True,
            )

    def _fingerprint(self, schema: Any, resolver: Resolver, where: str) -> str:
        """The schema with refs inlined (recursion cut at the repeated ref), as JSON."""

        def inline(node: Any, stack: frozenset[str]) -> Any:
            if isinstance(node, dict):
                if isinstance(node.get("$ref"), str):
                    ref = node["$ref"]
                    if ref in stack:
                        return {"$recursive": len(stack)}
                    resolved, _ = resolver.resolve(node, where)
                    return inline(resolved, stack | {ref})
                return {k: inline(v, stack) for k, v in node.items()}
            if isinstance(node, list):
                return [inline(v, stack) for v in node]
            return node

        return json.dumps(inline(schema, frozenset()), sort_keys=True)
