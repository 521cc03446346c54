from __future__ import annotations

from typing import Any, ClassVar

__all__ = ["IODescriptor"]


class IODescriptor:
    """Base of the input and output specifications an API declares.

    A descriptor says what travels over HTTP; `dosirak.codegen` turns its `io_spec()`
    into the OpenAPI document, and the generated server reads only that document.
    """

    kind: ClassVar[str]
    #: The Python type an API function receives or returns for this descriptor.
    python_type: ClassVar[Any] = object

    def io_spec(self) -> dict[str, Any]:
        """What the `x-dosirak-io` extension records for this descriptor."""
        raise NotImplementedError

    def example(self) -> Any | None:
        """A JSON example for the document, where the descriptor knows one."""
        return None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.io_spec().items() if k != "type")
        return f"{type(self).__name__}({args})"
