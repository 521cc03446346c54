"""What every diff rule shares: `$ref` resolution, where a change is, and the collector."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ._diff_report import BREAKING, NON_BREAKING, Change, Level
from ._problems import Problem
from ._refs import child, follow, pointer

__all__ = ["Changes", "Direction", "Resolver", "Where", "level_for"]

#: Requests are contravariant (the new side must accept all the old side accepted),
#: responses covariant (the new side must send only what old clients understand).
Direction = Literal["request", "response"]


def level_for(direction: Direction, *, narrowed: bool, widened: bool) -> Level:
    """Breaking when a request accepts less, or a response may send more, than before."""
    if (narrowed and direction == "request") or (widened and direction == "response"):
        return BREAKING
    return NON_BREAKING


class Resolver:
    """Follows local ``$ref`` s of one document; what cannot be followed is a `Problem`."""

    def __init__(self, document: dict[str, Any], name: str) -> None:
        self.document = document
        self.name = name
        self.problems: list[Problem] = []

    def resolve(self, node: Any, where: str) -> tuple[Any, str | None]:
        """``node`` with its ``$ref`` chain followed, and the last ref followed (or None);
        None for the node, with a problem, when the chain cannot be followed.

        OpenAPI 3.1 lets a ``$ref`` have siblings; they apply over the target.
        """
        consequence = f"The {self.name} document cannot be compared."
        found = follow(self.document, node, where, consequence, siblings=True)
        if isinstance(found, Problem):
            self.problems.append(found)
            return None, None
        return found.node, found.ref


@dataclass(frozen=True)
class Where:
    """A place in an operation, for people (``location``) and tools (``pointer``)."""

    operation: str
    location: str
    pointer: str
    #: The location ends with a property path (``.a.b``), which the next step extends.
    in_path: bool = False

    @classmethod
    def top(cls, *parts: str | int, operation: str = "", location: str = "") -> Where:
        return cls(operation, location, pointer(*parts))

    def at(self, text: str, *parts: str | int) -> Where:
        """One step further: ``text`` for people, ``parts`` for the pointer."""
        step = text.startswith((".", "["))
        if step and self.in_path:
            location = self.location + text
        else:
            location = f"{self.location} {text}".strip()
        return Where(self.operation, location, child(self.pointer, *parts), step)


@dataclass
class Changes:
    """Collects the changes the rules find."""

    items: list[Change] = field(default_factory=list)

    def add(self, rule: str, level: Level, where: Where, message: str) -> None:
        self.items.append(
            Change(rule, level, where.operation, where.location, where.pointer, message)
        )
