from __future__ import annotations

import inspect
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

    def check_parameters(self, inputs: list[inspect.Parameter], where: str) -> str | None:
        """Why the API function's input parameters cannot take this input, or None if they can.

        ``inputs`` are the function's parameters other than the context.
        """
        required = [p for p in inputs if p.default is p.empty]
        if not inputs:
            return "the function takes no parameter for its input; add one"
        if len(required) > 1:
            names = ", ".join(p.name for p in required)
            return (
                f"the function requires {len(required)} inputs ({names}) but the input "
                "descriptor gives one; use Multipart(...) for several, or give defaults"
            )
        if inputs[0].kind is inspect.Parameter.KEYWORD_ONLY:
            return f"the input parameter {inputs[0].name!r} must be positional"
        return None

    def json_types(self) -> list[Any]:
        """The pydantic-schemable types this descriptor's JSON carries (models, lists...)."""
        return []

    def parts(self) -> dict[str, IODescriptor]:
        """The descriptors a composite (`Multipart`) is made of, by part name; else none."""
        return {}

    def from_wire(self, value: Any) -> Any:
        """The value the API function receives for what the generated code decoded."""
        return value

    def call_arguments(self, value: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Positional and keyword arguments for the API function."""
        return (value,), {}

    def example(self) -> Any | None:
        """A JSON example for the document, where the descriptor knows one."""
        return None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.io_spec().items() if k != "type")
        return f"{type(self).__name__}({args})"
