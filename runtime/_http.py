"""dosirak's HTTP/1.1 protocol for uvicorn: uvicorn's httptools protocol, leaner per request.

`dosirak serve` hands uvicorn this class (``http="dosirak.runtime._http:HttpProtocol"``).
It is uvicorn's own `HttpToolsProtocol` (same parser, flow control, pipelining, upgrades,
100-continue, shutdown, 400s and 500s) with the per-request work cut where it showed in
profiles of small requests, where uvicorn spent about a third of the server's time:

- the status line and headers go out in the same ``write`` as a body of known length
  (uvicorn writes them apart: two send syscalls and two TCP segments per response);
- a response header checked once is not checked again (uvicorn runs two regexes on
  every header of every response, its own ``date`` and ``server`` included);
- a request waits for its body on a future made only when the body has not arrived,
  not on an `asyncio.Event` made for every request;
- the keep-alive timer is armed once per idle period, not cancelled and re-made for
  every request;
- a path without query, fragment or host is taken as it is, without ``parse_url``;
- an app holding the whole response may send it in one call (`_Cycle.send_whole_response`,
  as dosirak's routes do), and take a body that has all come without ``receive``
  (`_Cycle.take_whole_body`): no coroutines or message dicts for either;
- uvicorn's proxy headers middleware is applied in the protocol, with its own rules and
  trusted hosts: no middleware frame per request, the peer's trust judged per connection.

So a response of known length goes out when its first body message comes (with the body):
until then the client sees nothing, where uvicorn would have sent the headers already.
A streamed (chunked) response's headers go out at once, as uvicorn's do.

It subclasses uvicorn internals, so the pyproject pins the uvicorn versions it was
checked against; ``tests/test_http_protocol.py`` drives it over real sockets.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Iterable
from typing import Any

import httptools
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware, _TrustedHosts
from uvicorn.protocols.http.flow_control import HIGH_WATER_LIMIT, service_unavailable
from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

__all__ = ["HttpProtocol"]

#: A body at least this long is written by itself rather than copied behind the headers.
_COALESCE_LIMIT = 64 * 1024

# Response headers already checked, each pair to its lower-case name: responses repeat
# the same few. Emptied when it reaches its bound, so that it holds what is in use now.
_CHECKED_LIMIT = 1024
_checked: dict[tuple[bytes, bytes], bytes] = {}
# Names whose values change how the response is framed: never taken from the cache below.
_FRAMING = frozenset((b"content-length", b"transfer-encoding", b"connection"))
# Names whose values change from response to response (or hold secrets): pairs not cached.
_VARYING = frozenset(
    (b"content-length", b"date", b"set-cookie", b"etag", b"last-modified", b"expires")
)
# uvicorn's default headers (date, server, --header) as written, for the list it holds now.
_defaults: tuple[object, bytes | None] = (None, None)


def _checked_name(pair: Any) -> bytes:
    """The header's lower-case name; RuntimeError (as uvicorn raises) when invalid."""
    if type(pair) is not tuple:  # ASGI allows any two-item iterable
        pair = tuple(pair)
    try:
        name = _checked.get(pair)
        cacheable = True
    except TypeError:  # bytearray name or value: checked every time
        name, cacheable = None, False
    if name is None:
        raw_name, value = pair
        if HEADER_RE.search(raw_name):
            raise RuntimeError("Invalid HTTP header name.")
        name = bytes(raw_name).lower()
        # A content-length of ASCII digits needs no regex (it is parsed as a number below).
        if not (name == b"content-length" and value.isdigit()) and HEADER_VALUE_RE.search(value):
            raise RuntimeError("Invalid HTTP header value.")
        if cacheable and name not in _VARYING:
            if len(_checked) >= _CHECKED_LIMIT:
                _checked.clear()
            _checked[pair] = name
    return name


