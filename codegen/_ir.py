"""The typed view of a document that templates read; nothing else reaches them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ._names import ClassName, PythonIdentifier
from ._problems import Problem

__all__ = [
    "Body",
    "Field",
    "Model",
    "Operation",
    "Param",
    "Parameter",
    "Service",
    "TypeAlias",
]


#: The import each module alias of generated code needs, by the prefix that uses it.
STDLIB_IMPORTS = {
    "_abc.": "import collections.abc as _abc",
    "_dt.": "import datetime as _dt",
    "_t.": "import typing as _t",
    "_uuid.": "import uuid as _uuid",
}
THIRD_PARTY_IMPORTS = {
    "_npt.": "import numpy.typing as _npt",
    "_pd.": "import pandas as _pd",
    "_PILImage.": "import PIL.Image as _PILImage",
}


def imports_used(code: str, imports: dict[str, str]) -> list[str]:
    """The lines of ``imports`` whose alias ``code`` uses."""
    return [line for prefix, line in imports.items() if prefix in code]


def isort_order(lines: Iterable[str]) -> list[str]:
    """``import`` lines, each once, sorted as isort sorts them (by module, any case)."""
    return sorted(set(lines), key=lambda line: line.split()[1].lower())


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
    #: Imports ``python_type`` needs (beyond typing, numpy.typing and the models).
    imports: tuple[str, ...] = ()

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


def plain_annotation(annotation: str) -> str:
    """``annotation`` without its pydantic constraints: ``_t.Annotated[int, ...]`` → ``int``.

    Handlers receive values already checked; their signatures say only the types.
    """
    head = "_t.Annotated["
    while head in annotation:
        start = annotation.index(head)
        comma = _scan(annotation, start + len(head), stop_at_comma=True)
        close = _scan(annotation, comma, stop_at_comma=False)
        if comma >= len(annotation) or close >= len(annotation):
            return annotation
        annotation = (
            annotation[:start] + annotation[start + len(head) : comma] + annotation[close + 1 :]
        )
    return annotation


def _scan(text: str, index: int, *, stop_at_comma: bool) -> int:
    """The index of the bracket closing the level ``index`` is in (or of its first comma),
    skipping string literals."""
    depth = 0
    quote = ""
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[(":
            depth += 1
        elif char in "])":
            if depth == 0:
                return index
            depth -= 1
        elif char == "," and depth == 0 and stop_at_comma:
            return index
        index += 1
    return index


@dataclass(frozen=True)
class Parameter:
    """A path, query, header or cookie parameter: ``name`` on the wire, ``python_name`` here."""

    name: str
    python_name: PythonIdentifier
    location: str
    annotation: str
    required: bool
    #: The type a value is validated into (``annotation`` without ``| None``).
    value_type: str = "str"
    #: An array (form style in query, simple elsewhere); ``explode`` as the document says.
    array: bool = False
    explode: bool = True
    #: The schema's default as Python source, given when the parameter is absent.
    default: str | None = None
    #: The name of its TypeAdapter in the server's validators module.
    adapter: str = ""

    @property
    def handler_annotation(self) -> str:
        """The type a handler receives: None only when absent and without a default."""
        return self.value_type if self.required or self.default is not None else self.annotation

    @property
    def read_options(self) -> str:
        options = []
        if not self.required:
            options.append(f"default={self.default or 'None'}")
        if self.array:
            options.append("array=True")
        if self.array and not self.explode and self.location == "query":
            options.append("explode=False")  # elsewhere arrays are never exploded
        return "".join(f", {option}" for option in options)


@dataclass(frozen=True)
class Operation:
    """One operation, as the templates generate it."""

    operation_id: str
    name: PythonIdentifier
    path: str
    method: str
    summary: str | None
    #: None only in clients: an operation without a body, or answering none.
    request: Body | None
    response: Body | None
    #: The success statuses the document declares, the first being the default.
    statuses: tuple[int, ...] = (200,)
    #: Parameters, required ones first.
    parameters: tuple[Parameter, ...] = ()
    #: Whether a request must have its body (a document's bodies are optional by default).
    request_required: bool = True
    description: str | None = None
    #: Where the server serves it: the path of its first server's URL ("" for the root).
    base_path: str = ""
    #: The response headers the document requires, lower-case, by success status.
    required_headers: tuple[tuple[int, tuple[str, ...]], ...] = ()

    @property
    def route_path(self) -> str:
        """The path the server serves, below its base path, with each template variable
        named as Starlette can match it."""
        path = self.path
        for parameter in self.parameters:
            if parameter.location == "path":
                path = path.replace("{" + parameter.name + "}", "{" + parameter.python_name + "}")
        return self.base_path + path

    @property
    def body_annotation(self) -> str:
        """The type of the body the server's handler receives."""
        if self.request is None:
            return "None"
        if self.request_required:
            return self.request.python_type
        return f"{self.request.python_type} | None"

    @property
    def handler_parameters(self) -> list[str]:
        """The parameters of its function in ``handlers.py``: body, then keywords."""
        found = [f"body: {plain_annotation(self.body_annotation)}"] if self.request else []
        found.append("*")
        found += [
            f"{p.python_name}: {plain_annotation(p.handler_annotation)}" for p in self.parameters
        ]
        return [*found, "context: _Context"]

    @property
    def handler_returns(self) -> str:
        if self.response is None:
            return "None"
        if self.response.is_stream:
            return "_abc.AsyncIterator[str]"
        return self.response.python_type

    @property
    def keyword_parameters(self) -> list[str]:
        """``*`` and ``name: type`` for each parameter (none when there are none)."""
        if not self.parameters:
            return []
        return ["*"] + [f"{p.python_name}: {p.handler_annotation}" for p in self.parameters]

    @property
    def parameters_code(self) -> str:
        """``{"wire name": python_name, ...}`` for the client's call."""
        return "{" + ", ".join(f'"{p.name}": {p.python_name}' for p in self.parameters) + "}"

    @property
    def parameter_specs(self) -> tuple[tuple[str, str, str], ...]:
        """(wire name, location, Python name) of each parameter, for the client's spec."""
        return tuple((p.name, p.location, str(p.python_name)) for p in self.parameters)


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
    needs_field: bool = False
    #: What was left out (with --skip-unsupported) or narrowed, for the CLI to print.
    warnings: list[Problem] = field(default_factory=list)
    #: With --skip-unsupported, where: an operation left out (None), or a body narrowed to
    #: the media types given; the published document leaves the rest out too.
    left_out: list[tuple[str, tuple[str, ...] | None]] = field(default_factory=list)

    @property
    def bodies(self) -> list[Body]:
        found = [body for op in self.operations for body in (op.request, op.response)]
        return [body for body in found if body is not None]

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
        return bool(self.aliases) or "_t." in self._models_code

    @property
    def needs_datetime(self) -> bool:
        """Whether models.py names ``_dt`` (a parameter's date does not count: it is not
        in models.py)."""
        return "_dt." in self._models_code

    @property
    def needs_uuid(self) -> bool:
        return "_uuid." in self._models_code

    @property
    def _models_code(self) -> str:
        """The annotations and defaults models.py writes."""
        code = [f"{f.annotation} {f.default}" for m in self.models for f in m.fields]
        return " ".join([*code, *(a.annotation for a in self.aliases)])

    @property
    def package_version(self) -> str:
        """``info.version`` as a Python package version (PEP 440), ``0`` if it is not one:
        ``1.0.27-SNAPSHOT`` is not."""
        pep440 = r"v?\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?(\+[a-z0-9.]+)?"
        return self.version if re.fullmatch(pep440, self.version, re.IGNORECASE) else "0"

    @property
    def client_package(self) -> str:
        """The generated client's import name: ``iris_classifier`` → ``iris_classifier_client``."""
        return str(PythonIdentifier(f"{self.title}_client", prefix="service"))

    @property
    def client_uses_typing(self) -> bool:
        """Whether client.py casts a result (any operation answers a body) or says Any."""
        types = [p.annotation for op in self.operations for p in op.parameters]
        types += [body.python_type for body in self.bodies]
        return any(op.response and not op.response.is_stream for op in self.operations) or any(
            "_t." in t for t in types
        )

    @property
    def client_uses_pydantic(self) -> bool:
        """Whether a parameter's annotation carries pydantic constraints."""
        return any("_pydantic." in p.annotation for op in self.operations for p in op.parameters)

    @property
    def client_uses_abc(self) -> bool:
        return any(op.response and op.response.is_stream for op in self.operations)

    @property
    def client_stdlib_imports(self) -> list[str]:
        """The standard-library imports of client.py, sorted as isort sorts them."""
        types = [p.annotation for op in self.operations for p in op.parameters]
        code = " ".join(types + [body.python_type for body in self.bodies])
        found = [
            ("import collections.abc as _abc", self.client_uses_abc),
            ("import datetime as _dt", "_dt." in code),
            ("import typing as _t", self.client_uses_typing),
            ("import uuid as _uuid", "_uuid." in code),
        ]
        return [line for line, used in found if used]

    @property
    def type_imports(self) -> list[str]:
        """Imports the bodies' Python types need, sorted as isort sorts them."""
        return isort_order(line for body in self.bodies for line in body.imports)

    @property
    def request_type_imports(self) -> list[str]:
        return isort_order(
            line for op in self.operations if op.request for line in op.request.imports
        )

    @property
    def client_requirements(self) -> list[str]:
        """Distributions the client needs for its types, beyond dosirak's own."""
        found = {"pandas>=2.0" if "pandas" in line else "pillow>=10" for line in self.type_imports}
        return sorted(found)

    @property
    def recursive_aliases(self) -> list[TypeAlias]:
        return [alias for alias in self.aliases if alias.recursive]

    @property
    def model_names(self) -> list[str]:
        """Every name models.py exports, sorted as ruff sorts ``__all__``."""
        return sorted([m.name for m in self.models] + [a.name for a in self.aliases])

    @property
    def validators_use_typing(self) -> bool:
        """validators.py names request types only (responses go in as ``object``)."""
        requests = [op.request for op in self.operations if op.request]
        return any("_t." in body.python_type or body.cast for body in requests)

    @property
    def requests_use_models(self) -> bool:
        """Whether routes.py (which names request types only) needs the models module."""
        return any(op.request and "_models." in op.request.python_type for op in self.operations)

    @property
    def requests_use_ndarray(self) -> bool:
        return any(op.request and "_npt." in op.request.python_type for op in self.operations)

    @property
    def uses_models(self) -> bool:
        return any("_models." in body.python_type for body in self.bodies)

    @property
    def routes_use_parameters(self) -> bool:
        """Whether routes.py calls the parameters module (an optional body, no response)."""
        return any(
            op.response is None or (op.request is not None and not op.request_required)
            for op in self.operations
        )

    @property
    def has_requests(self) -> bool:
        return any(op.request for op in self.operations)

    @property
    def routes_use_validators(self) -> bool:
        return any(op.request or op.response or op.parameters for op in self.operations)

    @property
    def has_responses(self) -> bool:
        return any(op.response for op in self.operations)

    @property
    def routes_in_order(self) -> list[Operation]:
        """Concrete paths before templated ones (``/pets/mine`` before ``/pets/{id}``); a
        HEAD before the GET of its path, which would answer it otherwise."""
        return sorted(self.operations, key=lambda op: (op.path.count("{"), op.method != "HEAD"))

    @property
    def parameter_types(self) -> list[str]:
        return [p.value_type for op in self.operations for p in op.parameters]

    @property
    def parameter_stdlib_imports(self) -> list[str]:
        """Standard-library imports the parameters' types need in the server's modules."""
        code = " ".join(self.parameter_types)
        return imports_used(code, {k: STDLIB_IMPORTS[k] for k in ("_dt.", "_uuid.")})

    @property
    def parameters_use_pydantic(self) -> bool:
        return any("_pydantic." in t for t in self.parameter_types)
