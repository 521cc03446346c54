"""Runner placement on Ray: N actors per runner, anywhere in a Ray cluster.

For a model that one machine cannot hold or serve fast enough. Batching stays in the API
server (`dosirak.runtime._batcher`, one batch per actor at a time); each actor imports the
service by its target, as a worker process does, creates the runner's runnable and runs
the batches it is given. Arrays travel through Ray's object store (pickle protocol 5, no
copy into the pickle). An actor that dies fails its call at once with 503 (``Retry-After``);
Ray starts it again and it takes calls once it answers. The server pings idle actors every
second; a call sent to one that died in the meantime fails with 503 too.

The cluster: ``RAY_ADDRESS`` when set (``ray://head:10001`` or ``auto``, as Ray reads it),
else a Ray started by the server on this machine and stopped with it. On a cluster, the
service's files must be at the same path on every node (one image, a shared volume).

Example (what ``dosirak serve --ray`` does for each runner)::

    placement = RayActors(runner, target="/srv/service.py:svc", count=2)
    await placement.astart()
    result = await placement.async_call("predict", (x,), {})
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _metrics as metrics
from ._resources import cpu_cores, gpu_count, worker_environments
from ._worker import failure, local_runner
from ._workers import (
    STARTUP_TIMEOUT_S,
    RunnerWorkerError,
    call_through_loop,
    reply_value,
    take_idle,
)
from .errors import ServiceUnavailable

if TYPE_CHECKING:
    from dosirak import Runner

__all__ = ["RayActors", "RayMissingError", "absolute_target", "actor_options"]

logger = logging.getLogger("dosirak.runners")

#: How often idle actors are asked whether they are alive (a death is noticed this late).
_PING_INTERVAL_S = 1.0

# The runners of this process on Ray, and whether the Ray they use was started here (no
# RAY_ADDRESS): the last one to stop shuts it down.
_users = 0
_own_ray = False


class RayMissingError(ImportError):
    """A runner is placed on Ray but Ray is not installed."""

    def __init__(self, runner: str) -> None:
        super().__init__(
            f"runner {runner!r} runs on Ray, which is not installed: pip install 'dosirak[ray]'"
        )
        self.runner = runner


def _ray(runner: str) -> Any:
    try:
        import ray
    except ImportError:
        raise RayMissingError(runner) from None
    return ray


def actor_options(runner: Runner, count: int) -> dict[str, Any]:
    """Ray's ``.options(...)`` for each of ``count`` actors from the runner's ``resources``.

    ``cpu`` becomes ``num_cpus`` (without it, Ray's default: an actor needs a node with a
    CPU but reserves none, as a worker process does); ``nvidia.com/gpu`` is dealt out
    as ``num_gpus``, a share of the GPUs to each actor (Ray picks the devices and sets
    ``CUDA_VISIBLE_DEVICES``); the thread variables are those a worker process gets.

    Example::

        actor_options(Runner(Model, resources={"cpu": 2}), 1)["num_cpus"]  # 2.0
    """
    resources = runner.resources
    environment = worker_environments(
        resources,
        runner.runnable_class.SUPPORTED_RESOURCES,
        1,
        runner.name,
        multi_threading=runner.runnable_class.SUPPORTS_CPU_MULTI_THREADING,
    )[0]
    environment.pop("CUDA_VISIBLE_DEVICES", None)  # Ray assigns the devices itself
    options: dict[str, Any] = {
        # Ray restarts a dead actor without limit; a call it was running is not retried
        # (the server answers 503 and the client decides).
        "max_restarts": -1,
        "max_task_retries": 0,
        # One batch at a time, plus the server's liveness pings beside it.
        "max_concurrency": 2,
        "runtime_env": {"env_vars": environment},
    }
    if "cpu" in resources:
        options["num_cpus"] = cpu_cores(resources["cpu"], runner.name)
    gpus = gpu_count(resources)
    if gpus:
        options["num_gpus"] = gpus / count
    return options


def absolute_target(target: str) -> str:
    """``service.py:svc`` with the file's absolute path: an actor's working directory is
    Ray's, not the server's."""
    module_part, colon, attr = target.partition(":")
    if module_part.endswith(".py") or Path(module_part).is_file():
        return f"{Path(module_part).resolve()}{colon}{attr}"
    return target


class _RunnerActor:
    """What runs in each Ray actor: the runner's runnable, answering one call at a time."""

    def __init__(self, target: str, runner_name: str, directory: str) -> None:
        import sys

        if directory not in sys.path:  # a ``package.module:svc`` target imports from there
            sys.path.insert(0, directory)
        self._placement = local_runner(target, runner_name)
        # Pings run beside a call (two threads), calls one after another: a call the server
        # stopped waiting for (cancelled) still finishes before the next one starts.
        self._one_call = threading.Lock()

    def ping(self) -> int:
        return os.getpid()

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        with self._one_call:
            try:
                return ("ok", self._placement.call(method, args, kwargs))
            except BaseException as exc:  # the server decides what the caller sees
                return failure(exc)


