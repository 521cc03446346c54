"""The typed view of a document that templates read; nothing else reaches them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ._names import ClassName, PythonIdentifier

__all__ = ["Body", "Field", "Model", "Operation", "Param", "Service", "TypeAlias"]


@dataclass(frozen=True)
class Param:
    """One keyword argument of a runtime codec call, as Python source."""

    name: str
    code: str


@dataclass(frozen=True)
class Body:
    """A request or response body: its IO kind, media types and codec arguments."""

    kind: str
    media_types: tuple[str, ...]
    python_type: str
    params: tuple[Param, ...]
    summary: str
    #: Generated code casts what the codec returns to ``python_type``.
    cast: bool = False

    @property
    def params_code(self) -> str:
        """The codec arguments as one dict literal (the client's `BodySpec.params`)."""
        return "{" + ", ".join(f'"{p.name}": {p.code}' for p in self.params) + "}"

    @property
    def is_stream(self) -> bool:
        return self.media_types == ("text/event-stream",)

    @property
    def codec(self) -> str:
        """The alias of the runtime codec module in generated code."""
        return f"_{self.kind}"


@dataclass(frozen=True)
class Operation:
    operation_id: str
    name: PythonIdentifier
    path: str
    method: str
    summary: str | None
    request: Body
    response: Body
    #: The success statuses the document declares, the first being the default.
    statuses: tuple[int, ...] = (200,)


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

    @property
    def recursive(self) -> bool:
        """Whether the alias refers to itself (then it is written as a string)."""
        return re.search(rf"\b{re.escape(self.name)}\b", self.annotation) is not None


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
    def bodies(self) -> list[Body]:
        return [body for op in self.operations for body in (op.request, op.response)]

    @property
    def codecs(self) -> list[str]:
        """The runtime codec modules the generated code imports, sorted."""
        return sorted({body.kind for body in self.bodies})

    @property
    def uses_ndarray(self) -> bool:
        # By annotation, not kind: a multipart body's parts may be arrays.
        return any("_npt." in body.python_type for body in self.bodies)

    @property
    def models_use_typing(self) -> bool:
        annotations = [f.annotation for m in self.models for f in m.fields]
        return bool(self.aliases) or any("_t." in a for a in annotations)

    @property
    def client_package(self) -> str:
        """The generated client's import name: ``iris_classifier`` → ``iris_classifier_client``."""
        return str(PythonIdentifier(f"{self.title}_client", prefix="service"))

    @property
    def client_uses_abc(self) -> bool:
        return any(op.response.is_stream for op in self.operations)

    @property
    def model_names(self) -> list[str]:
        """Every name models.py exports, sorted as ruff sorts ``__all__``."""
        return sorted([m.name for m in self.models] + [a.name for a in self.aliases])

    @property
    def validators_use_typing(self) -> bool:
        return any("_t." in body.python_type or body.cast for body in self.bodies)

    @property
    def requests_use_models(self) -> bool:
        """Whether routes.py (which names request types only) needs the models module."""
        return any("_models." in op.request.python_type for op in self.operations)

    @property
    def requests_use_ndarray(self) -> bool:
        return any("_npt." in op.request.python_type for op in self.operations)

    @property
    def uses_models(self) -> bool:
        return any("_models." in body.python_type for body in self.bodies)
