"""dosirak's HTTP protocol answers exactly as uvicorn's own httptools protocol does.

Both protocols serve the same ASGI app on real sockets on 127.0.0.1; each raw request is
sent to both and the bytes that come back are compared (the ``date`` header aside).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from dosirak.runtime.server import HTTP_PROTOCOL

DISCONNECTS: list[str] = []


async def _read_body(receive: Any) -> bytes:
    body: bytes = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return body
        body += bytes(message["body"])
        if not message.get("more_body", False):
            return body


async def _respond(send: Any, status: int, body: bytes, headers: list[Any] | None = None) -> None:
    head = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers or head})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/stream":
        await _read_body(receive)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one", b"", b"three"):
            await asyncio.sleep(0.01)
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/empty":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/big":
        await _respond(send, 200, bytes(range(256)) * 1024)
    elif path == "/raise-before":
        raise RuntimeError("before the response")
    elif path == "/raise-after":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("after the start")
    elif path == "/bad-header":
        await _respond(send, 200, b"x", [(b"x-bad", b"a\nb"), (b"content-length", b"1")])
    elif path == "/no-response":
        return
    elif path == "/list-headers":  # ASGI allows any iterable pairs
        await _respond(send, 200, b"[]", [[b"Content-Length", b"2"], [b"X-Kind", b"list"]])
    elif path == "/close":
        await _respond(send, 200, b"bye", [(b"connection", b"close"), (b"content-length", b"3")])
    elif path == "/too-long":
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
        )
        await send({"type": "http.response.body", "body": b"abc"})
    elif path == "/too-short":
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]}
        )
        await send({"type": "http.response.body", "body": b"abc"})
    elif path == "/bytearray-headers":
        headers = [
            (bytearray(b"Content-Length"), bytearray(b"2")),
            (bytearray(b"X-K"), bytearray(b"v")),
        ]
        await _respond(send, 200, b"ba", headers)
    elif path == "/memoryview-body":
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"4")]}
        )
        await send({"type": "http.response.body", "body": memoryview(b"view")})
    elif path == "/cookie":
        body = b"{}"
        cookie = (b"set-cookie", b"session=%s" % scope["query_string"])
        await _respond(send, 200, body, [cookie, (b"content-length", b"2")])
    elif path == "/asgi":  # each request must get its own scope["asgi"]
        seen = dict(scope["asgi"])
        scope["asgi"]["touched"] = True
        await _respond(send, 200, json.dumps(seen, sort_keys=True).encode())
    elif path == "/two-receivers":  # two receives waiting at once both go on
        first, second = await asyncio.gather(receive(), receive())
        seen = [[m["type"], len(m.get("body", b"")), m.get("more_body")] for m in (first, second)]
        await _respond(send, 200, json.dumps(seen).encode())
    elif path == "/whole":  # a generated route's way: the protocol's one-call methods
        cycle = getattr(receive, "__self__", None)
        take_whole = getattr(cycle, "take_whole_body", None)
        body = take_whole() if take_whole is not None else None
        if body is None:  # uvicorn's protocol, or a body still coming
            body = await _read_body(receive)
        answer = b"%d:%s" % (len(body), hashlib.sha256(body).hexdigest().encode())
        head = [(b"content-type", b"text/plain"), (b"content-length", b"%d" % len(answer))]
        if scope["query_string"] == b"close":
            head.append((b"connection", b"close"))
        send_whole = getattr(cycle, "send_whole_response", None)
        if send_whole is None or not send_whole(201, head, answer):
            await _respond(send, 201, answer, head)
    elif path == "/until-disconnect":
        await _read_body(receive)
        message = await receive()  # waits: the whole body was read
        DISCONNECTS.append(message["type"])
    else:
        body = await _read_body(receive)
        seen = {
            "method": scope["method"],
            "path": scope["path"],
            "raw_path": scope["raw_path"].decode("latin-1"),
            "query_string": scope["query_string"].decode("latin-1"),
            "http_version": scope["http_version"],
            "root_path": scope["root_path"],
            "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
            "client_host": scope["client"][0],
            # A forwarded port (the peer's own differs from connection to connection)
            "client_port": None if scope["client"][0] == "127.0.0.1" else scope["client"][1],
            "scheme": scope["scheme"],
            "size": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        await _respond(send, 200, json.dumps(seen, sort_keys=True).encode())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Served:
    def __init__(self, http: Any, **options: Any) -> None:
        self.port = _free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            http=http,
            loop="uvloop",
            log_level="critical",
            access_log=False,
            lifespan="off",
            **options,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, _Served]]:
    started = {
        "uvicorn": _Served("httptools"),
        "dosirak": _Served(HTTP_PROTOCOL),
        "dosirak-root": _Served(HTTP_PROTOCOL, root_path="/api"),
        "uvicorn-root": _Served("httptools", root_path="/api"),
    }
    yield started
    for served in started.values():
        served.stop()


def _exchange(port: int, parts: list[bytes], *, pause: float = 0.0) -> bytes:
    """Send ``parts`` (with ``pause`` seconds between) and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        for part in parts:
            conn.sendall(part)
            if pause:
                time.sleep(pause)
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    return received


