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

    @property
    def is_stream(self) -> bool:
        return self.media_types == ("text/event-stream",)


@dataclass(frozen=True)
class OperationSpec:
    method: str
    path: str
    #: None: the operation takes no body, or answers none.
    request: BodySpec | None
    response: BodySpec | None
    #: Statuses the document declares as success.
    success: tuple[int, ...] = (200,)
    #: (wire name, location, Python name) of each parameter.
    parameters: tuple[tuple[str, str, str], ...] = ()
