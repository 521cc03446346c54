"""IO descriptors: what an API takes and returns over HTTP.

Example::

    from dosirak.io import NumpyNdarray, Json, Text
"""

from ._base import IODescriptor
from ._file import File, UploadedFile
from ._image import Image
from ._json import Json
from ._multipart import Multipart
from ._numpy import NumpyNdarray
from ._pandas import PandasDataFrame, PandasSeries
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
