"""Exceptions an API function or a runnable raises to answer a client error.

Anything else raised there is a 500 with an error id. Example::

    @dosirak.Runnable.method(batchable=True)
    def predict(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 2 or x.shape[1] != 4:
            raise InvalidInput(f"expected rows of 4 features, received shape {x.shape}")
        return self.model.predict(x)
"""

from __future__ import annotations

from collections.abc import Sequence

from dosirak.runtime.errors import BadRequest, NotImplementedOperation, UnprocessableContent

__all__ = ["BadInput", "InvalidInput", "NotImplementedOperation"]


class BadInput(BadRequest):
    """400: the input cannot be read at all."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)


class InvalidInput(UnprocessableContent):
    """422: the input was read but is not acceptable; ``loc`` says where (default the body)."""

    def __init__(self, detail: str, *, loc: Sequence[str | int] = ("body",)) -> None:
        super().__init__(detail, loc=loc, kind="invalid_input")
