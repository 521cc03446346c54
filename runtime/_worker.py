"""A runner worker process: ``python -m dosirak.runtime._worker TARGET RUNNER SOCKET``.

It imports the service (``TARGET``, as ``dosirak serve`` takes it), creates the named
runner's runnable in this process, then answers calls one at a time on the Unix socket
``SOCKET`` until the server closes it. Batching happens in the server; a worker only runs
the batches it is given.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import sys
import traceback
from typing import Any

from ._wire import WireClosed, read_sync, write_sync

__all__ = ["failure", "local_runner", "main"]


def failure(exc: BaseException) -> tuple[str, Any]:
    """The exception itself when it survives pickling, else its type, message and trace."""
    trace = "".join(traceback.format_exception(exc))
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return "error", (type(exc).__qualname__, str(exc), trace)
    return "raise", (exc, trace)


def local_runner(target: str, runner_name: str) -> Any:
    """The placement running the named runner of the service ``target`` in this process
    (a worker's or a Ray actor's); LookupError if the service has no such runner."""
    from dosirak._loader import load_service

    service = load_service(target)
    runner = next((r for r in service.runners if r.name == runner_name), None)
    if runner is None:
        raise LookupError(f"service {service.name!r} has no runner {runner_name!r}")
    runner.init_local()
    return runner._placement


def main(argv: list[str]) -> int:
    target, runner_name, socket_path = argv
    # The server stops workers itself after draining; a Ctrl-C meant for it must not
    # kill a worker in the middle of a batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        placement = local_runner(target, runner_name)
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 2
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(1)
    connection, _ = listener.accept()
    listener.close()
    with connection:
        while True:
            try:
                method, args, kwargs = read_sync(connection)
            except WireClosed:
                return 0
            try:
                reply: tuple[str, Any] = ("ok", placement.call(method, args, kwargs))
            except BaseException as exc:  # the server decides what the caller sees
                reply = failure(exc)
            try:
                write_sync(connection, reply)
            except Exception as exc:  # an unpicklable result
                write_sync(connection, failure(exc))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main(sys.argv[1:]))
