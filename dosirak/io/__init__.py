"""IO descriptors: what an API takes and returns over HTTP.

Example::

    from dosirak.io import NumpyNdarray, Json, Text
"""

from typing import TYPE_CHECKING

from ._base import IODescriptor
from ._json import Json
from ._numpy import NumpyNdarray
from ._text import Text

__all__ = [
    "File",
    "IODescriptor",
    "Image",
    "Json",
    "Multipart",
    "NumpyNdarray",
    "PandasDataFrame",
    "PandasSeries",
    "Text",
    "UploadedFile",
]

# The other descriptors load on first use: a served service imports only the ones it
# declares, which keeps the server's start-up and memory small.
_LAZY = {
    "File": "_file",
    "Image": "_image",
    "Multipart": "_multipart",
    "PandasDataFrame": "_pandas",
    "PandasSeries": "_pandas",
    "UploadedFile": "_file",
}

if TYPE_CHECKING:
    from ._file import File, UploadedFile
    from ._image import Image
    from ._multipart import Multipart
    from ._pandas import PandasDataFrame, PandasSeries
else:
    from dosirak._lazy import lazy_attributes

    __getattr__ = lazy_attributes(__name__, _LAZY)

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(__all__))
