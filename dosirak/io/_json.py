from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

from dosirak.runtime.errors import unfit

from ._base import IODescriptor

__all__ = ["Json"]


class Json(IODescriptor):
    """A JSON body; with ``pydantic_model`` it is validated into that type.

    ``pydantic_model`` is a pydantic model or any type pydantic validates (``list[Item]``,
    ``Item | Refund``, ``dict[str, float]``). Models (and nested ones) appear under
    ``components/schemas`` of the document; without a type any JSON value passes.
    Output is validated too: a result that does not fit is a 500, never sent.

    Example::

        class Iris(BaseModel):
            sepal_len: float
            sepal_width: float

        @svc.api(input=Json(pydantic_model=Iris), output=Json())
        def classify(features: Iris) -> dict[str, int]: ...
    """

    kind: ClassVar[str] = "json"
    python_type: ClassVar[Any] = object

    def __init__(self, pydantic_model: Any = None) -> None:
        self.pydantic_model = pydantic_model
        self._adapter: TypeAdapter[Any] | None = None
        if pydantic_model is not None:
            try:
                self._adapter = TypeAdapter(pydantic_model)
            except Exception as exc:  # pydantic's errors for types it cannot handle vary
                raise TypeError(
                    f"Json: pydantic cannot validate {pydantic_model!r}: {exc}"
                ) from exc

    def json_types(self) -> list[Any]:
        return [] if self.pydantic_model is None else [self.pydantic_model]

    def from_wire(self, value: Any) -> Any:
        model = self.pydantic_model
        if self._adapter is None or (isinstance(model, type) and isinstance(value, model)):
            return value
        # The generated types and the service's own describe one schema: go through JSON,
        # leaving out what the client did not send so the service's own defaults apply.
        try:
            return self._adapter.validate_python(_wire_data(value))
        except ValidationError as exc:  # the service's own model is stricter than its schema
            raise unfit(f"the body does not fit {_type_name(self.pydantic_model)}", exc) from None

    def io_spec(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "model": self.pydantic_model.__name__ if _is_model(self.pydantic_model) else None,
        }


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _wire_data(value: Any) -> Any:
    """JSON-able data of a decoded value by wire names, without fields never set."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, (list, tuple)):
        return [_wire_data(item) for item in value]
    if isinstance(value, dict):
        return {key: _wire_data(item) for key, item in value.items()}
    return to_jsonable_python(value, by_alias=True)


def _type_name(value: Any) -> str:
    return str(getattr(value, "__name__", value))
