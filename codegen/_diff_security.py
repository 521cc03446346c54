"""Comparing what an operation asks of its callers' credentials.

An operation's ``security`` (or the document's) lists alternatives, each a set of schemes
with scopes. A client that satisfied an old alternative must satisfy a new one: one whose
schemes and scopes are all within it. The definitions of the schemes it uses count too.
"""

from __future__ import annotations

from typing import Any

from ._diff_context import Changes, Where
from ._diff_report import BREAKING, NON_BREAKING

__all__ = ["compare_security"]

Requirement = dict[str, frozenset[str]]
#: Fields of a security scheme that change what a client sends.
_SCHEME_FIELDS = ("type", "in", "name", "scheme", "openIdConnectUrl")


def _requirements(document: dict[str, Any], operation: dict[str, Any]) -> list[Requirement]:
    raw = operation["security"] if "security" in operation else document.get("security")
    if not raw:
        return [{}]  # anyone may call
    return [
        {name: frozenset(scopes or ()) for name, scopes in alternative.items()}
        for alternative in raw
        if isinstance(alternative, dict)
    ]


def _within(new: Requirement, old: Requirement) -> bool:
    """A client meeting ``old`` also meets ``new``."""
    return all(name in old and scopes <= old[name] for name, scopes in new.items())


def _show(requirement: Requirement) -> str:
    if not requirement:
        return "no credentials"
    parts = [
        name + (f" ({', '.join(sorted(scopes))})" if scopes else "")
        for name, scopes in sorted(requirement.items())
    ]
    return " and ".join(parts)


def compare_security(
    old_document: dict[str, Any],
    new_document: dict[str, Any],
    old_operation: dict[str, Any],
    new_operation: dict[str, Any],
    where: Where,
    changes: Changes,
) -> None:
    """Report security requirements an old client may no longer meet, and the others."""
    before = _requirements(old_document, old_operation)
    after = _requirements(new_document, new_operation)
    here = where.at("security", "security")
    for old in before:
        if not any(_within(new, old) for new in after):
            options = "; or ".join(_show(n) for n in after)
            if not old:
                rule = "security-requirement-added"
            elif any(new.keys() == old.keys() for new in after):
                rule = "security-scope-added"
            else:
                rule = "security-alternative-removed"
            changes.add(
                rule,
                BREAKING,
                here,
                f"callers with {_show(old)} are no longer enough: the operation requires {options}",
            )
    for new in after:
        if new not in before:
            changes.add(
                "security-alternative-added" if new else "security-removed",
                NON_BREAKING,
                here,
                f"callers may now also authenticate with {_show(new)}"
                if new
                else "callers no longer need credentials",
            )
    old_schemes = (old_document.get("components") or {}).get("securitySchemes") or {}
    new_schemes = (new_document.get("components") or {}).get("securitySchemes") or {}
    used = {name for requirement in after for name in requirement}
    used &= {name for requirement in before for name in requirement}
    for name in sorted(used):
        old_scheme, new_scheme = old_schemes.get(name) or {}, new_schemes.get(name) or {}
        differing = [f for f in _SCHEME_FIELDS if old_scheme.get(f) != new_scheme.get(f)]
        if differing:
            changes.add(
                "security-scheme-changed",
                BREAKING,
                here,
                f"security scheme {name!r} changed its {', '.join(differing)}",
            )
