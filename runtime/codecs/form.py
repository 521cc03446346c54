"""``application/x-www-form-urlencoded`` bodies: flat fields, validated into a model.

Every value arrives as text, so validation is lax (``"7"`` is the integer 7, ``"true"``
the boolean); a field the model types as an array takes every occurrence of its key
(``tag=a&tag=b``), any other field exactly one.
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Any
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python
from starlette.requests import Request
from starlette.responses import Response

from ..context import Context
from ..errors import BadRequest, ErrorItem, UnprocessableContent, unfit
from ._framing import Limits, ResponseValidationError, read_body
from ._response import BodyResponse
from .json import _adapter

__all__ = ["FORM", "decode", "encode", "read", "to_bytes"]

FORM = "application/x-www-form-urlencoded"


async def read(request: Request, content_type: str, limits: Limits, *, model: Any) -> Any:
    body = await read_body(request, limits.max_body_bytes)
    return decode(body, content_type, model=model)


def decode(body: bytes, content_type: str, *, model: Any) -> Any:
    """The fields as ``model`` (a pydantic model), or a dict of text when it is None."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the form is not valid UTF-8: {exc.reason} at byte {exc.start}") from None
    found: dict[str, list[str]] = {}
    for key, value in pairs:
        found.setdefault(key, []).append(value)
    arrays = _array_fields(model)
    errors = [
        ErrorItem(
            ("body", key), f"the field is given {len(values)} times; give it once", "repeated"
        )
        for key, values in found.items()
        if len(values) > 1 and key not in arrays
    ]
    if errors:
        raise UnprocessableContent(f"{len(errors)} form field(s) repeated", errors)
    fields = {key: values if key in arrays else values[0] for key, values in found.items()}
    if model is None:
        return fields
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate(fields, by_alias=True, by_name=False)
        return _adapter(model).validate_python(fields, by_alias=True, by_name=False)
    except ValidationError as exc:
        raise unfit("the form does not fit", exc) from None


@functools.cache
def _array_fields(model: Any) -> frozenset[str]:
    """The wire names of the model's fields that hold arrays."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return frozenset()
    return frozenset(
        field.alias or name
        for name, field in model.model_fields.items()
        if _is_array(field.annotation)
    )


def _is_array(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        return True
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        return any(_is_array(arg) for arg in typing.get_args(annotation))
    return False


def to_bytes(result: object, media_type: str, *, model: Any) -> bytes:
    """The fields of ``result`` (a model or a mapping) as a form; arrays repeat their key."""
    data = to_jsonable_python(result, by_alias=True, exclude_none=True)
    if not isinstance(data, dict):
        raise ResponseValidationError(
            f"the API returned {type(result).__name__}; a form carries an object's fields"
        )
    pairs: list[tuple[str, str]] = []
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, (dict, list)):
                raise ResponseValidationError(
                    f"the API's result has a nested value in field {key!r}; a form is flat"
                )
            pairs.append((key, "true" if item is True else "false" if item is False else str(item)))
    return urlencode(pairs).encode()


def encode(result: object, context: Context, media_type: str, *, model: Any) -> Response:
    return context.apply(BodyResponse(to_bytes(result, media_type, model=model), FORM))
