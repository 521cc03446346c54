"""Blocking calls in threads, and calls from those threads back into their event loop.

Sync API functions and model methods run in a `ThreadPool`: asyncio's own executor with
the caller's context variables (a request's deadline), bounded to ``size`` threads. anyio's
``to_thread`` did this before; its asyncio backend costs about 17 ms to import at the first
call, which came before a served service's first answer, and each hop cost more.

A thread of a pool knows the loop it works for, so a batched runner called in it hands its
call to that loop's batcher (`call_in_loop`) and waits for the answer; so does a thread
that anyio started (Starlette's ``run_in_threadpool``), through anyio.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["NotAServerThread", "ThreadPool", "call_in_loop", "codec_threads"]

T = TypeVar("T")

_local = threading.local()
# How often a thread waiting for its loop's answer checks that the loop still runs.
_LOOK_AT_THE_LOOP_S = 1.0


class ThreadPool:
    """At most ``size`` threads running blocking calls for coroutines; made on first use.

    Example::

        api_threads = ThreadPool(40, "dosirak-api")
        result = await api_threads.run(predict, rows)  # predict(rows) in one of them
    """

    def __init__(self, size: int, name: str) -> None:
        if size < 1:
            raise ValueError(f"a thread pool needs at least one thread, not {size}")
        self.size = size
        self.name = name
        self._executor: ThreadPoolExecutor | None = None
        self._made = threading.Lock()

    async def run(self, func: Callable[..., T], *args: Any) -> T:
        """``func(*args)`` in a thread of the pool, seeing the caller's context variables.

        A cancelled caller stops waiting; the call itself runs to its end (a thread cannot
        be stopped), holding its thread until then.
        """
        loop = asyncio.get_running_loop()
        executor = self._executor or self._make()
        context = contextvars.copy_context()
        return await loop.run_in_executor(executor, _in_thread, loop, context, func, args)

    def _make(self) -> ThreadPoolExecutor:
        with self._made:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.size, thread_name_prefix=self.name)
            return self._executor


#: Blocking work of the codecs: spooling a large upload to disk, decoding an image.
codec_threads = ThreadPool(40, "dosirak-codec")


def _in_thread(
    loop: asyncio.AbstractEventLoop,
    context: contextvars.Context,
    func: Callable[..., T],
    args: tuple[Any, ...],
) -> T:
    _local.loop = loop
    try:
        return context.run(func, *args)
    finally:
        _local.loop = None


class NotAServerThread(RuntimeError):
    """`call_in_loop` from a thread that works for no running event loop."""


def call_in_loop(func: Callable[..., Coroutine[Any, Any, T]], *args: Any) -> T:
    """Run ``func(*args)`` on the event loop this thread works for; wait for its result.

    This thread is one of a `ThreadPool`'s, or one anyio started (Starlette's thread pool);
    from any other (a test, a notebook, a thread of the user's own) `NotAServerThread`.
    """
    loop: asyncio.AbstractEventLoop | None = getattr(_local, "loop", None)
    if loop is not None:
        future = asyncio.run_coroutine_threadsafe(func(*args), loop)
        while True:
            try:
                return future.result(timeout=_LOOK_AT_THE_LOOP_S)
            except concurrent.futures.TimeoutError:
                if future.done():
                    raise  # the call's own TimeoutError (the same class since Python 3.11)
                # A loop that stopped will not run the call: do not hold the thread (and the
                # interpreter's exit, which joins it) forever.
                if not loop.is_running():
                    future.cancel()
                    raise RuntimeError("the event loop stopped before answering") from None
    import anyio.from_thread  # lazy: anyio's asyncio backend is slow to import

    try:
        return anyio.from_thread.run(func, *args)
    except anyio.NoEventLoopError:
        raise NotAServerThread("this thread works for no running event loop") from None
