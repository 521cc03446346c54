"""Runner placement in worker processes: N processes per runner, restarted when they die.

Each worker (`dosirak.runtime._worker`) runs the runnable and answers one call at a time
over its own Unix socket (`dosirak.runtime._wire`: arrays as raw bytes, never copied into
a pickle). A call goes to an idle worker; a worker that dies fails its call at once with
503 (``Retry-After``) and is started again while the others go on.

Example (what ``dosirak serve --production`` does for each runner)::

    placement = WorkerProcesses(runner, target="service.py:svc", count=2)
    await placement.astart()
    result = await placement.async_call("predict", (x,), {})
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from . import _metrics as metrics
from ._deadline import seconds_left
from ._resources import worker_environments
from ._threads import NotAServerThread, call_in_loop
from ._wire import WireClosed, read_async, write_async
from .errors import ProblemError, ServiceUnavailable

if TYPE_CHECKING:
    from dosirak import Runner

__all__ = [
    "RunnerWorkerError",
    "WorkerProcesses",
    "call_through_loop",
    "reply_value",
    "take_idle",
]

logger = logging.getLogger("dosirak.runners")

#: How long a worker may take to import the service and create its runnable.
STARTUP_TIMEOUT_S = 300.0


class RunnerWorkerError(RuntimeError):
    """A runner method failed in a worker with an exception that could not travel back."""

    def __init__(self, runner: str, method: str, kind: str, message: str, trace: str) -> None:
        super().__init__(f"{runner}.{method} raised {kind}: {message}")
        self.runner = runner
        self.method = method
        self.kind = kind
        self.trace = trace


T = TypeVar("T")


async def take_idle(idle: asyncio.Queue[T], who: str) -> T:
    """The next idle worker, waiting at most until the request's deadline (503 after)."""
    left = seconds_left()
    try:
        return await asyncio.wait_for(idle.get(), None if left > 1e9 else left)
    except TimeoutError:
        raise ServiceUnavailable(
            f"{who} became free in time", headers={"Retry-After": "1"}
        ) from None


