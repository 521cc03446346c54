"""Thread pools for blocking calls, and calls from their threads back into the loop."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time

import pytest
from dosirak.runtime._threads import NotAServerThread, ThreadPool, call_in_loop
from starlette.concurrency import run_in_threadpool

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


def test_a_call_runs_in_a_thread_of_the_pool_with_the_callers_context() -> None:
    pool = ThreadPool(2, "test-pool")

    def where() -> tuple[str, str]:
        return threading.current_thread().name, request_id.get()

    async def main() -> tuple[str, str]:
        request_id.set("r-1")
        return await pool.run(where)

    name, seen = asyncio.run(main())
    assert name.startswith("test-pool")
    assert seen == "r-1"


def test_at_most_size_calls_run_at_once() -> None:
    pool = ThreadPool(3, "test-bounded")
    running = 0
    most = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1

    async def main() -> None:
        await asyncio.gather(*(pool.run(work) for _ in range(12)))

    asyncio.run(main())
    assert most == 3


def test_a_pool_thread_calls_back_into_its_loop() -> None:
    pool = ThreadPool(1, "test-back")

    async def on_loop(value: int) -> tuple[int, bool]:
        return value * 2, threading.current_thread() is threading.main_thread()

    async def main() -> tuple[int, bool]:
        return await pool.run(call_in_loop, on_loop, 21)

    assert asyncio.run(main()) == (42, True)


def test_a_thread_anyio_started_calls_back_into_its_loop_too() -> None:
    async def on_loop() -> str:
        return "from the loop"

    async def main() -> str:
        return await run_in_threadpool(call_in_loop, on_loop)

    assert asyncio.run(main()) == "from the loop"


def test_a_timeout_raised_by_the_call_reaches_the_thread() -> None:
    pool = ThreadPool(1, "test-timeout")

    async def times_out() -> None:
        raise TimeoutError("the call's own")

    def waits() -> str:
        try:
            call_in_loop(times_out)
        except TimeoutError as exc:
            return str(exc)
        return "no error"

    async def main() -> str:
        return await pool.run(waits)

    assert asyncio.run(asyncio.wait_for(main(), timeout=10)) == "the call's own"


def test_other_threads_work_for_no_loop() -> None:
    async def never() -> None:  # pragma: no cover - not run
        raise AssertionError

    with pytest.raises(NotAServerThread):
        call_in_loop(never)


def test_a_failure_in_the_thread_reaches_the_caller() -> None:
    pool = ThreadPool(1, "test-fail")

    def fail() -> None:
        raise KeyError("missing")

    async def main() -> None:
        await pool.run(fail)

    with pytest.raises(KeyError, match="missing"):
        asyncio.run(main())


def test_a_pool_needs_a_thread() -> None:
    with pytest.raises(ValueError, match="at least one thread"):
        ThreadPool(0, "empty")


def test_a_thread_waiting_for_a_loop_that_stopped_is_let_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("dosirak.runtime._threads._LOOK_AT_THE_LOOP_S", 0.05)
    pool = ThreadPool(1, "test-stopped")
    outcome: list[BaseException] = []
    entered = threading.Event()

    async def forever() -> None:
        await asyncio.Event().wait()

    def waits() -> None:
        entered.set()
        try:
            call_in_loop(forever)
        except RuntimeError as exc:
            outcome.append(exc)

    loop = asyncio.new_event_loop()
    tasks: list[asyncio.Task[None]] = []

    async def main() -> None:
        tasks.append(loop.create_task(pool.run(waits)))
        await asyncio.to_thread(entered.wait)
        await asyncio.sleep(0.05)  # the call is on the loop now; stop the loop under it

    loop.run_until_complete(main())
    deadline = time.monotonic() + 5
    while not outcome and time.monotonic() < deadline:
        time.sleep(0.02)
    for task in asyncio.all_tasks(loop):  # left pending by the stop, on purpose
        task.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
    assert [str(exc) for exc in outcome] == ["the event loop stopped before answering"]