def _normalized(raw: bytes) -> bytes:
    lines = raw.split(b"\r\n")
    return b"\r\n".join(line for line in lines if not line.lower().startswith(b"date: "))


def _request(
    target: bytes = b"/echo",
    body: bytes = b"",
    *,
    method: bytes = b"POST",
    close: bool = True,
    version: bytes = b"1.1",
    extra: bytes = b"",
) -> bytes:
    head = b"%s %s HTTP/%s\r\nHost: 127.0.0.1\r\n%s" % (method, target, version, extra)
    if body or method == b"POST":
        head += b"Content-Length: %d\r\n" % len(body)
    if close:
        head += b"Connection: close\r\n"
    return head + b"\r\n" + body


CASES: dict[str, list[bytes]] = {
    "small body": [_request(body=b"[[5.1,3.5,1.4,0.2]]")],
    "query and escapes": [_request(b"/echo%20x/%C3%A9?a=1&b=%20#frag")],
    "absolute form target": [_request(b"http://example.com/echo?q=1")],
    "get without body": [_request(b"/echo", method=b"GET")],
    "head of a sized response": [_request(b"/big", method=b"HEAD")],
    "keep-alive then close": [
        _request(body=b"first", close=False) + _request(body=b"second", close=False),
        _request(body=b"third"),
    ],
    "pipelined three": [
        _request(body=b"a", close=False)
        + _request(b"/stream", close=False)
        + _request(b"/echo?last", body=b"c")
    ],
    "chunked request body": [
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    ],
    "large body": [_request(body=bytes(range(256)) * 8192)],
    "large response": [_request(b"/big", method=b"GET")],
    "streamed response": [_request(b"/stream")],
    "204": [_request(b"/empty", method=b"GET")],
    "HTTP/1.0": [_request(body=b"old", close=False, version=b"1.0")],
    "app asks to close": [_request(b"/close", close=False)],
    "headers as lists": [_request(b"/list-headers", method=b"GET")],
    "exception before the response": [_request(b"/raise-before")],
    "exception after the start": [_request(b"/raise-after")],
    "invalid response header": [_request(b"/bad-header")],
    "no response": [_request(b"/no-response")],
    "malformed request": [b"NOT HTTP AT ALL\r\n\r\n"],
    "100-continue": [_request(body=b"expected", extra=b"Expect: 100-continue\r\n")],
    "body longer than content-length": [_request(b"/too-long", method=b"GET")],
    "body shorter than content-length": [_request(b"/too-short", method=b"GET")],
    "bytearray headers": [_request(b"/bytearray-headers", method=b"GET")],
    "memoryview body": [_request(b"/memoryview-body", method=b"GET")],
    "whole response and body": [_request(b"/whole", body=b"[[5.1,3.5,1.4,0.2]]")],
    "whole response to HEAD": [_request(b"/whole", method=b"HEAD")],
    "whole response, app asks to close": [_request(b"/whole?close", close=False)],
    "whole response, keep-alive": [
        _request(b"/whole", body=b"one", close=False) + _request(b"/whole", body=b"two")
    ],
    "whole body after 100-continue": [
        _request(b"/whole", body=b"expected", extra=b"Expect: 100-continue\r\n")
    ],
    "whole body chunked": [
        b"POST /whole HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    ],
    "forwarded for and proto": [
        _request(
            extra=b"X-Forwarded-For: 203.0.113.7:4711, 10.1.2.3\r\nX-Forwarded-Proto: https\r\n"
        )
    ],
    "forwarded for in two headers": [
        _request(extra=b"X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-For: [2001:db8::1]:80\r\n")
    ],
    "forwarded proto unknown": [_request(extra=b"X-Forwarded-Proto: gopher\r\n")],
    "own asgi scope per request": [
        _request(b"/asgi", method=b"GET", close=False) + _request(b"/asgi", method=b"GET")
    ],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_answers_as_uvicorn_does(servers: dict[str, _Served], case: str) -> None:
    parts = CASES[case]
    ours = _exchange(servers["dosirak"].port, parts)
    theirs = _exchange(servers["uvicorn"].port, parts)
    assert _normalized(ours) == _normalized(theirs)
    closed_without_answer = {"no response", "exception after the start", "invalid response header"}
    if case not in closed_without_answer:
        assert ours.startswith(b"HTTP/1.")


def test_root_path_as_uvicorn(servers: dict[str, _Served]) -> None:
    parts = [_request(b"/echo?x=1", body=b"y")]
    ours = _exchange(servers["dosirak-root"].port, parts)
    assert _normalized(ours) == _normalized(_exchange(servers["uvicorn-root"].port, parts))
    assert b'"path": "/api/echo"' in ours


@pytest.mark.parametrize(
    "options",
    [
        {"headers": [("X-Extra", "yes")]},
        {"headers": [("Connection", "close")]},  # a default header that frames the response
        {"server_header": False, "date_header": False},
    ],
    ids=["extra header", "connection header", "no default headers"],
)
def test_default_headers_as_uvicorn(options: dict[str, Any]) -> None:
    keep_alive = CASES["keep-alive then close"]
    if ("Connection", "close") in options.get("headers", []):
        # The server closes after its first answer: requests pipelined behind it would be unread
        # data at close, which makes the kernel reset the connection (and may drop the answer).
        keep_alive = [_request(body=b"only", close=False)]
    ours, theirs = _Served(HTTP_PROTOCOL, **options), _Served("httptools", **options)
    try:
        for parts in (keep_alive, CASES["streamed response"]):
            answer = _exchange(ours.port, parts)
            assert _normalized(answer) == _normalized(_exchange(theirs.port, parts))
            assert answer.startswith(b"HTTP/1.1 200 OK")
    finally:
        ours.stop()
        theirs.stop()


@pytest.mark.parametrize(
    "options",
    [{"forwarded_allow_ips": "10.9.9.9"}, {"forwarded_allow_ips": "*"}, {"proxy_headers": False}],
    ids=["peer not trusted", "every peer trusted", "proxy headers off"],
)
def test_forwarded_headers_as_uvicorn(options: dict[str, Any]) -> None:
    parts = CASES["forwarded for and proto"]
    ours, theirs = _Served(HTTP_PROTOCOL, **options), _Served("httptools", **options)
    try:
        answer = _exchange(ours.port, parts)
        assert _normalized(answer) == _normalized(_exchange(theirs.port, parts))
        trusted = options.get("forwarded_allow_ips") == "*"
        assert (b'"scheme": "https"' in answer) is trusted
    finally:
        ours.stop()
        theirs.stop()


def test_whole_body_sent_in_pieces(servers: dict[str, _Served]) -> None:
    body = b"0123456789" * 1000
    request = _request(b"/whole", body=body)
    pieces = [request[:40], request[40:200], request[200:5000], request[5000:]]
    ours = _exchange(servers["dosirak"].port, pieces, pause=0.02)
    assert _normalized(ours) == _normalized(_exchange(servers["uvicorn"].port, pieces, pause=0.02))
    assert b"10000:" + hashlib.sha256(body).hexdigest().encode() in ours


def test_body_sent_in_pieces(servers: dict[str, _Served]) -> None:
    body = b"0123456789" * 1000
    request = _request(body=body)
    pieces = [request[:40], request[40:200], request[200:5000], request[5000:]]
    ours = _exchange(servers["dosirak"].port, pieces, pause=0.02)
    assert _normalized(ours) == _normalized(_exchange(servers["uvicorn"].port, pieces, pause=0.02))
    assert hashlib.sha256(body).hexdigest().encode() in ours


def test_two_receives_waiting_at_once(servers: dict[str, _Served]) -> None:
    request = _request(b"/two-receivers", body=b"late body")
    pieces = [request[: -len(b"late body")], b"late body"]
    ours = _exchange(servers["dosirak"].port, pieces, pause=0.1)
    assert _normalized(ours) == _normalized(_exchange(servers["uvicorn"].port, pieces, pause=0.1))
    assert ours.startswith(b"HTTP/1.1 200 OK")


def test_header_checks_cache_no_varying_values(servers: dict[str, _Served]) -> None:
    from dosirak.runtime import _http

    for secret in (b"s3cret-1", b"s3cret-2"):
        answer = _exchange(servers["dosirak"].port, [_request(b"/cookie?" + secret, method=b"GET")])
        assert b"set-cookie: session=" + secret in answer
    cached_names = set(_http._checked.values())
    assert b"set-cookie" not in cached_names
    assert b"content-length" not in cached_names
    assert not any(b"s3cret" in value for _, value in _http._checked)


class _StandInWebSocket(asyncio.Protocol):
    """Takes an upgraded connection as uvicorn hands it over: answers 101, then closes."""

    def __init__(self, config: Any, server_state: Any, app_state: Any) -> None:
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if data.startswith(b"GET /socket HTTP/1.1\r\n"):
            self.transport.write(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n")
        self.transport.close()


def test_websocket_upgrade_as_first_request() -> None:
    ours = _Served(HTTP_PROTOCOL, ws=_StandInWebSocket)
    theirs = _Served("httptools", ws=_StandInWebSocket)
    upgrade = _request(
        b"/socket",
        method=b"GET",
        close=False,
        extra=b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
    )
    try:
        answer = _exchange(ours.port, [upgrade])
        assert answer.startswith(b"HTTP/1.1 101 Switching Protocols")
        assert _normalized(answer) == _normalized(_exchange(theirs.port, [upgrade]))
    finally:
        ours.stop()
        theirs.stop()


def test_headers_of_a_stream_come_before_its_first_chunk(servers: dict[str, _Served]) -> None:
    with socket.create_connection(("127.0.0.1", servers["dosirak"].port), timeout=10) as conn:
        conn.sendall(_request(b"/stream"))
        first = conn.recv(65536)
    # The app sleeps before its first chunk: the head must not wait for it.
    assert first.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"transfer-encoding: chunked" in first


def test_a_waiting_receive_learns_of_the_disconnect(servers: dict[str, _Served]) -> None:
    DISCONNECTS.clear()
    with socket.create_connection(("127.0.0.1", servers["dosirak"].port), timeout=10) as conn:
        conn.sendall(_request(b"/until-disconnect", body=b"x", close=False))
        time.sleep(0.2)
        assert DISCONNECTS == []  # still waiting
    deadline = time.monotonic() + 5
    while not DISCONNECTS and time.monotonic() < deadline:
        time.sleep(0.01)
    assert DISCONNECTS == ["http.disconnect"]


def test_idle_connection_closed_after_keep_alive_timeout() -> None:
    served = _Served(HTTP_PROTOCOL, timeout_keep_alive=1)
    try:
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
            # Busy for longer than the timeout: never closed while it keeps asking.
            for _ in range(6):
                conn.sendall(_request(body=b"x", close=False))
                assert conn.recv(65536).startswith(b"HTTP/1.1 200 OK")
                time.sleep(0.3)
            started = time.monotonic()
            assert conn.recv(65536) == b""  # closed by the server once idle
            assert 0.5 < time.monotonic() - started < 3
    finally:
        served.stop()


def test_server_keeps_serving_after_every_case(servers: dict[str, _Served]) -> None:
    for parts in CASES.values():
        _exchange(servers["dosirak"].port, parts)
    answer = _exchange(servers["dosirak"].port, [_request(body=b"still here")])
    assert answer.startswith(b"HTTP/1.1 200 OK")
