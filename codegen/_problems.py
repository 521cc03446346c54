"""Generation problems are values: where, what happens because of it, and why."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["GenerationError", "Problem"]


@dataclass(frozen=True)
class Problem:
    """One thing the generator could not do as asked.

    ``location`` is a JSON pointer into the document (``#/paths/~1classify/post``),
    ``consequence`` what the generator does about it, ``reason`` why.
    """

    location: str
    consequence: str
    reason: str
    #: A note says what the generator added or decided; it stops nothing.
    level: Literal["error", "warning", "note"] = "error"
    #: The thing is generated, only narrower (fewer media types): with --skip-unsupported
    #: it stays, where other errors leave their operation out.
    narrowing: bool = False

    def __str__(self) -> str:
        return f"{self.level.upper()} at {self.location}: {self.reason}\n  {self.consequence}"


class GenerationError(Exception):
    """Generation stopped; every problem found is in ``problems``."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        lines = [f"{len(self.problems)} problem(s) stopped generation:"]
        lines += [str(p) for p in self.problems]
        super().__init__("\n".join(lines))
