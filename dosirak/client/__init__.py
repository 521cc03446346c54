"""Clients of dosirak services: the base of generated clients, their errors, and
`Client.from_url` for notebooks.

Example::

    from iris_classifier_client import Client

    with Client("http://127.0.0.1:3000") as client:
        client.classify(np.array([[5.1, 3.5, 1.4, 0.2]]))
"""

from ._base import AsyncBaseClient, BaseClient
from ._codec import RequestEncodingError, ResponseDecodingError
from ._dynamic import AsyncClient, Client
from ._errors import (
    ApiError,
    ClientError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    ValidationError,
)
from ._operation import BodySpec, OperationSpec

__all__ = [
    "ApiError",
    "AsyncBaseClient",
    "AsyncClient",
    "BaseClient",
    "BodySpec",
    "Client",
    "ClientError",
    "OperationSpec",
    "RequestEncodingError",
    "ResponseDecodingError",
    "ServerError",
    "TransportError",
    "UnexpectedResponseError",
    "ValidationError",
]
