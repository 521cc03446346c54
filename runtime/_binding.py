"""Code-first: a Service's API functions as the `Operations` the generated routes call."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ._inline import DEFAULT_INLINE_THRESHOLD_S, InlineJudge
from ._threads import ThreadPool
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
    pool = ThreadPool(threads, f"dosirak-{service.name}")
    missing = set(operation_names) - set(service.apis)
    if missing:
        raise LookupError(
            f"the generated server has operations {sorted(missing)} that service "
            f"{service.name!r} does not define; regenerate it"
        )
    bound = {
        operation_names[api.name]: _operation(api, pool, inline_threshold_s)
        for api in service.apis.values()
        if api.name in operation_names
    }
    return _Operations(bound)


def _operation(
    api: InferenceAPI,
    pool: ThreadPool,
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
                return await _primed(func(*args, **kwargs), pool)
            if api.is_async:
                return await func(*args, **kwargs)
            bound = functools.partial(func, *args, **kwargs)
            if judge.inline:  # proven cheap: no thread hop (see _inline.py)
                return judge.run_inline(bound)
            return await pool.run(judge.run_timed, bound)
        except ProblemError:
            raise  # the function said what was wrong with the input (dosirak.exceptions)
        except Exception:
            raise internal_error(where) from None

    call.__name__ = api.name
    return call


async def _primed(generator: Any, pool: ThreadPool) -> AsyncIterator[Any]:
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
    first = await pool.run(next, iterator, done)
    return _chain(() if first is done else (first,), _drawn(iterator, done, pool))


async def _drawn(iterator: Any, done: object, pool: ThreadPool) -> AsyncIterator[Any]:
    """The items of a sync iterator, each drawn in a thread of ``pool``."""
    while (item := await pool.run(next, iterator, done)) is not done:
        yield item


async def _chain(head: tuple[Any, ...], rest: AsyncIterator[Any]) -> AsyncIterator[Any]:
    for item in head:
        yield item
    async for item in rest:
        yield item
