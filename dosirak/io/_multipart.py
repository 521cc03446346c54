from __future__ import annotations

import inspect
import keyword
from collections.abc import Collection
from typing import Any, ClassVar

from pydantic import BaseModel

from ._base import IODescriptor
from ._json import Json

__all__ = ["Multipart"]


class Multipart(IODescriptor):
    """Several named parts in one ``multipart/form-data`` body, each its own descriptor.

    The API function takes one parameter per part, named as the part, and no others (the
    context aside); as output it returns a dict with one entry per part. Parts are matched
    by name, never by position.

    In the document: one property per part (its own schema: a model's ``$ref``, an
    array's JSON Schema, a binary string for files), all ``required``, no others
    (``additionalProperties: false``), and an ``encoding`` giving each part's
    Content-Type. Requests:

    - a missing, repeated or unknown part is a 422 with ``loc`` ``["body", "<part>"]``;
    - a part without a Content-Type is taken as its declared one (browsers send none for
      plain fields); one the part's kind does not take is a 415 naming the part (an array
      part also takes ``application/x-npy``; a `File` part takes any);
    - a part that does not fit is a 422 located inside it (``["body", "json", "field1"]``);
    - more parts than ``Limits.max_parts`` or a part other than a file larger than
      ``Limits.max_part_bytes`` is a 413.

    A `Json` part takes a pydantic model (or none): its schema goes to
    ``components/schemas`` and the function receives the model. Multipart parts do not
    nest.

    ``repeated`` names parts that may come several times under one name (several files
    for one field): the function receives a list of them, in order, and the document
    says an array of the part's schema. ``optional`` names parts that may be left out
    (not ``required``): the function receives None for one left out. As output, a
    repeated part takes a list (one part per item) and an optional one None (not sent).
    So ``repeated`` and ``optional`` cannot be part names.

    Example::

        class FooModel(BaseModel):
            field1: int

        @svc.api(
            input=Multipart(arr=NumpyNdarray(dtype="int64"), json=Json(pydantic_model=FooModel)),
            output=NumpyNdarray(dtype="int64"),
        )
        def predict(arr: np.ndarray, json: FooModel) -> np.ndarray:
            return arr * json.field1

        @svc.api(
            input=Multipart(files=File(), note=Text(), repeated=["files"], optional=["note"]),
            output=Json(),
        )
        def count(files: list[UploadedFile], note: str | None) -> dict[str, int]:
            return {"files": len(files)}
    """

    kind: ClassVar[str] = "multipart"
    python_type: ClassVar[Any] = dict

    def __init__(
        self,
        *,
        repeated: Collection[str] = (),
        optional: Collection[str] = (),
        **fields: IODescriptor,
    ) -> None:
        if not fields:
            raise TypeError("Multipart: give at least one part, as name=Descriptor()")
        for flag, names in (("repeated", repeated), ("optional", optional)):
            if isinstance(names, (str, IODescriptor)) or not all(isinstance(n, str) for n in names):
                raise TypeError(
                    f"Multipart: {flag}= takes a list of part names (so no part may be "
                    f"called {flag!r}), got {names!r}"
                )
            unknown = [n for n in names if n not in fields]
            if unknown:
                raise ValueError(f"Multipart: {flag}= names no part(s) {', '.join(unknown)}")
        for name, part in fields.items():
            if not name.isidentifier() or keyword.iskeyword(name):
                raise ValueError(f"Multipart: part name {name!r} must be a Python identifier")
            if not isinstance(part, IODescriptor):
                raise TypeError(
                    f"Multipart: part {name!r} must be an IO descriptor such as "
                    f"NumpyNdarray(), got {part!r}"
                )
            if isinstance(part, Multipart):
                raise TypeError(f"Multipart: part {name!r} is a Multipart; parts do not nest")
            model = part.pydantic_model if isinstance(part, Json) else None
            if model is not None and not (isinstance(model, type) and issubclass(model, BaseModel)):
                raise TypeError(
                    f"Multipart: the Json part {name!r} takes a pydantic model (or none), "
                    f"got {model!r}; wrap it in a model's field"
                )
        self.fields: dict[str, IODescriptor] = dict(fields)
        self.repeated: tuple[str, ...] = tuple(n for n in fields if n in repeated)
        self.optional: tuple[str, ...] = tuple(n for n in fields if n in optional)

    def parts(self) -> dict[str, IODescriptor]:
        return dict(self.fields)

    def io_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "type": self.kind,
            "parts": {name: part.io_spec() for name, part in self.fields.items()},
        }
        # Only when some are: documents without them stay as they were.
        if self.repeated:
            spec["repeated"] = list(self.repeated)
        if self.optional:
            spec["optional"] = list(self.optional)
        return spec

    def json_types(self) -> list[Any]:
        return [t for part in self.fields.values() for t in part.json_types()]

    def check_parameters(self, inputs: list[inspect.Parameter], where: str) -> str | None:
        names = [p.name for p in inputs]
        problems: list[str] = []
        missing = [n for n in self.fields if n not in names]
        if missing:
            problems.append(f"no parameter for part(s) {', '.join(missing)}")
        extra = [n for n in names if n not in self.fields]
        if extra:
            problems.append(f"parameter(s) {', '.join(extra)} are not parts")
        positional = [p.name for p in inputs if p.kind is inspect.Parameter.POSITIONAL_ONLY]
        if positional:
            problems.append(f"parameter(s) {', '.join(positional)} are positional-only")
        if not problems:
            return None
        return (
            f"the function's parameters ({', '.join(names) or 'none'}) must be the Multipart "
            f"parts ({', '.join(self.fields)}), passed by name: {'; '.join(problems)}"
        )

    def from_wire(self, value: Any) -> Any:
        return {name: self._part_from_wire(name, value.get(name)) for name in self.fields}

    def _part_from_wire(self, name: str, value: Any) -> Any:
        part = self.fields[name]
        if value is None and name in self.optional:
            return None
        if name in self.repeated:
            return [part.from_wire(item) for item in value]
        return part.from_wire(value)

    def call_arguments(self, value: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        return (), dict(value)

    def __repr__(self) -> str:
        parts = [f"{name}={part!r}" for name, part in self.fields.items()]
        parts += [f"{flag}={list(names)!r}" for flag, names in self._flags() if names]
        return f"Multipart({', '.join(parts)})"

    def _flags(self) -> list[tuple[str, tuple[str, ...]]]:
        return [("repeated", self.repeated), ("optional", self.optional)]
