"""numpy's `.npy` format, read and written without numpy's generic machinery.

``numpy.lib.format`` parses every header with ``ast.literal_eval`` and copies the data
through a stream; for the simple headers numpy itself writes, a regular expression and
`numpy.frombuffer` do the same in a fraction of the time. Anything unusual falls back to
numpy's own reader, so behaviour never differs, only speed.
"""

from __future__ import annotations

import io
import re
import struct
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["NpyFormatError", "ObjectArrayError", "dumps", "loads"]

_MAGIC = b"\x93NUMPY"
_HEADER = re.compile(
    rb"\{'descr': '([<>|=][a-zA-Z]\d*)', 'fortran_order': (True|False), "
    rb"'shape': \(((?:\d+, ?)*\d*)\), \}\s*\Z"
)


class NpyFormatError(ValueError):
    """The bytes are not a complete `.npy` array (or one with trailing bytes)."""


class ObjectArrayError(ValueError):
    """A `.npy` array of Python objects: loading it would unpickle, so it is refused."""

    def __init__(self, dtype: np.dtype[Any]) -> None:
        super().__init__(f"arrays of dtype {dtype} are not accepted")
        self.dtype = dtype


def loads(body: bytes | bytearray) -> npt.NDArray[Any]:
    """The array in ``body``; writable, sharing ``body``'s memory when it is a bytearray."""
    if body[:6] != _MAGIC or len(body) < 10:
        return _numpy_loads(body)
    major = body[6]
    if major == 1:
        (length,) = struct.unpack_from("<H", body, 8)
        start = 10
    elif major in (2, 3):
        (length,) = struct.unpack_from("<I", body, 8)
        start = 12
    else:
        return _numpy_loads(body)
    match = _HEADER.match(bytes(body[start : start + length]))
    if match is None:
        return _numpy_loads(body)
    dtype = np.dtype(match.group(1).decode())
    fortran = match.group(2) == b"True"
    shape = tuple(int(d) for d in match.group(3).split(b",") if d.strip())
    if dtype.hasobject:
        raise ObjectArrayError(dtype)
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    offset = start + length
    expected = offset + count * dtype.itemsize
    if len(body) < expected:
        raise NpyFormatError(
            f"the .npy body is truncated: {len(body) - offset} bytes of data for shape "
            f"{shape} of {dtype} ({count * dtype.itemsize} bytes)"
        )
    if len(body) > expected:
        raise NpyFormatError("the .npy body has bytes after the array")
    flat = np.frombuffer(body, dtype=dtype, count=count, offset=offset)
    if isinstance(body, bytes):
        flat = flat.copy()  # bytes are read-only; the API may write into its input
    return flat.reshape(shape, order="F" if fortran else "C")


def _numpy_loads(body: bytes | bytearray) -> npt.NDArray[Any]:
    stream = io.BytesIO(body)
    try:
        version = np.lib.format.read_magic(stream)
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        _, _, dtype = read_header(stream)
    except (ValueError, EOFError) as exc:
        raise NpyFormatError(f"the body is not a .npy array: {exc}") from None
    if dtype.hasobject:
        raise ObjectArrayError(dtype)
    stream.seek(0)
    try:
        array: npt.NDArray[Any] = np.lib.format.read_array(stream, allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        raise NpyFormatError(f"the .npy body is truncated or damaged: {exc}") from None
    if stream.read(1):
        raise NpyFormatError("the .npy body has bytes after the array")
    return array


def dumps(array: npt.NDArray[Any]) -> bytes:
    """``array`` in `.npy` format (version 1.0 when its header fits, else 2.0)."""
    if array.dtype.hasobject or array.dtype.fields is not None:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        return buffer.getvalue()
    fortran = array.flags.f_contiguous and not array.flags.c_contiguous
    dims = ", ".join(str(d) for d in array.shape)
    shape = f"({dims},)" if array.ndim == 1 else f"({dims})"
    header = (
        f"{{'descr': '{array.dtype.str}', 'fortran_order': {fortran}, 'shape': {shape}, }}"
    ).encode("latin1")
    # numpy pads the header with spaces and a newline so the data starts 64-byte aligned.
    version, prefix_size, size_format = 1, 10, "<H"
    length = -(-(prefix_size + len(header) + 1) // 64) * 64 - prefix_size
    if length >= 2**16:  # a header this long needs version 2.0's 4-byte length
        version, prefix_size, size_format = 2, 12, "<I"
        length = -(-(prefix_size + len(header) + 1) // 64) * 64 - prefix_size
    head = (
        _MAGIC
        + bytes((version, 0))
        + struct.pack(size_format, length)
        + header
        + b" " * (length - len(header) - 1)
        + b"\n"
    )
    data = array.tobytes(order="F" if fortran else "C")
    return head + data
