"""The HTTP machinery under every generated client: one `_call` per operation spec."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
import orjson
from typing_extensions import Self

from ._codec import decode_response, encode_request
from ._errors import ApiError, TransportError, UnexpectedResponseError
from ._operation import BodySpec, OperationSpec

__all__ = ["AsyncBaseClient", "BaseClient"]

NPY = "application/x-npy"
EVENT_STREAM = "text/event-stream"


def _preferred(body: BodySpec, prefer_json: bool) -> str:
    # Arrays travel as .npy unless asked otherwise: exact dtypes, no JSON parsing cost.
    if not prefer_json and NPY in body.media_types:
        return NPY
    return body.media_types[0]


def _problem(response: httpx.Response, content: bytes) -> ApiError:
    headers = dict(response.headers)
    media_type = response.headers.get("content-type", "").partition(";")[0].strip()
    if media_type in ("application/problem+json", "application/json"):
        try:
            problem = orjson.loads(content)
        except orjson.JSONDecodeError:
            problem = None
        if isinstance(problem, dict):
            return ApiError.from_problem(response.status_code, problem, headers)
    text = content.decode(errors="replace")[:500]
    return ApiError.from_problem(
        response.status_code,
        {"title": response.reason_phrase, "detail": text or response.reason_phrase},
        headers,
    )


def _check(operation: OperationSpec, response: httpx.Response, content: bytes) -> str:
    """The response's media type when it is a declared success; else raise its problem."""
    if response.status_code not in operation.success:
        if response.status_code >= 400:
            raise _problem(response, content)
        raise UnexpectedResponseError(
            status=response.status_code,
            title=response.reason_phrase,
            detail=f"status {response.status_code} is not declared for {operation.path}",
        )
    content_type = str(response.headers.get("content-type", ""))
    media_type = content_type.partition(";")[0].strip().lower()
    if operation.response is None:
        return content_type
    if media_type not in operation.response.media_types:
        raise UnexpectedResponseError(
            status=response.status_code,
            title=response.reason_phrase,
            detail=f"media type {media_type!r} is not declared for {operation.path}",
        )
    return content_type


class _Events:
    """Server-sent events parsed line by line; an `error` event raises its problem."""

    def __init__(self) -> None:
        self.name = "message"
        self.data: list[str] = []

    def feed(self, line: str) -> str | None:
        if line == "":
            if not self.data and self.name == "message":
                return None
            name, data = self.name, "\n".join(self.data)
            self.name, self.data = "message", []
            if name == "error":
                problem = orjson.loads(data)
                raise ApiError.from_problem(int(problem.get("status", 500)), problem, {})
            return data
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            self.name = value
        elif field == "data":
            self.data.append(value)
        return None


class _Options:
    def __init__(
        self,
        base_url: str,
        timeout: float | httpx.Timeout,
        headers: dict[str, str] | None,
        auth: httpx.Auth | tuple[str, str] | None,
        prefer_json: bool,
    ) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.headers = headers or {}
        self.auth = auth
        self.prefer_json = prefer_json


def _parameter_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _simple(value: Any) -> str:
    """A path or header parameter in simple style: an array's items joined by commas."""
    if isinstance(value, (list, tuple)):
        return ",".join(_parameter_text(item) for item in value)
    return _parameter_text(value)


def _build(
    http: httpx.Client | httpx.AsyncClient,
    options: _Options,
    operation: OperationSpec,
    body: Any,
    parameters: dict[str, Any] | None,
    media_type: str | None,
    accept: str | None,
) -> httpx.Request:
    """The HTTP request for one call: path, query, headers, cookies and body."""
    headers: dict[str, str] = {}
    content: bytes | None = None
    if operation.request is not None and body is not None:
        request_type = media_type or _preferred(operation.request, options.prefer_json)
        content, headers["content-type"] = encode_request(operation.request, body, request_type)
    if operation.response is not None:
        headers["accept"] = accept or _preferred(operation.response, options.prefer_json)
    path = operation.path
    query: list[tuple[str, str | int | float | bool | None]] = []
    cookies: dict[str, str] = {}
    for name, location, _ in operation.parameters:
        value = (parameters or {}).get(name)
        if value is None:
            continue
        if location == "path":
            path = path.replace("{" + name + "}", quote(_simple(value), safe=""))
        elif location == "query":
            items = value if isinstance(value, (list, tuple)) else [value]
            query += [(name, _parameter_text(item)) for item in items]  # form, exploded
        elif location == "header":
            headers[name] = _simple(value)
        else:
            cookies[name] = _parameter_text(value)
    if cookies:
        headers["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return http.build_request(
        operation.method, path, params=httpx.QueryParams(query), content=content, headers=headers
    )


