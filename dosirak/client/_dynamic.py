"""`Client.from_url`: a client built at run time from a server's /openapi.json.

It goes through the same parser as ``dosirak gen`` and the same codecs and exceptions
as generated clients; what generated code holds as source (the pydantic models, the codec
arguments) is compiled from that same generated source in memory. Every string reaching
that source is escaped by the generator, as it is for files.
"""

from __future__ import annotations

import hashlib
import types
from collections.abc import Callable
from typing import Any

import httpx
import orjson

from ._base import AsyncBaseClient, BaseClient
from ._operation import BodySpec, OperationSpec

__all__ = ["AsyncClient", "Client"]


def _load(document: dict[str, Any]) -> tuple[types.ModuleType, dict[str, OperationSpec]]:
    from dosirak.codegen import document_bytes, validate_document
    from dosirak.codegen._parse import parse_document
    from dosirak.codegen._render import environment

    validate_document(document, source="the server's /openapi.json")
    sha = hashlib.sha256(document_bytes(document)).hexdigest()
    service = parse_document(document, sha)
    source = environment().get_template("models.py.jinja").render(service=service)
    models = types.ModuleType(f"_dosirak_dynamic_models_{sha[:16]}")
    exec(compile(source, f"<models of {service.title}>", "exec"), models.__dict__)
    namespace = {"_models": models, "__builtins__": {}}
    operations: dict[str, OperationSpec] = {}
    for op in service.operations:
        bodies: list[BodySpec | None] = []
        for body in (op.request, op.response):
            if body is None:
                bodies.append(None)
                continue
            params = eval(body.params_code, namespace)  # literals and _models.X only
            bodies.append(BodySpec(body.kind, body.media_types, params))
        # The server that published the document serves each operation below its base path.
        path = op.base_path + op.path
        operations[op.name] = OperationSpec(
            op.method, path, bodies[0], bodies[1], op.statuses, op.parameter_specs
        )
    return models, operations


def _method(client: Client | AsyncClient, name: str) -> Callable[..., Any]:
    """The operation ``name`` of a client made from a document, as a callable."""
    operations: dict[str, OperationSpec] = client.__dict__.get("_operations", {})
    if name not in operations:
        raise AttributeError(f"the server has no operation {name!r}; it has {sorted(operations)}")
    operation = operations[name]
    python_names = {python: wire for wire, _, python in operation.parameters}

    def call(body: Any = None, **kwargs: Any) -> Any:
        parameters = {python_names[k]: kwargs.pop(k) for k in list(kwargs) if k in python_names}
        return client._call(operation, body, parameters=parameters, **kwargs)

    if operation.response is not None and operation.response.is_stream:
        return lambda body=None: client._stream(operation, body)
    return call


def _fetch(url: str, timeout: float) -> dict[str, Any]:
    response = httpx.get(url.rstrip("/") + "/openapi.json", timeout=timeout)
    response.raise_for_status()
    document = orjson.loads(response.content)
    if not isinstance(document, dict):
        raise ValueError(f"{url}/openapi.json is not an OpenAPI document")
    return document


class Client(BaseClient):
    """A client of any dosirak server, made from its document; one method per operation.

    Example::

        client = dosirak.Client.from_url("http://127.0.0.1:3000")
        client.classify(np.array([[5.1, 3.5, 1.4, 0.2]]))
        client.operations   # names of the methods
    """

    models: types.ModuleType
    _operations: dict[str, OperationSpec]

    @classmethod
    def from_url(cls, url: str, *, timeout: float = 30.0, **options: Any) -> Client:
        models, operations = _load(_fetch(url, timeout))
        client = cls(url, timeout=timeout, **options)
        client.models = models
        client._operations = operations
        return client

    @property
    def operations(self) -> list[str]:
        return sorted(self._operations)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return _method(self, name)


class AsyncClient(AsyncBaseClient):
    """The asynchronous `Client`: ``await dosirak.AsyncClient.from_url(url)``."""

    models: types.ModuleType
    _operations: dict[str, OperationSpec]

    @classmethod
    async def from_url(cls, url: str, *, timeout: float = 30.0, **options: Any) -> AsyncClient:
        async with httpx.AsyncClient(timeout=timeout) as http:
            response = await http.get(url.rstrip("/") + "/openapi.json")
        response.raise_for_status()
        models, operations = _load(orjson.loads(response.content))
        client = cls(url, timeout=timeout, **options)
        client.models = models
        client._operations = operations
        return client

    @property
    def operations(self) -> list[str]:
        return sorted(self._operations)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        return _method(self, name)