def _default_lines(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """uvicorn's default headers as header lines, or None if one of them frames the body."""
    global _defaults
    held, lines = _defaults
    if held is not headers:  # uvicorn builds a new list when the date changes
        lines = b""
        for pair in headers:
            name = _checked_name(pair)
            if name in _FRAMING:
                lines = None
                break
            lines += b"%b: %b\r\n" % (name, pair[1])
        _defaults = (headers, lines)
    return lines


def _apply_forwarded(scope: dict[str, Any], trusted: _TrustedHosts) -> None:
    """Scheme and client from X-Forwarded-Proto and -For, as uvicorn's middleware sets them
    for a trusted peer (an HTTP request's part of it)."""
    proto: bytes | None = None
    forwarded_for: list[bytes] = []
    for name, value in scope["headers"]:
        if name == b"x-forwarded-proto":
            proto = value
        elif name == b"x-forwarded-for":
            forwarded_for.append(value)
    if proto is not None:
        scheme = proto.decode("latin1").strip()
        if scheme in {"http", "https", "ws", "wss"}:
            scope["scheme"] = scheme
    if forwarded_for:
        host, port = trusted.get_trusted_client_address(b", ".join(forwarded_for).decode("latin1"))
        if host:
            scope["client"] = (host, port)


class _Cycle(RequestResponseCycle):
    """One request and its response; uvicorn's, with the changes named in the module."""

    def __init__(
        self,
        protocol: HttpProtocol,
        scope: Any,
        *,
        keep_alive: bool,
        expect_100_continue: bool,
    ) -> None:
        # uvicorn's __init__ takes eleven arguments and an Event; the same state, set here.
        self.scope = scope
        self.transport = protocol.transport
        self.flow = protocol.flow
        self.logger = protocol.logger
        self.access_logger = protocol.access_logger
        self.access_log = protocol.access_log
        self.default_headers = protocol.server_state.default_headers
        self.on_response = protocol.on_response_complete
        self.disconnected = False
        self.keep_alive = keep_alive
        self.waiting_for_100_continue = expect_100_continue
        self.body: bytes | bytearray = b""  # type: ignore[assignment]
        self.more_body = True
        self.response_started = False
        self.response_complete = False
        self.chunked_encoding: bool | None = None
        self.expected_content_length = 0
        # What every waiting `receive` awaits (one future, however many wait).
        self._waiter: asyncio.Future[None] | None = None
        self._last_body_sent = False  # the message with more_body False went to the app
        self._head = b""  # status line and headers not yet written

    def wake(self) -> None:
        """Let a `receive` waiting for body, disconnect or the response's end go on."""
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def run_asgi(self, app: Any) -> None:
        try:
            result = await app(self.scope, self.receive, self.send)
        except BaseException as exc:
            self.logger.error("Exception in ASGI application\n", exc_info=exc)
            if not self.response_started:
                await self.send_500_response()
            else:
                self._flush_head()
                self.transport.close()
        else:
            if result is not None:
                msg = "ASGI callable should return None, but returned '%s'."
                self.logger.error(msg, result)
                self._flush_head()
                self.transport.close()
            elif not self.response_started and not self.disconnected:
                self.logger.error("ASGI callable returned without starting response.")
                await self.send_500_response()
            elif not self.response_complete and not self.disconnected:
                self.logger.error("ASGI callable returned without completing response.")
                self._flush_head()
                self.transport.close()
        finally:
            self.on_response = lambda: None

    def _flush_head(self) -> None:
        if self._head:
            head, self._head = self._head, b""
            if not self.disconnected:
                self.transport.write(head)

    async def receive(self) -> Any:
        if self.waiting_for_100_continue and not self.transport.is_closing():
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.waiting_for_100_continue = False
        if not self.disconnected and not self.response_complete:
            self.flow.resume_reading()
            if self._last_body_sent or (not self.body and self.more_body):
                waiter = self._waiter
                if waiter is None:
                    self._waiter = waiter = asyncio.get_running_loop().create_future()
                await waiter
        if self.disconnected or self.response_complete:
            return {"type": "http.disconnect"}
        body = self.body
        self.body = b""
        if not self.more_body:
            self._last_body_sent = True
        return {
            "type": "http.request",
            "body": body if type(body) is bytes else bytes(body),
            "more_body": self.more_body,
        }

    async def send(self, message: Any) -> None:
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        if self.disconnected:
            return
        if not self.response_started:
            self._start(message)
            if self.chunked_encoding:
                # A stream's headers go out now: its first chunk may be a long time coming.
                self._flush_head()
        elif not self.response_complete:
            self._body(message)
        else:
            kind = message["type"]
            raise RuntimeError(
                f"Unexpected ASGI message '{kind}' sent, after response already completed."
            )

    def send_whole_response(
        self, status_code: int, headers: Iterable[Any], body: bytes | bytearray | memoryview
    ) -> bool:
        """Send a whole response at once, as its start and body messages would be sent.

        For apps that hold the whole response (a generated route's): no ``send`` coroutines
        and no message dicts. False, with nothing sent, where ``send`` must do it: writing
        is paused (``send`` waits for the drain) or a response was begun.
        """
        if self.response_started or (self.flow.write_paused and not self.disconnected):
            return False
        if not self.disconnected:
            self._start_response(status_code, headers)
            if self.chunked_encoding:
                self._flush_head()
            self._write_body(body, False)
        return True

    def take_whole_body(self) -> bytes | bytearray | None:
        """The request's body if all of it has come and none was received yet, else None
        (then ``receive`` must wait for it, or says the client has gone)."""
        if (
            self.more_body
            or self._last_body_sent
            or self.disconnected
            or self.response_complete
            or self.waiting_for_100_continue
        ):
            return None
        self.flow.resume_reading()
        body = self.body
        self.body = b""
        self._last_body_sent = True
        return body

    def _start(self, message: Any) -> None:
        if message["type"] != "http.response.start":
            raise RuntimeError(
                f"Expected ASGI message 'http.response.start', but got '{message['type']}'."
            )
        self._start_response(message["status"], message.get("headers", ()))

    def _start_response(self, status_code: int, headers: Iterable[Any]) -> None:
        self.response_started = True
        self.waiting_for_100_continue = False
        if self.access_log:
            self.access_logger.info(
                '%s - "%s %s HTTP/%s" %d',
                get_client_addr(self.scope),
                self.scope["method"],
                get_path_with_query_string(self.scope),
                self.scope["http_version"],
                status_code,
            )
        content = [STATUS_LINE[status_code]]
        has_connection_close = False
        lines = _default_lines(self.default_headers)
        groups: tuple[Any, ...]
        if lines is None:
            groups = (self.default_headers, headers)
        else:
            content.append(lines)
            groups = (headers,)
        for group in groups:
            for pair in group:
                name = _checked_name(pair)
                value = pair[1]
                if name in _FRAMING:
                    if name == b"content-length":
                        if self.chunked_encoding is None:
                            self.expected_content_length = int(value.decode())
                            self.chunked_encoding = False
                    elif name == b"transfer-encoding":
                        if value.lower() == b"chunked":
                            self.expected_content_length = 0
                            self.chunked_encoding = True
                    elif b"close" in [token.lower().strip() for token in value.split(b",")]:
                        self.keep_alive = False
                        has_connection_close = True
                content += (name, b": ", value, b"\r\n")
        if not self.keep_alive and not has_connection_close:
            content.append(b"connection: close\r\n")
        if (
            self.chunked_encoding is None
            and self.scope["method"] != "HEAD"
            and status_code not in (204, 304)
        ):
            self.chunked_encoding = True
            content.append(b"transfer-encoding: chunked\r\n")
        content.append(b"\r\n")
        self._head = b"".join(content)

    def _body(self, message: Any) -> None:
        if message["type"] != "http.response.body":
            raise RuntimeError(
                f"Expected ASGI message 'http.response.body', but got '{message['type']}'."
            )
        self._write_body(message.get("body", b""), message.get("more_body", False))

    def _write_body(self, body: Any, more_body: bool) -> None:
        # The head is taken only once what goes out with it is known to be good: on an
        # error the app's failure handling still writes it (`_flush_head`) before closing.
        head = self._head
        if self.scope["method"] == "HEAD":
            self.expected_content_length = 0
            if head:
                self._head = b""
                self.transport.write(head)
        elif self.chunked_encoding:
            chunk = b"%x\r\n%b\r\n" % (len(body), body) if body else b""
            if not more_body:
                chunk += b"0\r\n\r\n"
            if head or chunk:
                data = head + chunk
                self._head = b""
                self.transport.write(data)
        else:
            size = len(body)
            if size > self.expected_content_length:
                raise RuntimeError("Response content longer than Content-Length")
            self.expected_content_length -= size
            if head and size < _COALESCE_LIMIT:
                data = head + body
                self._head = b""
                self.transport.write(data)
            else:
                if head:
                    self._head = b""
                    self.transport.write(head)
                if body:
                    self.transport.write(body)
        if not more_body:
            if self.expected_content_length != 0:
                raise RuntimeError("Response content shorter than Content-Length")
            self.response_complete = True
            self.wake()
            if not self.keep_alive:
                self.transport.close()
            self.on_response()


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the per-request savings of this module."""

    cycle: _Cycle

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._idle_since: float | None = None
        # uvicorn's proxy headers middleware (``proxy_headers``, on by default) applied here
        # with the same rules, its trust in the peer judged once per connection: one
        # coroutine frame less per request, and no header scan for a peer not trusted.
        self._forwarding: _TrustedHosts | None = None
        app = self.app
        if type(app) is ProxyHeadersMiddleware:
            self.app = app.app
            peer = self.client[0] if self.client else None
            if peer in app.trusted_hosts:
                self._forwarding = app.trusted_hosts
        self._scope_base: dict[str, Any] = {
            "type": "http",
            "http_version": "1.1",
            "server": self.server,
            "client": self.client,
            "scheme": self.scheme,
            "root_path": self.root_path,
        }

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        cycle = self.cycle
        if cycle is not None:
            if not cycle.response_complete:
                cycle.disconnected = True
            cycle.wake()
        if self.flow is not None:
            self.flow.resume_writing()
        if exc is None:
            self.transport.close()
            self._unset_keepalive_if_required()
        self.parser = None  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._idle_since = None
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def on_message_begin(self) -> None:
        self.url = b""
        self.expect_100_continue = False
        self.headers = []
        scope = self._scope_base.copy()
        scope["asgi"] = {"version": self.asgi_version, "spec_version": "2.3"}
        scope["headers"] = self.headers
        scope["state"] = self.app_state.copy()
        self.scope = scope  # type: ignore[assignment]

    def on_headers_complete(self) -> None:
        parser = self.parser
        scope: dict[str, Any] = self.scope  # type: ignore[assignment]
        http_version = parser.get_http_version()
        scope["method"] = parser.get_method().decode("ascii")
        if http_version != "1.1":
            scope["http_version"] = http_version
        if parser.should_upgrade() and self._should_upgrade():
            return
        url = self.url
        if url[:1] == b"/" and b"?" not in url and b"#" not in url:
            raw_path, query = url, b""  # what parse_url gives for such a target
        else:
            parsed = httptools.parse_url(url)
            raw_path, query = parsed.path, parsed.query or b""
        path = raw_path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        if self.root_path:
            scope["path"] = self.root_path + path
            scope["raw_path"] = self.root_path.encode("ascii") + raw_path
        else:
            scope["path"] = path
            scope["raw_path"] = raw_path
        scope["query_string"] = query
        if self._forwarding is not None:
            _apply_forwarded(scope, self._forwarding)
        app: Any = self.app
        if self.limit_concurrency is not None and (
            len(self.connections) >= self.limit_concurrency
            or len(self.tasks) >= self.limit_concurrency
        ):
            app = service_unavailable
            self.logger.warning("Exceeded concurrency limit.")
        existing = self.cycle
        self.cycle = _Cycle(
            self,
            scope,
            keep_alive=http_version != "1.0" and parser.should_keep_alive(),
            expect_100_continue=self.expect_100_continue,
        )
        if existing is None or existing.response_complete:
            self._start_asgi_task(self.cycle, app)
        else:  # pipelined: wait for the response before
            self.flow.pause_reading()
            self.pipeline.appendleft((self.cycle, app))

    def on_body(self, body: bytes) -> None:
        # The upgrade first, as uvicorn: an upgrade request has no cycle.
        if self.parser.should_upgrade() and self._should_upgrade():
            return
        cycle = self.cycle
        if cycle.response_complete:
            return
        if not cycle.body:
            cycle.body = body
        else:
            if type(cycle.body) is bytes:
                cycle.body = bytearray(cycle.body)
            cycle.body += body
        if len(cycle.body) > HIGH_WATER_LIMIT:
            self.flow.pause_reading()
        cycle.wake()

    def on_message_complete(self) -> None:
        # The upgrade first, as uvicorn: an upgrade request has no cycle.
        if self.parser.should_upgrade() and self._should_upgrade():
            return
        cycle = self.cycle
        if cycle.response_complete:
            return
        cycle.more_body = False
        cycle.wake()

    def on_response_complete(self) -> None:
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )

    def timeout_keep_alive_handler(self) -> None:
        # One timer per idle period: data since the last response stopped the idle clock,
        # an answer since the timer was armed moved it.
        self.timeout_keep_alive_task = None
        idle_since = self._idle_since
        if idle_since is None or self.transport.is_closing():
            return
        left = idle_since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self.timeout_keep_alive_task = self.loop.call_later(
                left, self.timeout_keep_alive_handler
            )
        else:
            self.transport.close()
