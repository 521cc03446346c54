"""IO descriptors: what an API takes and returns over HTTP.

Example::

    from dosirak.io import NumpyNdarray, Json, Text
"""

from ._base import IODescriptor
from ._image import Image
from ._json import Json
from ._numpy import NumpyNdarray
from ._text import Text

__all__ = ["IODescriptor", "Image", "Json", "NumpyNdarray", "Text"]
