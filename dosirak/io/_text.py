from __future__ import annotations

from typing import Any, ClassVar

from ._base import IODescriptor

__all__ = ["Text"]


class Text(IODescriptor):
    """Plain text (`text/plain`, UTF-8 unless the request names another charset).

    Example::

        @svc.api(input=Text(), output=Text())
        def shout(text: str) -> str:
            return text.upper()
    """

    kind: ClassVar[str] = "text"
    python_type: ClassVar[Any] = str

    def io_spec(self) -> dict[str, Any]:
        return {"type": self.kind}
