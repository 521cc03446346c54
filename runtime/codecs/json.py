"""JSON bodies: any value, or validated into a pydantic model."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError, to_jsonable_python
from starlette.requests import Request
from starlette.responses import Response

from ..context import Context
from ..errors import BadRequest, unfit
from ._framing import Limits, ResponseValidationError, read_body
from ._response import BodyResponse

__all__ = ["JSON", "adopt_twins", "decode", "encode", "loads", "read", "to_bytes"]

JSON = "application/json"

# Generated models mapped to the service's own models that check the same JSON
# (runtime/_twins.py): a body declared as one is validated once, into the other.
_twins: dict[type[BaseModel], type[BaseModel]] = {}


# The service's own models mapped to the generated response models they write the same
# JSON as: a result of one is checked and written by its own model.
_answers: dict[type, type[BaseModel]] = {}


def adopt_twins(
    twins: Mapping[type[BaseModel], type[BaseModel]],
    answers: Mapping[type[BaseModel], type[BaseModel]],
) -> None:
    """Validate bodies declared as each generated model of ``twins`` straight into its
    service twin; check and write results of each service model of ``answers`` with it."""
    _twins.update(twins)
    _answers.update(answers)


def loads(body: bytes | bytearray) -> Any:
    """Parse JSON; 400 if the body is empty or not JSON."""
    if not body:
        raise BadRequest("the body is empty; send a JSON document")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None


@functools.cache
def _adapter(json_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(json_type)


def _name(json_type: Any) -> str:
    return str(getattr(json_type, "__name__", json_type))


async def read(request: Request, content_type: str, limits: Limits, *, model: Any) -> Any:
    body = await read_body(request, limits.max_body_bytes)
    return decode(body, content_type, model=model)


def decode(body: bytes, content_type: str, *, model: Any) -> Any:
    """Any JSON value, or one validated into ``model`` (422 with every finding).

    ``model`` is a pydantic model or any type pydantic validates (``list[Item]``...).
    """
    if model is None:
        return loads(body)
    if not body:
        raise BadRequest("the body is empty; send a JSON document")
    try:
        # Strict, by the wire names only: the document's types and names, no coercion of
        # "7" into 7 and no Python attribute names where it says "sepalLength".
        if isinstance(model, type) and issubclass(model, BaseModel):
            into = _twins.get(model, model)
            validator = into.__pydantic_validator__  # model_validate_json, less its checks
            return validator.validate_json(body, strict=True, by_alias=True, by_name=False)
        return _adapter(model).validate_json(body, strict=True, by_alias=True, by_name=False)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        if any(e["type"] == "json_invalid" for e in errors):
            raise BadRequest(f"the body is not valid JSON: {errors[0]['msg']}") from None
        raise unfit(f"the body does not fit {_name(model)}", exc) from None


def _default(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_bytes(result: object, media_type: str, *, model: Any) -> bytes:
    """Serialise a result; with ``model``, check it fits and write the wire (alias) names."""
    if model is None:
        try:
            return orjson.dumps(result, default=_default, option=orjson.OPT_SERIALIZE_NUMPY)
        except TypeError as exc:
            raise ResponseValidationError(
                f"the API returned a value JSON cannot carry: {exc}"
            ) from None
    if _answers.get(type(result)) is model:
        written = _written_by_own_model(result)
        if written is not None:
            return written
    if isinstance(model, type) and issubclass(model, BaseModel) and isinstance(result, model):
        return result.__pydantic_serializer__.to_json(result, by_alias=True)
    adapter = _adapter(model)
    try:
        # Through JSON-able data: the result may hold the service's own model classes.
        value = adapter.validate_python(to_jsonable_python(result, by_alias=True))
    except (ValidationError, PydanticSerializationError) as exc:
        raise ResponseValidationError(
            f"the API's result does not fit {_name(model)}: {exc}"
        ) from None
    # What the result left out stays out: the schema may not allow null there.
    return adapter.dump_json(value, by_alias=True, exclude_unset=True)


def _written_by_own_model(result: Any) -> bytes | None:
    """``result`` (of a flat model that writes only its schema) checked and written by its
    own model; None when it does not fit (the general path then words the 500)."""
    own = type(result)
    try:
        # Its fields checked as the generated model would check them: the model may have
        # been copied with an update or built without validation.
        checked = own.__pydantic_validator__.validate_python(result.__dict__)
    except ValidationError:
        return None
    written: bytes = own.__pydantic_serializer__.to_json(checked, by_alias=True)
    return written


def encode(result: object, context: Context, media_type: str, *, model: Any) -> Response:
    return context.apply(BodyResponse(to_bytes(result, media_type, model=model), JSON))
