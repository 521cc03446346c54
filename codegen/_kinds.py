"""What each IO kind means to the generator: media types, schemas, codec parameters.

Both directions read the same ``x-dosirak-io`` dict: the document builder (to write
schemas) and the parser (to write the generated code's literals). A new IO kind is a
descriptor, an entry here, and a codec module in ``dosirak.runtime.codecs``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._names import ClassName
from ._schemas import ndarray_schema

__all__ = ["KINDS", "Kind", "ModelRef"]

JSON = "application/json"
NPY = "application/x-npy"
EVENT_STREAM = "text/event-stream"
BINARY_SCHEMA: dict[str, Any] = {"type": "string", "format": "binary"}


@dataclass(frozen=True)
class ModelRef:
    """A parameter naming a generated pydantic model."""

    name: str


Spec = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    name: str
    #: Request and response media types, the first being the default.
    media_types: Callable[[Spec], tuple[str, ...]]
    #: The schema of one media type; ``model_schema`` is the model's `$ref` for JSON kinds;
    #: schemas it refers to go into ``components`` (components/schemas of the document).
    schema: Callable[[Spec, str, dict[str, Any] | None, dict[str, Any]], dict[str, Any]]
    #: The Python annotation of the decoded value, in generated code's aliases.
    python_type: Callable[[Spec], str]
    #: Keyword arguments of the runtime codec, in order.
    params: Callable[[Spec], list[tuple[str, Any]]]
    #: A phrase for docstrings: what the body holds.
    summary: Callable[[Spec], str]
    #: The codec's ``read`` is typed ``Any`` (it validates into a type given at run time),
    #: so generated code casts its result to ``python_type``.
    read_is_untyped: bool = False
    #: Imports ``python_type`` needs in generated code (an optional extra's module, say).
    imports: Callable[[Spec], tuple[str, ...]] = lambda spec: ()
    #: The media type object's ``encoding`` (each multipart part's Content-Type), if any.
    encoding: Callable[[Spec, str], dict[str, Any] | None] = lambda spec, media_type: None


def _ndarray_schema(
    spec: Spec, media_type: str, _: dict[str, Any] | None, components: dict[str, Any]
) -> dict[str, Any]:
    if media_type == NPY:
        return dict(BINARY_SCHEMA)
    return ndarray_schema(spec.get("dtype"), spec.get("shape"), components)


def _ndarray_params(spec: Spec) -> list[tuple[str, Any]]:
    shape = spec.get("shape")
    return [
        ("dtype", spec.get("dtype")),
        ("shape", None if shape is None else tuple(int(d) for d in shape)),
        ("enforce_dtype", bool(spec.get("enforce_dtype", False))),
        ("enforce_shape", bool(spec.get("enforce_shape", False))),
    ]


def _ndarray_summary(spec: Spec) -> str:
    text = f"{spec.get('dtype') or 'any'} array"
    shape = spec.get("shape")
    if shape is not None:
        dims = ", ".join("*" if d < 0 else str(d) for d in shape)
        text += f" of shape ({dims}{',' if len(shape) == 1 else ''})"
    enforced = [k for k in ("dtype", "shape") if spec.get(f"enforce_{k}")]
    if enforced:
        text += f", {' and '.join(enforced)} enforced"
    return text


def _json_schema(
    spec: Spec, _: str, model_schema: dict[str, Any] | None, components: dict[str, Any]
) -> dict[str, Any]:
    return dict(model_schema) if model_schema is not None else {}


def _json_type(spec: Spec) -> str:
    return f"_models.{ClassName(spec['model'])}" if spec.get("model") else "_t.Any"


def _json_params(spec: Spec) -> list[tuple[str, Any]]:
    model = spec.get("model")
    return [("model", None if model is None else ModelRef(model))]


def _text_schema(
    spec: Spec, media_type: str, _: dict[str, Any] | None, components: dict[str, Any]
) -> dict[str, Any]:
    if media_type == EVENT_STREAM:
        return {
            "type": "string",
            "description": "Server-sent events: each item the API yields is one `data:` "
            "event. A failure before the first item is an ordinary error response; one "
            "midway ends the stream with an `error` event whose data is the problem JSON.",
        }
    return {"type": "string"}


_BUILT_IN: dict[str, Kind] = {
    "ndarray": Kind(
        name="ndarray",
        media_types=lambda spec: (JSON, NPY),
        schema=_ndarray_schema,
        python_type=lambda spec: "_npt.NDArray[_t.Any]",
        params=_ndarray_params,
        summary=_ndarray_summary,
    ),
    "json": Kind(
        name="json",
        media_types=lambda spec: (JSON,),
        schema=_json_schema,
        python_type=_json_type,
        params=_json_params,
        read_is_untyped=True,
        summary=lambda spec: (
            f"JSON validated as {spec['model']}" if spec.get("model") else "any JSON"
        ),
    ),
    "text": Kind(
        name="text",
        media_types=lambda spec: (EVENT_STREAM,) if spec.get("stream") else ("text/plain",),
        schema=_text_schema,
        python_type=lambda spec: "str",
        params=lambda spec: [("stream", True)] if spec.get("stream") else [],
        summary=lambda spec: (
            "text streamed as server-sent events" if spec.get("stream") else "text"
        ),
    ),
    "form": Kind(
        name="form",
        media_types=lambda spec: ("application/x-www-form-urlencoded",),
        schema=_json_schema,
        python_type=_json_type,
        params=_json_params,
        read_is_untyped=True,
        summary=lambda spec: (
            f"form fields validated as {spec['model']}" if spec.get("model") else "form fields"
        ),
    ),
}


def _image_kind() -> Kind:
    from ._kind_image import image_media_types, image_params, image_schema, image_summary

    return Kind(
        name="image",
        media_types=image_media_types,
        schema=image_schema,
        python_type=lambda spec: "_PILImage.Image",
        imports=lambda spec: ("import PIL.Image as _PILImage",),
        params=image_params,
        summary=image_summary,
    )


def _file_kind() -> Kind:
    from ._kind_file import file_media_types, file_schema, file_summary

    return Kind(
        name="file",
        media_types=file_media_types,
        schema=file_schema,
        python_type=lambda spec: "_t.IO[bytes]",
        params=lambda spec: [],
        summary=file_summary,
    )


def _multipart_kind() -> Kind:
    from ._kind_multipart import (
        multipart_encoding,
        multipart_imports,
        multipart_media_types,
        multipart_params,
        multipart_python_type,
        multipart_schema,
        multipart_summary,
    )

    return Kind(
        name="multipart",
        media_types=multipart_media_types,
        schema=multipart_schema,
        python_type=multipart_python_type,
        params=multipart_params,
        summary=multipart_summary,
        encoding=multipart_encoding,
        imports=multipart_imports,
    )


def _dataframe_kind() -> Kind:
    from ._kind_pandas import frame_media_types, frame_params, frame_schema, frame_summary

    return Kind(
        name="dataframe",
        media_types=frame_media_types,
        schema=frame_schema,
        python_type=lambda spec: "_pd.DataFrame",
        imports=lambda spec: ("import pandas as _pd",),
        params=frame_params,
        summary=frame_summary,
    )


def _series_kind() -> Kind:
    from ._kind_pandas import frame_media_types, series_params, series_schema, series_summary

    return Kind(
        name="series",
        media_types=frame_media_types,
        schema=series_schema,
        python_type=lambda spec: "_pd.Series[_t.Any]",
        imports=lambda spec: ("import pandas as _pd",),
        params=series_params,
        summary=series_summary,
    )


class _Kinds(Mapping[str, Kind]):
    """The kinds by name. Those needing a module of their own (pandas, multipart, image,
    file) load it on first lookup: a served service builds its document with only the
    kinds it declares, which keeps its start-up short."""

    def __init__(self, built: dict[str, Kind], lazy: dict[str, Callable[[], Kind]]) -> None:
        self._built = dict(built)
        self._lazy = lazy
        self._names = (*built, *lazy)

    def __getitem__(self, name: str) -> Kind:
        kind = self._built.get(name)
        if kind is None:
            kind = self._built[name] = self._lazy[name]()  # KeyError for an unknown kind
        return kind

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


KINDS: Mapping[str, Kind] = _Kinds(
    _BUILT_IN,
    {
        "image": _image_kind,
        "file": _file_kind,
        "multipart": _multipart_kind,
        "dataframe": _dataframe_kind,
        "series": _series_kind,
    },
)
