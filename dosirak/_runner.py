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
import inspect
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar, overload

import anyio.from_thread
import anyio.to_thread

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
    """Where a runner's methods execute; in-process today, worker processes later."""

    def start(self) -> None: ...

    def call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any: ...

    async def async_call(
        self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any: ...

    def stop(self) -> None: ...


class _InProcess:
    """Runs the runnable in this process, created once on first use or at startup."""

    def __init__(self, runnable_class: type[Runnable], init_params: Mapping[str, Any]) -> None:
        self._class = runnable_class
        self._params = dict(init_params)
        self._instance: Runnable | None = None
        self._lock = threading.Lock()
        # Bound methods and whether each is a coroutine function, looked up once per start
        # rather than on every call.
        self._methods: dict[str, tuple[Callable[..., Any], bool]] = {}

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
            try:
                return anyio.from_thread.run(lambda: fn(*args, **kwargs))
            except RuntimeError:  # not in a worker thread of a running loop
                return asyncio.run(fn(*args, **kwargs))
        return fn(*args, **kwargs)

    async def async_call(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        fn, is_coroutine = self._bound(method)
        if is_coroutine:
            return await fn(*args, **kwargs)
        return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs))

    def stop(self) -> None:
        self._instance = None
        self._methods = {}


class RunnerMethod:
    """One method of a runner: ``run`` blocks, ``async_run`` awaits."""

    def __init__(self, runner: Runner, name: str, config: RunnableMethodConfig) -> None:
        self.runner = runner
        self.name = name
        self.config = config

    def run(self, *args: Any, **kwargs: Any) -> Any:
        return self.runner._placement.call(self.name, args, kwargs)

    async def async_run(self, *args: Any, **kwargs: Any) -> Any:
        return await self.runner._placement.async_call(self.name, args, kwargs)

    def __repr__(self) -> str:
        return f"<RunnerMethod {self.runner.name}.{self.name}>"


class Runner:
    """A runnable class bound to its parameters and its placement.

    ``runner.<method>.run(...)`` and ``await runner.<method>.async_run(...)`` call the
    methods marked with `Runnable.method`; ``runner.run(...)`` calls ``__call__`` or
    the only method there is.
    """

    def __init__(
        self,
        runnable_class: type[Runnable],
        *,
        name: str | None = None,
        init_params: Mapping[str, Any] | None = None,
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
        methods = runnable_class.runnable_methods()
        if not methods:
            raise TypeError(
                f"Runner {self.name!r}: {runnable_class.__name__} has no method marked "
                "with @dosirak.Runnable.method"
            )
        self.methods = {n: RunnerMethod(self, n, c) for n, c in methods.items()}
        self._placement: _Placement = _InProcess(runnable_class, self.init_params)

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

    def run(self, *args: Any, **kwargs: Any) -> Any:
        return self._default_method().run(*args, **kwargs)

    async def async_run(self, *args: Any, **kwargs: Any) -> Any:
        return await self._default_method().async_run(*args, **kwargs)

    def init_local(self) -> None:
        """Create the runnable in this process now (tests, notebooks, server startup)."""
        self._placement.start()

    def shutdown(self) -> None:
        self._placement.stop()

    def __repr__(self) -> str:
        return f"<Runner {self.name} ({self.runnable_class.__name__})>"
