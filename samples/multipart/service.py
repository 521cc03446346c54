"""Multipart forms and files: the seed's composite example, uploads and downloads.

``predict`` is the seed's ``Multipart`` example with only the import changed; the other
APIs take and return files (spooled to disk when large, streamed back) and a multipart
response.
"""

from __future__ import annotations

import csv
import hashlib
import io
import typing as t
import warnings

import numpy as np
from pydantic import BaseModel, Field

import dosirak
from dosirak.io import File, Json, Multipart, NumpyNdarray, Text, UploadedFile

svc = dosirak.Service("multipart_files")

#: Bytes hashed at a time: an upload past the spool threshold lives on disk.
CHUNK_BYTES = 1024 * 1024


class FooModel(BaseModel):
    field1: int
    field2: float
    field3: str


# The seed writes `np.dtype(int, 4)`: numpy reads the 4 as `align` (meaningless for int),
# from 2.4 warns that align should be a bool, and its stubs type it so. The seed's
# spelling is kept as it is; the dtype is int64 either way.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=r"dtype\(\): align should be passed")

    @svc.api(
        input=Multipart(
            arr=NumpyNdarray(schema=np.dtype(int, 4), validate=True),  # type: ignore[call-overload]
            json=Json(pydantic_model=FooModel),
        ),
        output=NumpyNdarray(schema=np.dtype(int), validate=True),
    )
    def predict(arr: np.ndarray, json: t.Dict[str, t.Any]) -> np.ndarray:  # noqa: UP006
        """The first `field1` values of `arr`, flattened."""
        # The seed annotates a dict; the part arrives validated into a FooModel.
        foo = FooModel.model_validate(json)
        return arr.ravel()[: max(foo.field1, 0)]


class Digest(BaseModel):
    name: str | None = Field(description="The file name the client gave, if any.")
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


@svc.api(input=File(), output=Json(pydantic_model=Digest))
def digest(upload: UploadedFile) -> Digest:
    """The size and sha256 of an uploaded file, read a chunk at a time."""
    sha = hashlib.sha256()
    size = 0
    while chunk := upload.read(CHUNK_BYTES):
        sha.update(chunk)
        size += len(chunk)
    return Digest(name=upload.name, size=size, sha256=sha.hexdigest())


class FormSummary(BaseModel):
    filename: str | None
    content_type: str
    lines: int = Field(ge=0)
    note: str


@svc.api(
    input=Multipart(table=File(mime_type="text/csv"), note=Text()),
    output=Json(pydantic_model=FormSummary),
)
def upload_form(table: UploadedFile, note: str) -> FormSummary:
    """A browser form: a CSV file and a note; counts the file's lines."""
    return FormSummary(
        filename=table.name,
        content_type=table.content_type,
        lines=sum(1 for _ in table),
        note=note,
    )


@svc.api(
    input=NumpyNdarray(dtype="int64", shape=(-1,), enforce_shape=True),
    output=File(mime_type="text/csv"),
)
def table(values: np.ndarray) -> io.BytesIO:
    """A CSV of each value and its square, returned as a file object and streamed."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["n", "square"])
    writer.writerows((n, n * n) for n in values.tolist())  # Python ints: exact squares
    return io.BytesIO(text.getvalue().encode())


@svc.api(input=File(), output=File())
def echo(upload: UploadedFile) -> UploadedFile:
    """The uploaded file, streamed back as it came."""
    return upload


class WordCount(BaseModel):
    characters: int = Field(ge=0)
    words: int = Field(ge=0)


@svc.api(input=Text(), output=Multipart(upper=Text(), counts=Json(pydantic_model=WordCount)))
def shout(text: str) -> dict[str, object]:
    """Two parts in one multipart response: the text in capitals, and its counts."""
    return {
        "upper": text.upper(),
        "counts": WordCount(characters=len(text), words=len(text.split())),
    }
