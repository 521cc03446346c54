from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ._base import IODescriptor

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["NumpyNdarray"]

# Kinds a JSON document can carry without loss: bool, signed/unsigned int, float.
_JSON_KINDS = frozenset("biuf")


class NumpyNdarray(IODescriptor):
    """An n-dimensional array: nested JSON arrays on the wire, `numpy.ndarray` in Python.

    ``dtype`` and ``shape`` shape the schema; ``-1`` in ``shape`` is a free dimension.
    With ``enforce_dtype``/``enforce_shape`` (or ``validate=True`` for both) a request
    that does not match is answered 422; otherwise the input is cast where numpy can.
    The seed's spelling ``NumpyNdarray(schema=np.dtype(int), validate=True)`` also works.

    Example::

        NumpyNdarray(dtype="float32", shape=(-1, 4), enforce_shape=True)
    """

    kind: ClassVar[str] = "ndarray"
    python_type: ClassVar[Any] = np.ndarray

    def __init__(
        self,
        dtype: npt.DTypeLike | None = None,
        shape: Sequence[int] | None = None,
        enforce_dtype: bool = False,
        enforce_shape: bool = False,
        *,
        schema: npt.DTypeLike | None = None,
        validate: bool | None = None,
    ) -> None:
        if schema is not None:
            if dtype is not None:
                raise TypeError("NumpyNdarray: give either dtype= or schema=, not both")
            dtype = schema
        self.dtype: np.dtype[Any] | None = None if dtype is None else np.dtype(dtype)
        if self.dtype is not None and self.dtype.kind not in _JSON_KINDS:
            raise TypeError(
                f"NumpyNdarray: dtype {self.dtype.name!r} is not supported; "
                "use a bool, integer or floating dtype"
            )
        self.shape: tuple[int, ...] | None = None
        if shape is not None:
            dims = tuple(shape)
            if not all(isinstance(d, (int, np.integer)) and (d >= 0 or d == -1) for d in dims):
                raise ValueError(
                    f"NumpyNdarray: shape {shape!r} must hold non-negative ints or -1 (any size)"
                )
            self.shape = tuple(int(d) for d in dims)
        if validate is not None:
            enforce_dtype = enforce_shape = validate
        self.enforce_dtype = enforce_dtype
        self.enforce_shape = enforce_shape
        self._sample: np.ndarray[Any, Any] | None = None

    @classmethod
    def from_sample(
        cls,
        sample: npt.ArrayLike,
        enforce_dtype: bool = True,
        enforce_shape: bool = True,
    ) -> NumpyNdarray:
        """A descriptor whose dtype and shape are the sample's; the sample is the example.

        Example::

            NumpyNdarray.from_sample(np.array([[5.1, 3.5, 1.4, 0.2]], dtype=np.float32))
        """
        array = np.asarray(sample)
        descriptor = cls(
            dtype=array.dtype,
            shape=array.shape,
            enforce_dtype=enforce_dtype,
            enforce_shape=enforce_shape,
        )
        descriptor._sample = array
        return descriptor

    def io_spec(self) -> dict[str, Any]:
        return {
            "type": self.kind,
            "dtype": None if self.dtype is None else self.dtype.name,
            "shape": None if self.shape is None else list(self.shape),
            "enforce_dtype": self.enforce_dtype,
            "enforce_shape": self.enforce_shape,
        }

    def example(self) -> Any | None:
        return None if self._sample is None else self._sample.tolist()
