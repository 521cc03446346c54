"""JSON pointers (RFC 6901) and local `$ref` chains, read one way everywhere.

Inside a pointer's part ``~1`` stands for ``/`` and ``~0`` for ``~``. What cannot be
followed (a `$ref` to another file, to nothing, or back to itself) is a `Problem`, never
an exception or endless recursion; `cycles` finds every loop of a document at once::

    >>> schemas = {"A": {"$ref": "#/components/schemas/B"}, "B": {"type": "string"}}
    >>> follow({"components": {"schemas": schemas}}, schemas["A"], "#/x", "Skipped.")
    Target(node={'type': 'string'}, ref='#/components/schemas/B')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._problems import Problem

__all__ = [
    "SCHEMAS",
    "Target",
    "child",
    "cycles",
    "escape",
    "follow",
    "locate",
    "loop",
    "parts_of",
    "pointer",
    "schema_name",
    "unescape",
]

#: Where a document's named schemas live: ``#/components/schemas/<name>``.
SCHEMAS = "#/components/schemas/"


def escape(part: str | int) -> str:
    """One pointer part, escaped: ``a/b~c`` → ``a~1b~0c``."""
    return str(part).replace("~", "~0").replace("/", "~1")


def unescape(part: str) -> str:
    """One pointer part as it was: ``a~1b~0c`` → ``a/b~c`` (``~1`` first, as RFC 6901 says)."""
    return part.replace("~1", "/").replace("~0", "~")


def pointer(*parts: str | int) -> str:
    """A pointer from unescaped parts: ``pointer("paths", "/pets", "get")`` →
    ``#/paths/~1pets/get``; ``#`` (the whole document) for none."""
    return child("#", *parts)


def child(where: str, *parts: str | int) -> str:
    """The pointer ``where`` extended by ``parts``, each escaped."""
    return where + "".join("/" + escape(part) for part in parts)


def parts_of(ref: str) -> list[str] | None:
    """The unescaped parts of a local pointer (``#`` or ``#/...``); None for any other
    reference (another file, a plain-name fragment)."""
    if ref == "#":
        return []
    if not ref.startswith("#/"):
        return None
    return [unescape(part) for part in ref[2:].split("/")]


def schema_name(ref: str) -> str | None:
    """The component name of a ``#/components/schemas/<name>`` reference, else None."""
    if not ref.startswith(SCHEMAS):
        return None
    return unescape(ref[len(SCHEMAS) :])


@dataclass(frozen=True)
class Target:
    """Where a pointer or a `$ref` chain leads."""

    node: Any
    #: The last `$ref` followed to get there; None when the node was no reference.
    ref: str | None = None


def locate(
    document: Any, ref: str, where: str, consequence: str, *, shown: str | None = None
) -> Target | Problem:
    """The node the local pointer ``ref`` names in ``document`` (objects by key, arrays
    by index). ``where`` and ``consequence`` go into the problem if there is none;
    ``shown`` is the reference as the document spells it, when that is not ``ref``."""
    text = ref if shown is None else shown
    parts = parts_of(ref)
    if parts is None:
        reason = (
            f"$ref {text!r} is not a JSON pointer ('#/...')"
            if ref.startswith("#")
            else f"$ref {text!r} is not local to the document"
        )
        return Problem(where, consequence, reason)
    node = document
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return Problem(where, consequence, f"$ref {text!r} points nowhere")
    return Target(node, ref)


def loop(chain: Sequence[str], ref: str, where: str, consequence: str) -> Problem | None:
    """The problem of following ``ref`` after ``chain`` (the references being followed,
    outermost first) when it is one of them: a cycle. None when it is not."""
    if ref not in chain:
        return None
    cycle = " -> ".join([*chain[list(chain).index(ref) :], ref])
    return Problem(where, consequence, f"$ref {ref!r} refers to itself: {cycle}")


def follow(
    document: Any, node: Any, where: str, consequence: str, *, siblings: bool = False
) -> Target | Problem:
    """``node`` with its chain of local ``$ref`` s followed to what is no reference.

    With ``siblings`` (OpenAPI 3.1), a reference's other keywords apply over its target.
    A reference to another file, to nothing, or back into the chain is a `Problem` at
    ``where`` with ``consequence``.
    """
    found, _ = _chain(document, node, where, consequence, siblings)
    return found


def cycles(document: Any, consequence: str) -> list[Problem]:
    """A problem for each chain of ``$ref`` s in ``document`` that loops (``A`` refers to
    ``B``, which refers to ``A``), once per loop, where it is first met. Tools that
    follow references (openapi-spec-validator too) recurse until Python stops them."""
    found: dict[frozenset[str], Problem] = {}

    def visit(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                problem, chain = _chain(document, node, where, consequence, False)
                if isinstance(problem, Problem) and len(set(chain)) < len(chain):
                    # Keyed by the loop alone: each of its refs, and each way in, meets it.
                    found.setdefault(frozenset(chain[chain.index(chain[-1]) :]), problem)
            for key, value in node.items():
                visit(value, child(where, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, child(where, index))

    visit(document, "#")
    return list(found.values())


def _chain(
    document: Any, node: Any, where: str, consequence: str, siblings: bool
) -> tuple[Target | Problem, list[str]]:
    """What `follow` answers, and the references it met (the last one twice if they loop)."""
    chain: list[str] = []
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        cycle = loop(chain, ref, where, consequence)
        chain.append(ref)
        if cycle is not None:
            return cycle, chain
        found = locate(document, ref, where, consequence)
        if isinstance(found, Problem):
            return found, chain
        extra = {k: v for k, v in node.items() if k != "$ref"} if siblings else {}
        node = {**found.node, **extra} if extra and isinstance(found.node, dict) else found.node
    return Target(node, chain[-1] if chain else None), chain
