"""The typed view of a document that templates read; nothing else reaches them."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._names import ClassName, PythonIdentifier

__all__ = [
    "Body",
    "Field",
    "JsonIO",
    "Model",
    "NdarrayIO",
    "Operation",
    "Service",
    "TextIO",
    "TypeAlias",
]


@dataclass(frozen=True)
class NdarrayIO:
    dtype: str | None
    shape: tuple[int, ...] | None
    enforce_dtype: bool
    enforce_shape: bool
    kind: str = "ndarray"
    python_type: str = "_npt.NDArray[_t.Any]"


@dataclass(frozen=True)
class JsonIO:
    """A JSON body: validated into ``model`` when the schema is a model's ``$ref``."""

    model: ClassName | None
    kind: str = "json"

    @property
    def python_type(self) -> str:
        return f"_models.{self.model}" if self.model else "_t.Any"


@dataclass(frozen=True)
class TextIO:
    kind: str = "text"
    python_type: str = "str"


@dataclass(frozen=True)
class Body:
    media_type: str
    io: NdarrayIO | JsonIO | TextIO


@dataclass(frozen=True)
class Operation:
    operation_id: str
    name: PythonIdentifier
    path: str
    method: str
    summary: str | None
    request: Body
    response: Body


@dataclass(frozen=True)
class Field:
    """A model field: ``name`` in Python, ``alias`` on the wire when they differ."""

    name: PythonIdentifier
    alias: str | None
    annotation: str
    required: bool
    default: str | None
    description: str | None


@dataclass(frozen=True)
class Model:
    name: ClassName
    description: str | None
    fields: tuple[Field, ...]
    extra: str  # pydantic's extra= policy: "ignore", "forbid" or "allow"


@dataclass(frozen=True)
class TypeAlias:
    """A named schema that is not an object (an enum, a union): ``Name = <annotation>``."""

    name: ClassName
    annotation: str
    description: str | None


@dataclass
class Service:
    """Everything generated from one document."""

    title: str
    version: str
    document_sha256: str
    operations: list[Operation] = field(default_factory=list)
    models: list[Model] = field(default_factory=list)
    aliases: list[TypeAlias] = field(default_factory=list)
    needs_datetime: bool = False
    needs_uuid: bool = False
    needs_field: bool = False

    @property
    def uses_ndarray(self) -> bool:
        return any(
            isinstance(body.io, NdarrayIO)
            for op in self.operations
            for body in (op.request, op.response)
        )

    @property
    def models_use_typing(self) -> bool:
        annotations = [f.annotation for m in self.models for f in m.fields]
        return bool(self.aliases) or any("_t." in a for a in annotations)

    @property
    def uses_models(self) -> bool:
        return any(
            isinstance(body.io, JsonIO) and body.io.model is not None
            for op in self.operations
            for body in (op.request, op.response)
        )
