"""Messages between the API server and runner workers, over a Unix socket.

A message is a pickle (protocol 5) whose large buffers travel out of band: numpy arrays
(and anything else exposing `pickle.PickleBuffer`) are written as their raw bytes after
the pickle, never copied into it, and read back into fresh writable buffers. The socket
lives in a private folder that only the server can reach, so unpickling is trusted.

Frame: ``<u32 pickle length><u32 buffer count><u64 length per buffer>`` then the pickle,
then each buffer.
"""

from __future__ import annotations

import asyncio
import pickle
import socket
import struct
from typing import Any

__all__ = ["WireClosed", "encode", "read_async", "read_sync", "write_async", "write_sync"]

_HEAD = struct.Struct("<II")
_SIZE = struct.Struct("<Q")


class WireClosed(ConnectionError):
    """The other end closed the socket (a worker died, or the server went away)."""


def encode(message: Any) -> list[memoryview]:
    """The frames of ``message``: header, pickle, then each out-of-band buffer."""
    buffers: list[pickle.PickleBuffer] = []
    payload = pickle.dumps(message, protocol=5, buffer_callback=buffers.append)
    raws = [buffer.raw() for buffer in buffers]
    header = _HEAD.pack(len(payload), len(raws)) + b"".join(_SIZE.pack(r.nbytes) for r in raws)
    return [memoryview(header), memoryview(payload), *raws]


def _decode(payload: bytearray, buffers: list[bytearray]) -> Any:
    return pickle.loads(payload, buffers=buffers)


def write_sync(sock: socket.socket, message: Any) -> None:
    for frame in encode(message):
        sock.sendall(frame)


def _recv_exactly(sock: socket.socket, size: int) -> bytearray:
    data = bytearray(size)
    view = memoryview(data)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:])
        if n == 0:
            raise WireClosed("the socket closed mid-message" if got else "the socket closed")
        got += n
    return data


def read_sync(sock: socket.socket) -> Any:
    length, count = _HEAD.unpack(_recv_exactly(sock, _HEAD.size))
    sizes_raw = _recv_exactly(sock, _SIZE.size * count) if count else bytearray()
    sizes = [_SIZE.unpack_from(sizes_raw, i * _SIZE.size)[0] for i in range(count)]
    payload = _recv_exactly(sock, length)
    return _decode(payload, [_recv_exactly(sock, size) for size in sizes])


async def write_async(loop: asyncio.AbstractEventLoop, sock: socket.socket, message: Any) -> None:
    for frame in encode(message):
        await loop.sock_sendall(sock, frame)


async def _arecv_exactly(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, size: int
) -> bytearray:
    data = bytearray(size)
    view = memoryview(data)
    got = 0
    while got < size:
        n = await loop.sock_recv_into(sock, view[got:])
        if n == 0:
            raise WireClosed("the socket closed mid-message" if got else "the socket closed")
        got += n
    return data


async def read_async(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> Any:
    length, count = _HEAD.unpack(await _arecv_exactly(loop, sock, _HEAD.size))
    sizes_raw = await _arecv_exactly(loop, sock, _SIZE.size * count) if count else bytearray()
    sizes = [_SIZE.unpack_from(sizes_raw, i * _SIZE.size)[0] for i in range(count)]
    payload = await _arecv_exactly(loop, sock, length)
    return _decode(payload, [await _arecv_exactly(loop, sock, size) for size in sizes])
