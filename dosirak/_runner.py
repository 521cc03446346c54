"""Runnables (the model code) and Runners (where and how that code runs).

Example::

    class IrisModel(dosirak.Runnable):
        SUPPORTED_RESOURCES = ("cpu",)
        SUPPORTS_CPU_MULTI_THREADING = True

        def __init__(self, weights: np.ndarray) -> None:
            self.weights = weights

        @dosirak.Runnable.method(batchable=True, batch_dim=0)
        def predict(self, x: np.ndarray) -> np.ndarray:
            return np.argmax(x @ self.weights, axis=1)

    runner = dosirak.Runner(IrisModel, name="iris", init_params={"weights": w})
    runner.predict.run(x)               # from a sync API function
    await runner.predict.async_run(x)   # from an async one
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, overload

from dosirak.runtime import _deadline, _inline, _threads

if TYPE_CHECKING:
    from dosirak.runtime._batcher import Batcher
    from dosirak.runtime._ray import RayActors
    from dosirak.runtime._workers import WorkerProcesses

__all__ = ["Runnable", "RunnableMethodConfig", "Runner", "RunnerMethod"]

_NAME = re.compile(r"^[a-z0-9]([a-z0-9_.-]*[a-z0-9])?$")
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class RunnableMethodConfig:
    """How a runnable method may be called: batchable along ``batch_dim`` or one by one."""

    batchable: bool = False
    batch_dim: int | tuple[int, int] = 0


class Runnable:
    """Base class for model code; decorate its callable methods with `Runnable.method`."""

    SUPPORTED_RESOURCES: ClassVar[tuple[str, ...]] = ("cpu",)
    SUPPORTS_CPU_MULTI_THREADING: ClassVar[bool] = False

    @overload
    @staticmethod
    def method(fn: F, /) -> F: ...

    @overload
    @staticmethod
    def method(
        *, batchable: bool = False, batch_dim: int | tuple[int, int] = 0
    ) -> Callable[[F], F]: ...

    @staticmethod
    def method(
        fn: F | None = None,
        /,
        *,
        batchable: bool = False,
        batch_dim: int | tuple[int, int] = 0,
    ) -> F | Callable[[F], F]:
        """Mark a method as callable through the runner; usable with or without arguments."""
        config = RunnableMethodConfig(batchable=batchable, batch_dim=batch_dim)

        def mark(f: F) -> F:
            f.__dosirak_method__ = config  # type: ignore[attr-defined]
            return f

        return mark(fn) if fn is not None else mark

    @classmethod
    def runnable_methods(cls) -> dict[str, RunnableMethodConfig]:
        """The methods marked with `Runnable.method`, by name."""
        found: dict[str, RunnableMethodConfig] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                config = getattr(value, "__dosirak_method__", None)
                if isinstance(config, RunnableMethodConfig):
                    found[name] = config
        return found


class _Placement(Protocol):
    """Where a runner's methods execute: this process, worker processes or Ray actors."""

    #: Whether calls leave this process (they must never run on the event loop's thread).
    remote: bool

    def start(self) -> None: ...

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any: ...

    async def async_call(
        self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any: ...

    def stop(self) -> None: ...


class _InProcess:
    """Runs the runnable in this process, created once on first use or at startup."""

    remote = False

    def __init__(self, runnable_class: type[Runnable], init_params: Mapping[str, Any]) -> None:
        self._class = runnable_class
        self._params = dict(init_params)
        self._instance: Runnable | None = None
        self._lock = threading.Lock()
        # Bound methods and whether each is a coroutine function, looked up once per start
        # rather than on every call.
        self._methods: dict[str, tuple[Callable[..., Any], bool]] = {}
        self._judges: dict[str, _inline.InlineJudge] = {}

    def start(self) -> None:
        if self._instance is None:
            with self._lock:
                if self._instance is None:
                    instance = self._class(**self._params)
                    self._methods = {}
                    for name in self._class.runnable_methods():
                        fn = getattr(instance, name)
                        self._methods[name] = (fn, inspect.iscoroutinefunction(fn))
                    self._instance = instance

    def _bound(self, method: str) -> tuple[Callable[..., Any], bool]:
        if self._instance is None:
            self.start()
        return self._methods[method]

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        fn, is_coroutine = self._bound(method)
        if is_coroutine:
            try:  # on the server's loop, from a thread that works for it
                return _threads.call_in_loop(lambda: fn(*args, **kwargs))
            except _threads.NotAServerThread:  # a test, a notebook: on a loop of its own
                return asyncio.run(fn(*args, **kwargs))
        return fn(*args, **kwargs)

    async def async_call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        fn, is_coroutine = self._bound(method)
        if is_coroutine:
            return await fn(*args, **kwargs)
        judge = self._judges.get(method)
        if judge is None:
            judge = self._judges[method] = _inline.InlineJudge()
        call = functools.partial(fn, *args, **kwargs)
        if judge.inline:  # a method proven cheap runs on the loop: no thread hop
            return judge.run_inline(call)
        return await _method_threads.run(judge.run_timed, call)

    def stop(self) -> None:
        self._instance = None
        self._methods = {}


class RunnerMethod:
    """One method of a runner: ``run`` blocks, ``async_run`` awaits.

    Calls to a batchable method made while the server runs go through its adaptive
    batcher (`dosirak.runtime._batcher`); elsewhere (tests, notebooks) they run directly.
    """

    def __init__(self, runner: Runner, name: str, config: RunnableMethodConfig) -> None:
        self.runner = runner
        self.name = name
        self.config = config
        options = runner.method_configs.get(name, {})
        unknown = set(options) - _METHOD_OPTIONS
        if unknown:
            raise ValueError(
                f"runner {runner.name!r}: method_configs[{name!r}] has unknown keys "
                f"{sorted(unknown)}; known: {sorted(_METHOD_OPTIONS)}"
            )
        self.max_batch_size: int = int(
            options.get("max_batch_size", runner.max_batch_size or _DEFAULT_MAX_BATCH_SIZE)
        )
        self.max_latency_ms: float = float(
            options.get("max_latency_ms", runner.max_latency_ms or _DEFAULT_MAX_LATENCY_MS)
        )
        self.batching_policy: str = str(options.get("batching_policy", runner.batching_policy))
        queue = options.get("max_queue_items", runner.max_queue_items)
        self.max_queue_items: int | None = None if queue is None else int(queue)
        if self.max_batch_size < 1:
            raise ValueError(f"runner {runner.name!r}: max_batch_size must be at least 1")
        if self.max_latency_ms <= 0:
            raise ValueError(f"runner {runner.name!r}: max_latency_ms must be positive")
        dim = config.batch_dim
        self.in_dim, self.out_dim = (dim, dim) if isinstance(dim, int) else dim

    @property
    def batching(self) -> bool:
        """Whether calls are batched (a batchable method with room for more than one item)."""
        return self.config.batchable and self.max_batch_size > 1

    def run(self, *args: Any, **kwargs: Any) -> Any:
        # On the event loop's own thread (a cheap sync API run inline, see
        # dosirak.runtime._inline) there is no waiting for a batch: call directly.
        placement = self.runner._placement
        in_worker_thread = asyncio._get_running_loop() is None
        if placement.remote and in_worker_thread:
            _inline.adjust_inline_cost(math.inf)  # never inline: it would block the loop
        if self.batching and not kwargs and in_worker_thread:
            deadline = _deadline.request_deadline.get()
            started = time.perf_counter()
            try:  # from a sync API function: hand the call to the event loop's batcher
                result = _threads.call_in_loop(self._batched, args, deadline)
            except _threads.NotAServerThread:
                pass  # not in a server's worker thread (a test, a notebook): run directly
            else:
                waited = time.perf_counter() - started
                _inline.adjust_inline_cost(self._expected_seconds(args) - waited)
                return result
        return placement.call(self.name, args, kwargs)

    async def async_run(self, *args: Any, **kwargs: Any) -> Any:
        if self.batching and not kwargs:
            return await self._batched(args, _deadline.request_deadline.get())
        return await self.runner._placement.async_call(self.name, args, kwargs)

    def _expected_seconds(self, args: tuple[Any, ...]) -> float:
        """What one direct call with ``args`` costs, by the batcher's cost model."""
        batcher = self.runner._batchers.get(self.name)
        if batcher is None:
            return 0.0
        from dosirak.runtime._batch_data import batch_size

        return batcher.policy.expected_seconds(batch_size(args[0], self.in_dim))

    async def _batched(self, args: tuple[Any, ...], deadline: float) -> Any:
        return await self.runner._batcher(self).submit(args, deadline)

    def __repr__(self) -> str:
        return f"<RunnerMethod {self.runner.name}.{self.name}>"


_DEFAULT_MAX_BATCH_SIZE = 100
_DEFAULT_MAX_LATENCY_MS = 1000.0
_METHOD_OPTIONS = {"max_batch_size", "max_latency_ms", "batching_policy", "max_queue_items"}
#: Where a runner may be placed: None (the server process, or worker processes), or Ray.
_PLACEMENTS = (None, "ray")
# Sync methods of in-process runners that are not proven cheap run in these threads.
_method_threads = _threads.ThreadPool(40, "dosirak-runner")


class Runner:
    """A runnable class bound to its parameters, its batching and its placement.

    ``runner.<method>.run(...)`` and ``await runner.<method>.async_run(...)`` call the
    methods marked with `Runnable.method`; ``runner.run(...)`` calls ``__call__`` or
    the only method there is. Batchable methods batch adaptively: at most
    ``max_batch_size`` items per call, never holding a request longer than
    ``max_latency_ms`` allows; ``method_configs={"predict": {...}}`` sets these (and
    ``batching_policy``, ``max_queue_items``) per method.

    Served, a runner runs in the server process; with ``workers=N`` (or ``dosirak serve
    --production``) in N worker processes; with ``placement="ray"`` (or ``dosirak serve
    --ray``) in N Ray actors, on the cluster ``RAY_ADDRESS`` names or a Ray of its own.
    ``resources`` (``cpu``, ``nvidia.com/gpu``) say what each worker or actor gets.

    Example::

        runner = dosirak.Runner(IrisModel, max_batch_size=64, max_latency_ms=50)
        on_ray = dosirak.Runner(BigModel, placement="ray", workers=4,
                                resources={"nvidia.com/gpu": 4})
    """

    def __init__(
        self,
        runnable_class: type[Runnable],
        *,
        name: str | None = None,
        init_params: Mapping[str, Any] | None = None,
        max_batch_size: int | None = None,
        max_latency_ms: float | None = None,
        method_configs: Mapping[str, Mapping[str, Any]] | None = None,
        batching_policy: str = "adaptive",
        max_queue_items: int | None = None,
        workers: int | None = None,
        resources: Mapping[str, Any] | None = None,
        placement: str | None = None,
    ) -> None:
        if not (isinstance(runnable_class, type) and issubclass(runnable_class, Runnable)):
            raise TypeError(f"Runner: {runnable_class!r} is not a dosirak.Runnable subclass")
        self.runnable_class = runnable_class
        self.name = name if name is not None else runnable_class.__name__.lower()
        if not _NAME.match(self.name):
            raise ValueError(
                f"Runner name {self.name!r} must be lowercase letters, digits, '_', '-' or '.'"
            )
        self.init_params = dict(init_params or {})
        self.max_batch_size = max_batch_size
        self.max_latency_ms = max_latency_ms
        self.method_configs = {k: dict(v) for k, v in (method_configs or {}).items()}
        self.batching_policy = batching_policy
        self.max_queue_items = max_queue_items
        self.workers = workers
        self.resources = dict(resources or {})
        if placement not in _PLACEMENTS:
            raise ValueError(
                f"runner {self.name!r}: placement must be one of "
                f"{', '.join(repr(p) for p in _PLACEMENTS)}, not {placement!r}"
            )
        self.placement = placement
        methods = runnable_class.runnable_methods()
        if not methods:
            raise TypeError(
                f"Runner {self.name!r}: {runnable_class.__name__} has no method marked "
                "with @dosirak.Runnable.method"
            )
        unknown = set(self.method_configs) - set(methods)
        if unknown:
            raise ValueError(
                f"runner {self.name!r}: method_configs names {sorted(unknown)}, which "
                f"{runnable_class.__name__} does not have; it has {sorted(methods)}"
            )
        self.methods = {n: RunnerMethod(self, n, c) for n, c in methods.items()}
        from dosirak.runtime._batching import batching_policy as make_policy

        for method in self.methods.values():  # an unknown policy name fails here, not later
            make_policy(method.batching_policy, method.max_batch_size, 1.0)
        from dosirak.runtime._resources import worker_environments

        if workers is not None and workers < 1:
            raise ValueError(f"runner {self.name!r}: workers must be at least 1, not {workers}")
        worker_environments(  # unknown or unsupported resources fail here, not at serve time
            self.resources, runnable_class.SUPPORTED_RESOURCES, 1, self.name
        )
        self._placement: _Placement = _InProcess(runnable_class, self.init_params)
        self._batchers: dict[str, Batcher] = {}
        self._batch_loop: asyncio.AbstractEventLoop | None = None

    def __getattr__(self, item: str) -> RunnerMethod:
        methods = self.__dict__.get("methods", {})
        if item in methods:
            return methods[item]  # type: ignore[no-any-return]
        raise AttributeError(
            f"runner {self.__dict__.get('name', '?')!r} has no method {item!r}; "
            f"it has {sorted(methods)}"
        )

    def _default_method(self) -> RunnerMethod:
        if "__call__" in self.methods:
            return self.methods["__call__"]
        if len(self.methods) == 1:
            return next(iter(self.methods.values()))
        raise AttributeError(
            f"runner {self.name!r} has several methods {sorted(self.methods)}; "
            "call one of them: runner.<method>.run(...)"
        )

    def _batcher(self, method: RunnerMethod) -> Batcher:
        """The batcher of ``method`` in the running event loop, made on first use."""
        loop = asyncio.get_running_loop()
        if self._batch_loop is not loop:
            self._batchers = {}
            self._batch_loop = loop
        batcher = self._batchers.get(method.name)
        if batcher is None:
            from dosirak.runtime._batcher import Batcher
            from dosirak.runtime._batching import batching_policy

            placement = self._placement
            name = method.name

            async def call(args: tuple[Any, ...]) -> Any:
                return await placement.async_call(name, args, {})

            batcher = Batcher(
                (self.name, name),
                call,
                batching_policy(
                    method.batching_policy, method.max_batch_size, method.max_latency_ms / 1000
                ),
                in_dim=method.in_dim,
                out_dim=method.out_dim,
                slots=getattr(placement, "slots", 1),
                max_queue_items=method.max_queue_items,
            )
            self._batchers[name] = batcher
        return batcher

    def run(self, *args: Any, **kwargs: Any) -> Any:
        return self._default_method().run(*args, **kwargs)

    async def async_run(self, *args: Any, **kwargs: Any) -> Any:
        return await self._default_method().async_run(*args, **kwargs)

    def init_local(self) -> None:
        """Create the runnable in this process now (tests, notebooks, server startup)."""
        self._placement.start()

    @property
    def ready(self) -> bool:
        """Whether calls can run now (in-process: always; workers: at least one alive)."""
        return getattr(self._placement, "ready", True)

    async def _start_serving(
        self, *, target: str | None, production: bool, ray: bool = False
    ) -> None:
        """Start for a server: on Ray (``placement="ray"``, or all with ``ray``), in worker
        processes (``workers``, or all with ``production``), else in this process."""
        on_ray = ray or self.placement == "ray"
        if self.workers is None and not production and not on_ray:
            await _method_threads.run(self.init_local)
            return
        from dosirak.runtime._resources import default_worker_count

        count = self.workers if self.workers is not None else default_worker_count(self)
        if target is None:
            where = "on Ray" if on_ray else "in worker processes"
            raise RuntimeError(
                f"runner {self.name!r} runs {where}, which import the service by its "
                "target: serve it with `dosirak serve service.py:svc`"
            )
        placement: RayActors | WorkerProcesses
        if on_ray:
            from dosirak.runtime._ray import RayActors

            placement = RayActors(self, target=target, count=count)
        else:
            from dosirak.runtime._workers import WorkerProcesses

            placement = WorkerProcesses(self, target=target, count=count)
        await placement.astart()
        self._placement = placement

    async def _stop_serving(self) -> None:
        """Finish queued work, then stop the workers (or drop the in-process runnable)."""
        await self.drain()
        self._placement.stop()
        self._placement = _InProcess(self.runnable_class, self.init_params)

    async def drain(self) -> None:
        """Finish every queued and running batch; new batched calls get 503 meanwhile."""
        batchers = list(self._batchers.values())
        await asyncio.gather(*(b.drain() for b in batchers))
        self._batchers = {}
        self._batch_loop = None

    def shutdown(self) -> None:
        self._placement.stop()

    def __repr__(self) -> str:
        return f"<Runner {self.name} ({self.runnable_class.__name__})>"
