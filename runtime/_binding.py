"""Code-first: a Service's API functions as the `Operations` the generated routes call."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from starlette.concurrency import iterate_in_threadpool

from ._inline import DEFAULT_INLINE_THRESHOLD_S, InlineJudge
from .context import Context
from .endpoint import internal_error
from .errors import ProblemError

if TYPE_CHECKING:
    from dosirak import InferenceAPI, Service

__all__ = ["DEFAULT_API_THREADS", "bind_service"]

#: Sync API functions run in a bounded pool of this many threads unless told otherwise.
DEFAULT_API_THREADS = 40

Operation = Callable[[Any, Context], Awaitable[Any]]


class _Operations:
    """Attribute per operation, as the generated ``Operations`` protocol names them."""

    def __init__(self, operations: Mapping[str, Operation]) -> None:
        self.__dict__.update(operations)


def bind_service(
    service: Service,
    operation_names: Mapping[str, str],
    *,
    threads: int = DEFAULT_API_THREADS,
    inline_threshold_s: float = DEFAULT_INLINE_THRESHOLD_S,
) -> Any:
    """An object with one coroutine per operation, calling the service's functions.

    Sync functions run in a pool of ``threads`` threads, or on the event loop once they
    have proven to take less than ``inline_threshold_s`` (0 turns that off).
    """
    limiter: list[anyio.CapacityLimiter] = []  # made on first use, inside the event loop

    def get_limiter() -> anyio.CapacityLimiter:
        if not limiter:
            limiter.append(anyio.CapacityLimiter(threads))
        return limiter[0]

    missing = set(operation_names) - set(service.apis)
    if missing:
        raise LookupError(
            f"the generated server has operations {sorted(missing)} that service "
            f"{service.name!r} does not define; regenerate it"
        )
    bound = {
        operation_names[api.name]: _operation(api, get_limiter, inline_threshold_s)
        for api in service.apis.values()
        if api.name in operation_names
    }
    return _Operations(bound)


def _operation(
    api: InferenceAPI,
    get_limiter: Callable[[], anyio.CapacityLimiter],
    inline_threshold_s: float,
) -> Operation:
    descriptor = api.input
    func = api.func
    context_param = api.context_param
    where = f"API {api.name!r}"
    judge = InlineJudge(inline_threshold_s)

    async def call(value: Any, context: Context) -> Any:
        args, kwargs = descriptor.call_arguments(descriptor.from_wire(value))
        if context_param:
            kwargs[context_param] = context
        try:
            if api.is_stream:
                return await _primed(func(*args, **kwargs), get_limiter())
            if api.is_async:
                return await func(*args, **kwargs)
            bound = functools.partial(func, *args, **kwargs)
            if judge.inline:  # proven cheap: no thread hop (see _inline.py)
                return judge.run_inline(bound)
            return await anyio.to_thread.run_sync(judge.run_timed, bound, limiter=get_limiter())
        except ProblemError:
            raise  # the function said what was wrong with the input (dosirak.exceptions)
        except Exception:
            raise internal_error(where) from None

    call.__name__ = api.name
    return call


async def _primed(generator: Any, limiter: anyio.CapacityLimiter) -> AsyncIterator[Any]:
    """The generator with its first item already drawn.

    A failure before the first item (invalid input, say) still gets a status line of its
    own, rather than an error event in a stream that already answered 200.
    """
    if isinstance(generator, AsyncIterator):
        try:
            first = await anext(generator)
        except StopAsyncIteration:
            return _chain((), generator)
        return _chain((first,), generator)
    iterator = iter(generator)
    done = object()
    first = await anyio.to_thread.run_sync(next, iterator, done, limiter=limiter)
    rest = iterate_in_threadpool(iterator)
    return _chain(() if first is done else (first,), rest)


async def _chain(head: tuple[Any, ...], rest: AsyncIterator[Any]) -> AsyncIterator[Any]:
    for item in head:
        yield item
    async for item in rest:
        yield item