def call_through_loop(
    async_call: Callable[..., Coroutine[Any, Any, Any]],
    runner: str,
    where: str,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Any:
    """``async_call(method, args, kwargs)`` for a sync API function (in a worker thread),
    on the server's event loop; outside a server, an error saying where the runner runs."""
    try:
        return call_in_loop(async_call, method, args, kwargs)
    except NotAServerThread:
        raise RuntimeError(
            f"runner {runner!r} runs {where}: call it from an API function while the server runs"
        ) from None


def reply_value(reply: tuple[str, Any], runner: str, method: str, where: str) -> Any:
    """What a worker's reply (``dosirak.runtime._worker.failure`` or ``("ok", value)``)
    carries: its value, else the exception it raised (logged unless a problem), else a
    `RunnerWorkerError` for one that could not travel."""
    status, value = reply
    if status == "ok":
        return value
    if status == "raise":
        error, trace = value
        if not isinstance(error, ProblemError):  # a problem is an answer, not a failure
            logger.error("%s.%s failed in %s:\n%s", runner, method, where, trace)
        raise error
    kind, message, trace = value
    raise RunnerWorkerError(runner, method, kind, message, trace)


class _Worker:
    def __init__(self, index: int, process: subprocess.Popen[bytes], sock: socket.socket) -> None:
        self.index = index
        self.process = process
        self.sock = sock
        self.alive = True


class WorkerProcesses:
    """The `_Placement` of a runner whose methods run in ``count`` worker processes."""

    remote = True

    def __init__(self, runner: Runner, *, target: str, count: int) -> None:
        if count < 1:
            raise ValueError(f"runner {runner.name!r}: workers must be at least 1, not {count}")
        self.runner = runner.name
        self.target = target
        self.slots = count
        self._envs = worker_environments(
            runner.resources,
            runner.runnable_class.SUPPORTED_RESOURCES,
            count,
            runner.name,
            multi_threading=runner.runnable_class.SUPPORTS_CPU_MULTI_THREADING,
        )
        self._folder = Path(tempfile.mkdtemp(prefix=f"dosirak-{runner.name}-"))
        os.chmod(self._folder, 0o700)  # only this server may talk to its workers
        self._idle: asyncio.Queue[_Worker] | None = None
        self._workers: dict[int, _Worker] = {}
        self._restarts: set[asyncio.Task[None]] = set()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._monitor: asyncio.Task[None] | None = None

    # -- lifecycle

    def start(self) -> None:
        raise RuntimeError(
            f"runner {self.runner!r} runs in worker processes; they start with the server"
        )

    async def astart(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(*(self._spawn(i) for i in range(self.slots)))
        for worker in workers:
            self._workers[worker.index] = worker
            self._idle.put_nowait(worker)
        self._monitor = self._loop.create_task(self._watch())

    async def _watch(self) -> None:
        """Notice workers that die while idle, so they come back before they are needed."""
        while not self._stopping:
            await asyncio.sleep(0.5)
            for worker in list(self._workers.values()):
                if worker.alive and worker.process.poll() is not None:
                    self._lost(worker)

    async def _spawn(self, index: int) -> _Worker:
        path = self._folder / f"worker-{index}.sock"
        path.unlink(missing_ok=True)
        env = {**os.environ, **self._envs[index], "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "dosirak.runtime._worker", self.target, self.runner, str(path)],
            env=env,
        )
        began = time.monotonic()
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"runner {self.runner!r}: worker {index} exited with {process.returncode} "
                    "while starting; its output is above"
                )
            if path.exists():
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.setblocking(False)
                try:
                    await asyncio.get_running_loop().sock_connect(sock, str(path))
                except (ConnectionRefusedError, FileNotFoundError):
                    sock.close()
                else:
                    return _Worker(index, process, sock)
            if time.monotonic() - began > STARTUP_TIMEOUT_S:
                process.kill()
                raise RuntimeError(
                    f"runner {self.runner!r}: worker {index} not ready after "
                    f"{STARTUP_TIMEOUT_S:.0f} s"
                )
            await asyncio.sleep(0.02)

    def stop(self) -> None:
        """Stop every worker (after the server drained its batches)."""
        self._stopping = True
        if self._monitor is not None:
            self._monitor.cancel()
        for task in self._restarts:
            task.cancel()
        for worker in self._workers.values():
            worker.sock.close()  # a worker exits when its socket closes
        for worker in self._workers.values():
            try:
                worker.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
        self._workers.clear()
        shutil.rmtree(self._folder, ignore_errors=True)

    @property
    def ready(self) -> bool:
        return any(w.alive and w.process.poll() is None for w in self._workers.values())

    # -- calls

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return call_through_loop(
            self.async_call, self.runner, "in worker processes", method, args, kwargs
        )

    async def async_call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._idle is None or self._loop is None:
            raise ServiceUnavailable(f"runner {self.runner!r} has not started")
        while True:
            worker = await take_idle(self._idle, f"no worker of runner {self.runner!r}")
            if worker.alive and worker.process.poll() is None:
                break
            self._lost(worker)  # died while idle: restart it, take another
        try:
            await write_async(self._loop, worker.sock, (method, args, kwargs))
            status, value = await read_async(self._loop, worker.sock)
        except (WireClosed, OSError):
            self._lost(worker)
            raise ServiceUnavailable(
                f"a worker of runner {self.runner!r} died while running {method!r}; "
                "it is being restarted",
                headers={"Retry-After": "1"},
            ) from None
        except BaseException:
            # Cancelled mid-message: the socket's framing is lost, so is the worker.
            self._lost(worker)
            raise
        self._idle.put_nowait(worker)
        return reply_value((status, value), self.runner, method, "its worker")

    def _lost(self, worker: _Worker) -> None:
        if not worker.alive:
            return
        worker.alive = False
        worker.sock.close()
        if worker.process.poll() is None:
            worker.process.kill()
        worker.process.wait()
        if self._stopping:
            return
        logger.error(
            "runner %r: worker %d (pid %d) exited with %s; starting it again",
            self.runner,
            worker.index,
            worker.process.pid,
            worker.process.returncode,
        )
        metrics.worker_restarted(self.runner)
        task = asyncio.get_running_loop().create_task(self._restart(worker.index))
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    async def _restart(self, index: int) -> None:
        delay = 0.1
        while not self._stopping:
            try:
                worker = await self._spawn(index)
            except RuntimeError:
                logger.exception("runner %r: worker %d failed to restart", self.runner, index)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
                continue
            self._workers[index] = worker
            if self._idle is not None:
                self._idle.put_nowait(worker)
            return