def _decode(operation: OperationSpec, response: httpx.Response) -> Any:
    content_type = _check(operation, response, response.content)
    if operation.response is None:
        return None
    return decode_response(operation.response, response.content, content_type)


class BaseClient:
    """Synchronous base: ``Client(base_url, timeout=, headers=, auth=, retries=, transport=)``.

    ``retries`` retries connection failures (httpx's transport retries); a request that
    reached the server is never sent twice.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | httpx.Timeout = 30.0,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        retries: int = 0,
        transport: httpx.BaseTransport | None = None,
        prefer_json: bool = False,
    ) -> None:
        self._options = _Options(base_url, timeout, headers, auth, prefer_json)
        self._http = httpx.Client(
            base_url=base_url,
            timeout=timeout,
            headers=headers,
            auth=auth,
            transport=transport or httpx.HTTPTransport(retries=retries),
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _call(
        self,
        operation: OperationSpec,
        body: Any,
        *,
        parameters: dict[str, Any] | None = None,
        media_type: str | None = None,
        accept: str | None = None,
    ) -> Any:
        request = _build(self._http, self._options, operation, body, parameters, media_type, accept)
        try:
            response = self._http.send(request)
        except httpx.TransportError as exc:
            raise TransportError(f"{operation.method} {operation.path}: {exc}") from exc
        return _decode(operation, response)

    def _stream(self, operation: OperationSpec, body: Any) -> Iterator[str]:
        request = _build(self._http, self._options, operation, body, None, None, EVENT_STREAM)
        try:
            response = self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise TransportError(f"{operation.method} {operation.path}: {exc}") from exc
        try:
            if response.status_code not in operation.success:
                _check(operation, response, response.read())
            events = _Events()
            for line in response.iter_lines():
                data = events.feed(line)
                if data is not None:
                    yield data
            data = events.feed("")
            if data is not None:
                yield data
        finally:
            response.close()


class AsyncBaseClient:
    """Asynchronous base, with the same options as `BaseClient`."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float | httpx.Timeout = 30.0,
        headers: dict[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
        retries: int = 0,
        transport: httpx.AsyncBaseTransport | None = None,
        prefer_json: bool = False,
    ) -> None:
        self._options = _Options(base_url, timeout, headers, auth, prefer_json)
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            headers=headers,
            auth=auth,
            transport=transport or httpx.AsyncHTTPTransport(retries=retries),
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self,
        operation: OperationSpec,
        body: Any,
        *,
        parameters: dict[str, Any] | None = None,
        media_type: str | None = None,
        accept: str | None = None,
    ) -> Any:
        request = _build(self._http, self._options, operation, body, parameters, media_type, accept)
        try:
            response = await self._http.send(request)
        except httpx.TransportError as exc:
            raise TransportError(f"{operation.method} {operation.path}: {exc}") from exc
        return _decode(operation, response)

    async def _stream(self, operation: OperationSpec, body: Any) -> AsyncIterator[str]:
        request = _build(self._http, self._options, operation, body, None, None, EVENT_STREAM)
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise TransportError(f"{operation.method} {operation.path}: {exc}") from exc
        try:
            if response.status_code not in operation.success:
                _check(operation, response, await response.aread())
            events = _Events()
            async for line in response.aiter_lines():
                data = events.feed(line)
                if data is not None:
                    yield data
            data = events.feed("")
            if data is not None:
                yield data
        finally:
            await response.aclose()
