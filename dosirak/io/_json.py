from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel

from ._base import IODescriptor

__all__ = ["Json"]


class Json(IODescriptor):
    """A JSON body; with ``pydantic_model`` it is validated into that model.

    The model's schema (and those of nested models) appears under
    ``components/schemas`` of the document; without a model any JSON value passes.

    Example::

        class Iris(BaseModel):
            sepal_len: float
            sepal_width: float

        @svc.api(input=Json(pydantic_model=Iris), output=Json())
        def classify(features: Iris) -> dict[str, int]: ...
    """

    kind: ClassVar[str] = "json"
    python_type: ClassVar[Any] = object

    def __init__(self, pydantic_model: type[BaseModel] | None = None) -> None:
        if pydantic_model is not None and not (
            isinstance(pydantic_model, type) and issubclass(pydantic_model, BaseModel)
        ):
            raise TypeError(
                f"Json: pydantic_model must be a pydantic.BaseModel subclass, "
                f"got {pydantic_model!r}"
            )
        self.pydantic_model = pydantic_model

    def from_wire(self, value: Any) -> Any:
        model = self.pydantic_model
        if model is not None and isinstance(value, BaseModel) and not isinstance(value, model):
            # The generated model and the service's own describe one schema.
            return model.model_validate(value.model_dump(by_alias=True))
        return value

    def io_spec(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "model": None if self.pydantic_model is None else self.pydantic_model.__name__,
        }
