"""What `diff_documents` finds: changes as values, and their text and JSON renderings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["BREAKING", "NON_BREAKING", "Change", "DiffReport", "Level"]

Level = Literal["breaking", "non-breaking"]
BREAKING: Level = "breaking"
NON_BREAKING: Level = "non-breaking"

#: Bumped when a field of `DiffReport.to_json` changes meaning or disappears.
JSON_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Change:
    """One difference between two documents, as a client of the old one sees it.

    ``rule`` is a stable id (``request-property-became-required``), ``operation`` the
    operation it is in (``POST /pets``; empty for the document as a whole), ``location``
    where inside it (``request body application/json .owner.name``), ``pointer`` a JSON
    pointer to the place in the new document (the old one for what was removed), walking
    through ``$ref`` s as if they were inline.
    """

    rule: str
    level: Level
    operation: str
    location: str
    pointer: str
    message: str

    @property
    def breaking(self) -> bool:
        return self.level == BREAKING

    def __str__(self) -> str:
        where = " ".join(part for part in (self.operation, self.location) if part)
        return f"{where}: {self.message} [{self.rule}]"


@dataclass(frozen=True)
class DiffReport:
    """Every change from an old document to a new one, in a stable order.

    Example::

        report = diff_documents(old, new)
        if report.breaking:
            print(report.to_text())
    """

    changes: tuple[Change, ...]

    @classmethod
    def of(cls, changes: Iterable[Change]) -> DiffReport:
        # Breaking first; then by operation and location, so output does not depend on
        # the order the rules ran in.
        unique = dict.fromkeys(changes)
        ordered = sorted(
            unique, key=lambda c: (not c.breaking, c.operation, c.location, c.rule, c.message)
        )
        return cls(tuple(ordered))

    @property
    def breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.breaking)

    @property
    def non_breaking(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if not c.breaking)

    def to_json(self) -> dict[str, Any]:
        """A stable, documented shape: ``version``, counts and ``changes`` (breaking first)."""
        return {
            "version": JSON_SCHEMA_VERSION,
            "breaking": len(self.breaking),
            "non_breaking": len(self.non_breaking),
            "changes": [
                {
                    "rule": c.rule,
                    "level": c.level,
                    "operation": c.operation,
                    "location": c.location,
                    "pointer": c.pointer,
                    "message": c.message,
                }
                for c in self.changes
            ],
        }

    def to_text(self) -> str:
        """Breaking changes first, each group by operation; one line per change."""
        if not self.changes:
            return "No changes.\n"
        lines: list[str] = []
        for title, group in (
            ("breaking", self.breaking),
            ("non-breaking", self.non_breaking),
        ):
            if not group:
                continue
            if lines:
                lines.append("")
            lines.append(f"{len(group)} {title} change{'' if len(group) == 1 else 's'}:")
            operation: str | None = None
            for change in group:
                if change.operation != operation:
                    operation = change.operation
                    lines.append(f"  {operation or '(document)'}")
                where = f"{change.location}: " if change.location else ""
                lines.append(f"    - {where}{change.message} [{change.rule}]")
        return "\n".join(lines) + "\n"
