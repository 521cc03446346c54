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
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio.from_thread

from . import _metrics as metrics
from ._deadline import seconds_left
from ._wire import WireClosed, read_async, write_async
from .errors import ProblemError, ServiceUnavailable

if TYPE_CHECKING:
    from dosirak import Runner

__all__ = [
    "RunnerWorkerError",
    "WorkerProcesses",
    "cpu_cores",
    "default_worker_count",
    "worker_environments",
]

logger = logging.getLogger("dosirak.runners")

#: How long a worker may take to import the service and create its runnable.
STARTUP_TIMEOUT_S = 300.0
_GPU = "nvidia.com/gpu"
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


class RunnerWorkerError(RuntimeError):
    """A runner method failed in a worker with an exception that could not travel back."""

    def __init__(self, runner: str, method: str, kind: str, message: str, trace: str) -> None:
        super().__init__(f"{runner}.{method} raised {kind}: {message}")
        self.runner = runner
        self.method = method
        self.kind = kind
        self.trace = trace


def cpu_cores(value: Any, runner: str) -> float:
    """Cores from a ``cpu`` resource: a number (``2``, ``0.5``), one as text (``"2"``) or
    Kubernetes/BentoML millicores (``"500m"``); ValueError naming the runner otherwise."""
    text = value.strip() if isinstance(value, str) else value
    try:
        if isinstance(text, bool) or text is None:
            raise TypeError
        if isinstance(text, str) and text.endswith("m"):
            cores = float(text[:-1]) / 1000
        else:
            cores = float(text)
    except (TypeError, ValueError):
        raise ValueError(
            f"runner {runner!r}: resources cpu={value!r} is not a number of cores "
            '(like 2, 0.5 or "500m")'
        ) from None
    if not (cores > 0 and math.isfinite(cores)):
        raise ValueError(f"runner {runner!r}: resources cpu={value!r} must be more than zero")
    return cores


def _cpus(resources: Mapping[str, Any], runner: str) -> int:
    if "cpu" in resources:
        return max(1, math.ceil(cpu_cores(resources["cpu"], runner)))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_worker_count(runner: Runner) -> int:
    """Workers for a runner that does not say (``dosirak serve --production``), as BentoML
    schedules them: one per GPU it is given; else one multi-threaded worker if its runnable
    supports CPU multi-threading, or one single-threaded worker per CPU."""
    gpus = runner.resources.get(_GPU)
    if gpus is not None:
        return len(_gpu_ids(gpus))
    if runner.runnable_class.SUPPORTS_CPU_MULTI_THREADING:
        return 1
    return _cpus(runner.resources, runner.name)


def _gpu_ids(gpus: Any) -> list[str]:
    return [str(i) for i in (range(int(gpus)) if isinstance(gpus, (int, float)) else gpus)]


def worker_environments(
    resources: Mapping[str, Any],
    supported: tuple[str, ...],
    count: int,
    runner: str,
    *,
    multi_threading: bool = True,
) -> list[dict[str, str]]:
    """The environment each of ``count`` workers gets from the runner's ``resources``.

    Threads for OpenMP/MKL/OpenBLAS: ``cpu`` when given, else all CPUs for a runnable that
    supports CPU multi-threading and one for the others (so N workers do not fight over the
    cores). ``nvidia.com/gpu``: a count or a list of device ids, dealt round-robin to the
    workers through ``CUDA_VISIBLE_DEVICES``.
    """
    unknown = set(resources) - {"cpu", _GPU}
    if unknown:
        raise ValueError(f"runner {runner!r}: unknown resources {sorted(unknown)}")
    threads = str(_cpus(resources, runner) if multi_threading or "cpu" in resources else 1)
    envs: list[dict[str, str]] = [dict.fromkeys(_THREAD_VARIABLES, threads) for _ in range(count)]
    if _GPU in resources:
        if _GPU not in supported:
            raise ValueError(
                f"runner {runner!r} asks for {_GPU} but its runnable supports only {supported}"
            )
        ids = _gpu_ids(resources[_GPU])
        if not ids:
            raise ValueError(f"runner {runner!r}: {_GPU} names no device")
        for index, env in enumerate(envs):
            env["CUDA_VISIBLE_DEVICES"] = ids[index % len(ids)]
    return envs


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
        try:  # a sync API function in a worker thread: go through the event loop
            return anyio.from_thread.run(self.async_call, method, args, kwargs)
        except anyio.NoEventLoopError:
            raise RuntimeError(
                f"runner {self.runner!r} runs in worker processes: call it from an API "
                "function while the server runs"
            ) from None

    async def async_call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._idle is None or self._loop is None:
            raise ServiceUnavailable(f"runner {self.runner!r} has not started")
        while True:
            left = seconds_left()
            try:
                worker = await asyncio.wait_for(self._idle.get(), None if left > 1e9 else left)
            except TimeoutError:
                raise ServiceUnavailable(
                    f"no worker of runner {self.runner!r} became free in time",
                    headers={"Retry-After": "1"},
                ) from None
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
        if status == "ok":
            return value
        if status == "raise":
            error, trace = value
            if not isinstance(error, ProblemError):  # a problem is an answer, not a failure
                logger.error("%s.%s failed in its worker:\n%s", self.runner, method, trace)
            raise error
        kind, message, trace = value
        raise RunnerWorkerError(self.runner, method, kind, message, trace)

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