class _Actor:
    """One actor as the server sees it; replaced by a new one when the actor dies, so that
    a stale entry left in the idle queue is recognised and dropped."""

    def __init__(self, index: int, handle: Any, *, alive: bool = True, pid: int = 0) -> None:
        self.index = index
        self.handle = handle
        self.alive = alive
        self.pid = pid  # of the actor's process, from its last ping


class RayActors:
    """The `_Placement` of a runner whose methods run in ``count`` Ray actors."""

    remote = True

    def __init__(self, runner: Runner, *, target: str, count: int) -> None:
        if count < 1:
            raise ValueError(f"runner {runner.name!r}: workers must be at least 1, not {count}")
        self.runner = runner.name
        self.target = absolute_target(target)
        self.slots = count
        self._options = actor_options(runner, count)
        self._actors: dict[int, _Actor] = {}
        self._idle: asyncio.Queue[_Actor] | None = None
        self._recovering: set[asyncio.Task[None]] = set()
        self._monitor: asyncio.Task[None] | None = None
        self._stopping = False
        self._using_ray = False
        self._ray: Any = None

    # -- lifecycle

    def start(self) -> None:
        raise RuntimeError(f"runner {self.runner!r} runs on Ray; its actors start with the server")

    async def astart(self) -> None:
        ray = self._ray = _ray(self.runner)
        if not ray.is_initialized():
            # On the loop's thread (ray.init wants the main thread): nothing is served
            # before the lifespan's start-up has finished anyway.
            self._connect(ray)
        global _users
        _users += 1
        self._using_ray = True
        if _own_ray:  # no autoscaler to add what this machine lacks: say so now
            self._check_feasible(ray.cluster_resources())
        remote_class = ray.remote(_RunnerActor).options(**self._options)
        actors = [
            _Actor(index, remote_class.remote(self.target, self.runner, os.getcwd()))
            for index in range(self.slots)
        ]
        self._actors = {actor.index: actor for actor in actors}
        try:
            pids = await asyncio.wait_for(
                asyncio.gather(*(actor.handle.ping.remote() for actor in actors)),
                STARTUP_TIMEOUT_S,
            )
        except TimeoutError:
            self.stop()
            raise RuntimeError(
                f"runner {self.runner!r}: its {self.slots} Ray actor(s) did not start within "
                f"{STARTUP_TIMEOUT_S:.0f} s; each asks Ray for {self._asked()}, which the "
                "cluster may not have"
            ) from None
        except Exception as exc:
            self.stop()
            raise RuntimeError(
                f"runner {self.runner!r}: a Ray actor failed to start: {_cause(exc)}"
            ) from None
        self._idle = asyncio.Queue()
        for actor, pid in zip(actors, pids, strict=True):
            actor.pid = pid
            self._idle.put_nowait(actor)
        self._monitor = asyncio.get_running_loop().create_task(self._watch())

    def _connect(self, ray: Any) -> None:
        global _own_ray
        # Without RAY_ADDRESS, "local": a Ray of this server's own, not whatever `ray start`
        # left running on this machine (which ray.init would join otherwise).
        address = os.environ.get("RAY_ADDRESS") or "local"
        # ray.init puts in a SIGTERM handler that exits at once; the server's own (uvicorn's
        # graceful shutdown: stop accepting, drain, stop the runners) must stay.
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.getsignal(signal.SIGTERM) if main_thread else None
        try:
            ray.init(
                address=address,
                namespace="dosirak",
                include_dashboard=False,
                log_to_driver=True,
                configure_logging=False,
            )
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        _own_ray = address == "local"  # this server's own Ray: stopped with its last runner

    def _check_feasible(self, total: dict[str, float]) -> None:
        short = [
            f"{option}={self._options[option]:g} (this machine's Ray has {total.get(kind, 0):g})"
            for option, kind in (("num_cpus", "CPU"), ("num_gpus", "GPU"))
            if self._options.get(option, 0) > total.get(kind, 0)
        ]
        if short:
            self.stop()
            raise RuntimeError(
                f"runner {self.runner!r}: each of its Ray actors asks for {', '.join(short)}; "
                "lower its resources, or set RAY_ADDRESS to a cluster that has them"
            )

    def _asked(self) -> str:
        asked = [
            f"{k}={self._options[k]:g}" for k in ("num_cpus", "num_gpus") if k in self._options
        ]
        return ", ".join(asked) or "a node with a CPU"

    def _kill(self, actors: list[_Actor]) -> None:
        for actor in actors:
            with contextlib.suppress(Exception):  # already gone
                self._ray.kill(actor.handle, no_restart=True)

    def stop(self) -> None:
        """Stop every actor (after the server drained its batches)."""
        self._stopping = True
        if self._monitor is not None:
            self._monitor.cancel()
        for task in self._recovering:
            task.cancel()
        self._kill(list(self._actors.values()))
        self._actors.clear()
        global _users, _own_ray
        if self._using_ray:
            self._using_ray = False
            _users -= 1
            if _users == 0 and _own_ray:
                _own_ray = False
                self._ray.shutdown()

    @property
    def ready(self) -> bool:
        return any(actor.alive for actor in self._actors.values())

    # -- calls

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return call_through_loop(self.async_call, self.runner, "on Ray", method, args, kwargs)

    async def _take(self) -> _Actor:
        if self._idle is None:
            raise ServiceUnavailable(f"runner {self.runner!r} has not started")
        while True:
            actor = await take_idle(self._idle, f"no actor of runner {self.runner!r}")
            if actor.alive:
                return actor
            # Died while idle: its replacement is queued once Ray has started it again.

    async def async_call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        actor = await self._take()
        ray = self._ray
        pid = actor.pid
        try:
            reply = await actor.handle.call.remote(method, args, kwargs)
        except ray.exceptions.RayActorError:
            if actor.pid == pid:
                self._lost(actor)
            else:  # a ping answered by its new process counted this death already
                self._release(actor)
            raise ServiceUnavailable(
                f"a Ray actor of runner {self.runner!r} died while running {method!r}; "
                "it is being restarted",
                headers={"Retry-After": "1"},
            ) from None
        except ray.exceptions.RayTaskError as exc:  # the result could not travel back
            self._release(actor)
            cause = exc.cause if exc.cause is not None else exc
            raise RunnerWorkerError(
                self.runner, method, type(cause).__qualname__, str(cause), str(exc)
            ) from None
        except BaseException:
            # Cancelled while the actor works: it finishes that call before the next one.
            self._release(actor)
            raise
        self._release(actor)
        return reply_value(reply, self.runner, method, "its Ray actor")

    def _release(self, actor: _Actor) -> None:
        if actor.alive and self._idle is not None:
            self._idle.put_nowait(actor)

    # -- deaths and restarts

    async def _watch(self) -> None:
        """Notice actors that die while idle: Ray starts them again, and a ping that was
        queued meanwhile is answered by the new process (another pid); one that fails
        means the actor is gone for good for now."""
        ray = self._ray
        while not self._stopping:
            await asyncio.sleep(_PING_INTERVAL_S)
            for actor in list(self._actors.values()):
                if not actor.alive:
                    continue
                try:  # answered beside a running batch (max_concurrency=2)
                    pid = await asyncio.wait_for(actor.handle.ping.remote(), 10 * _PING_INTERVAL_S)
                except ray.exceptions.RayActorError:
                    self._lost(actor)
                except TimeoutError:
                    pass  # slow or restarting: the next ping tells
                else:
                    if actor.alive and pid != actor.pid:
                        self._count_death(actor)
                        actor.pid = pid

    def _count_death(self, actor: _Actor) -> None:
        logger.error("runner %r: Ray actor %d died; Ray starts it again", self.runner, actor.index)
        metrics.worker_restarted(self.runner)

    def _lost(self, actor: _Actor) -> None:
        if not actor.alive or self._stopping:
            return
        actor.alive = False
        self._count_death(actor)
        replacement = _Actor(actor.index, actor.handle, alive=False)
        self._actors[actor.index] = replacement
        task = asyncio.get_running_loop().create_task(self._recover(replacement))
        self._recovering.add(task)
        task.add_done_callback(self._recovering.discard)

    async def _recover(self, actor: _Actor) -> None:
        """Give the actor calls again once Ray has started it again."""
        ray = self._ray
        delay = 0.1
        while not self._stopping:
            try:
                actor.pid = await asyncio.wait_for(actor.handle.ping.remote(), STARTUP_TIMEOUT_S)
            except (ray.exceptions.RayActorError, TimeoutError):
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            actor.alive = True
            if self._idle is not None:
                self._idle.put_nowait(actor)
            return


def _cause(exc: BaseException) -> str:
    text = "".join(traceback.format_exception_only(exc)).strip()
    return text.splitlines()[-1] if text else type(exc).__name__
