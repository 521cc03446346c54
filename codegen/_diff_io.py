"""Comparing two ``x-dosirak-io`` extensions: what JSON Schema cannot say about a body.

The dtype and shape of arrays, series and data frames, how strictly the server enforces
them, a frame's orient and columns, and image limits. Multipart parts are compared part
by part; which parts exist is the body schema's business (its properties).
"""

from __future__ import annotations

import json
from typing import Any

from ._diff_context import Changes, Direction, Where, level_for
from ._diff_report import BREAKING, NON_BREAKING

__all__ = ["compare_io"]

#: Options handled by their own rule, or by the body's media types and schema.
_COMPARED = {
    "type",
    "dtype",
    "shape",
    "enforce_dtype",
    "enforce_shape",
    "orient",
    "columns",
    "parts",
    "max_pixels",
    "mime_type",
    "allowed_mime_types",
    "arrow",
    "model",
}
#: Options whose change alters what travels on the wire, so breaks old clients.
_WIRE_OPTIONS = {"stream"}


def _show(value: Any) -> str:
    if isinstance(value, list):
        dims = ", ".join("*" if isinstance(d, int) and d < 0 else str(d) for d in value)
        return f"({dims}{',' if len(value) == 1 else ''})"
    return json.dumps(value, sort_keys=True)


def compare_io(old: Any, new: Any, where: Where, direction: Direction, changes: Changes) -> None:
    """Report how the ``x-dosirak-io`` of one body changed; either may be absent."""
    _compare(old, new, where.at("x-dosirak-io", "x-dosirak-io"), direction, changes)


def _compare(old: Any, new: Any, here: Where, direction: Direction, changes: Changes) -> None:
    if not isinstance(old, dict) or not isinstance(new, dict) or old == new:
        return
    rule = f"{direction}-io"
    if old.get("type") != new.get("type"):
        changes.add(
            f"{rule}-type-changed",
            BREAKING,
            here,
            f"IO type changed from {old.get('type')!r} to {new.get('type')!r}",
        )
        return
    _dtype(old, new, here, direction, changes)
    _shape(old.get("shape"), new.get("shape"), here, direction, changes)
    for what in ("dtype", "shape"):
        _enforcement(old, new, what, here, direction, changes)
    if old.get("orient") != new.get("orient"):
        changes.add(
            f"{rule}-orient-changed",
            BREAKING,
            here,
            f"orient changed from {old.get('orient')!r} to {new.get('orient')!r}",
        )
    _columns(old.get("columns"), new.get("columns"), here, direction, changes)
    _max_pixels(old.get("max_pixels"), new.get("max_pixels"), here, direction, changes)
    for key in sorted((old.keys() | new.keys()) - _COMPARED):
        if old.get(key) != new.get(key):
            level = BREAKING if key in _WIRE_OPTIONS else NON_BREAKING
            changes.add(
                f"{rule}-{key.replace('_', '-')}-changed",
                level,
                here,
                f"{key} changed from {_show(old.get(key))} to {_show(new.get(key))}",
            )
    old_parts, new_parts = old.get("parts") or {}, new.get("parts") or {}
    for name in old_parts:
        if name in new_parts:
            part = here.at(f"part {name!r}", "parts", name)
            _compare(old_parts[name], new_parts[name], part, direction, changes)


def _dtype(
    old: dict[str, Any], new: dict[str, Any], where: Where, direction: Direction, changes: Changes
) -> None:
    before, after = old.get("dtype"), new.get("dtype")
    if before == after:
        return
    # No dtype means any: dropping it widens (fine for requests), adding it narrows
    # (fine for responses); one dtype for another breaks either way.
    level = level_for(direction, narrowed=after is not None, widened=before is not None)
    if before is None:
        message = f"dtype now {_show(after)}"
    elif after is None:
        message = f"dtype {_show(before)} no longer fixed"
    else:
        message = f"dtype changed from {_show(before)} to {_show(after)}"
        level = BREAKING
    changes.add(f"{direction}-io-dtype-changed", level, where, message)


def _shape(before: Any, after: Any, where: Where, direction: Direction, changes: Changes) -> None:
    if before == after:
        return
    rule = f"{direction}-io-shape-changed"
    if before is None or after is None:
        narrowed = before is None
        message = f"shape now {_show(after)}" if narrowed else f"shape {_show(before)} dropped"
        changes.add(
            rule, level_for(direction, narrowed=narrowed, widened=not narrowed), where, message
        )
        return
    message = f"shape changed from {_show(before)} to {_show(after)}"
    if len(before) != len(after):
        changes.add(rule, BREAKING, where, f"{message}: the rank changed")
        return
    narrowed = widened = False
    for old_dim, new_dim in zip(before, after, strict=True):
        if old_dim == new_dim:
            continue
        if old_dim >= 0 and new_dim >= 0:  # one fixed size for another
            narrowed = widened = True
        elif new_dim >= 0:  # any size became a fixed one
            narrowed = True
        else:
            widened = True
    changes.add(rule, level_for(direction, narrowed=narrowed, widened=widened), where, message)


def _enforcement(
    old: dict[str, Any],
    new: dict[str, Any],
    what: str,
    where: Where,
    direction: Direction,
    changes: Changes,
) -> None:
    key = f"enforce_{what}"
    before, after = bool(old.get(key)), bool(new.get(key))
    if before == after or direction == "response":
        return  # the server enforces what it receives; responses are what they are
    if after:
        changes.add(
            f"request-io-{what}-enforced",
            BREAKING,
            where,
            f"the {what} is now enforced: requests of another {what} get 422",
        )
    else:
        changes.add(
            f"request-io-{what}-no-longer-enforced",
            NON_BREAKING,
            where,
            f"the {what} is no longer enforced",
        )


def _columns(before: Any, after: Any, where: Where, direction: Direction, changes: Changes) -> None:
    if before == after or not isinstance(before, list) or not isinstance(after, list):
        return
    removed = [c for c in before if c not in after]
    added = [c for c in after if c not in before]
    if removed:
        changes.add(
            f"{direction}-io-columns-removed",
            NON_BREAKING if direction == "request" else BREAKING,
            where,
            f"column{'s' if len(removed) > 1 else ''} {', '.join(map(repr, removed))} removed",
        )
    if added:
        changes.add(
            f"{direction}-io-columns-added",
            BREAKING if direction == "request" else NON_BREAKING,
            where,
            f"column{'s' if len(added) > 1 else ''} {', '.join(map(repr, added))} added",
        )
    kept_before = [c for c in before if c in after]
    kept_after = [c for c in after if c in before]
    if kept_before != kept_after:
        changes.add(
            f"{direction}-io-columns-reordered",
            BREAKING,
            where,
            f"columns reordered from {_show(kept_before)} to {_show(kept_after)}",
        )


def _max_pixels(
    before: Any, after: Any, where: Where, direction: Direction, changes: Changes
) -> None:
    if before == after or direction == "response":
        return
    if before is not None and (after is None or after > before):
        changes.add(
            "request-io-max-pixels-increased",
            NON_BREAKING,
            where,
            f"max_pixels raised from {before} to {after}",
        )
    else:
        changes.add(
            "request-io-max-pixels-decreased",
            BREAKING,
            where,
            f"max_pixels lowered from {before} to {after}: larger images are refused",
        )
