"""What a client needs to know of one operation: all of it read from the document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["BodySpec", "OperationSpec"]


@dataclass(frozen=True)
class BodySpec:
    """A body's IO kind, media types (preferred first) and codec arguments."""

    kind: str
    media_types: tuple[str, ...]
    params: dict[str, Any] = field(default_factory=dict)
    stream: bool = False


@dataclass(frozen=True)
class OperationSpec:
    method: str
    path: str
    request: BodySpec
    response: BodySpec
    #: Statuses the document declares as success.
    success: tuple[int, ...] = (200,)
