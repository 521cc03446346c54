"""The asyncio batching layer and the runner's use of it, without a server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
import pytest
from dosirak.runtime._batcher import Batcher
from dosirak.runtime._batching import GreedyPolicy, batching_policy
from dosirak.runtime.errors import GatewayTimeout, ServiceUnavailable

import dosirak


class _Recorder:
    """A batch call that records the batch sizes it saw and doubles its input."""

    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.sizes: list[int] = []
        self.shapes: list[tuple[int, ...]] = []
        self.delay = delay
        self.fail = fail

    async def __call__(self, args: tuple[Any, ...]) -> Any:
        self.sizes.append(len(args[0]))
        self.shapes.append(args[0].shape)
        await asyncio.sleep(self.delay)
        if self.fail:
            raise ValueError("model failed")
        return args[0] * 2


def _batcher(call: _Recorder, size: int = 8, **kwargs: Any) -> Batcher:
    return Batcher(("model", "predict"), call, GreedyPolicy(size, 1.0), **kwargs)


def test_concurrent_requests_share_batches_and_get_their_own_rows() -> None:
    async def main() -> None:
        call = _Recorder(delay=0.01)
        batcher = _batcher(call)
        inputs = [np.full((1, 2), i, dtype=float) for i in range(20)]
        results = await asyncio.gather(*(batcher.submit((x,)) for x in inputs))
        for x, y in zip(inputs, results, strict=True):
            np.testing.assert_array_equal(y, x * 2)
        assert sum(call.sizes) == 20
        assert max(call.sizes) == 8  # counted in items, never above max_batch_size
        assert len(call.sizes) < 20
        await batcher.drain()

    asyncio.run(main())


def test_arrivals_in_one_pass_of_the_loop_make_one_decision() -> None:
    queue_lengths: list[int] = []

    class Counting(GreedyPolicy):
        def decide(self, now: float, queue: Any, idle_slots: int) -> Any:
            queue_lengths.append(len(queue))
            return super().decide(now, queue, idle_slots)

    call = _Recorder()

    async def main() -> None:
        batcher = Batcher(("model", "predict"), call, Counting(8, 1.0))
        await asyncio.gather(*(batcher.submit((np.ones((1, 1)),)) for _ in range(5)))
        await batcher.drain()

    asyncio.run(main())
    assert queue_lengths == [5]  # the five submits queued before the one decision
    assert call.sizes == [5]


def test_requests_that_cannot_be_joined_wait_for_a_batch_of_their_kind_in_order() -> None:
    call = _Recorder(delay=0.01)

    async def main() -> list[Any]:
        batcher = _batcher(call)
        deadline = time.monotonic() + 5
        first = asyncio.ensure_future(batcher.submit((np.ones((1, 3)),), deadline))
        await asyncio.sleep(0.001)  # the first batch runs; the rest queue behind it
        inputs = [
            np.ones((2, 4)),
            np.ones((1, 4)),
            np.ones((1, 5)),  # another width
            np.ones((1, 4), dtype=np.float32),  # another dtype
            np.ones((1, 4)),
        ]
        queued = [batcher.submit((x,), deadline) for x in inputs]
        results = await asyncio.gather(first, *queued)
        await batcher.drain()
        return [r.tolist() for r in results]

    started = time.monotonic()
    results = asyncio.run(main())
    assert time.monotonic() - started < 2  # nobody waited for a deadline
    assert results == [
        [[2.0] * 3],
        [[2.0] * 4] * 2,
        [[2.0] * 4],
        [[2.0] * 5],
        [[2.0] * 4],
        [[2.0] * 4],
    ]
    # each batch: the first request queued and those after it that can join it, in order
    assert call.shapes == [(1, 3), (4, 4), (1, 5), (1, 4)]


def test_a_request_split_around_one_that_cannot_join_is_put_back_together() -> None:
    call = _Recorder(delay=0.01)

    large = np.arange(40.0).reshape(10, 4)

    async def main() -> list[Any]:
        batcher = _batcher(call)
        deadline = time.monotonic() + 5
        first = asyncio.ensure_future(batcher.submit((np.ones((1, 3)),), deadline))
        await asyncio.sleep(0.001)
        inputs = [np.ones((1, 4)), np.ones((1, 5)), large]
        results = await asyncio.gather(first, *(batcher.submit((x,), deadline) for x in inputs))
        assert batcher.queued_items == 0
        await batcher.drain()
        return results

    results = asyncio.run(main())
    # 1 row of width 4 and 7 of the 10 (the width-5 request skipped), the width-5 one,
    # then the large request's last 3 rows
    assert call.shapes == [(1, 3), (8, 4), (1, 5), (3, 4)]
    np.testing.assert_array_equal(results[3], large * 2)
    assert results[2].tolist() == [[2.0] * 5]


def test_inputs_that_fail_to_join_fail_their_callers_and_the_batcher_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dosirak.runtime import _batch_data

    joined = _batch_data.concat

    def concat(values: Any, dim: int) -> Any:
        if any(value.shape[0] == 3 for value in values):
            raise ValueError("cannot join these")
        return joined(values, dim)

    monkeypatch.setattr(_batch_data, "concat", concat)

    async def main() -> list[Any]:
        batcher = _batcher(_Recorder(delay=0.01))
        deadline = time.monotonic() + 5
        first = asyncio.ensure_future(batcher.submit((np.ones((1, 2)),), deadline))
        await asyncio.sleep(0.001)
        failing = [batcher.submit((np.ones((n, 2)),), deadline) for n in (3, 1)]
        results = await asyncio.gather(first, *failing, return_exceptions=True)
        results.append(await batcher.submit((np.ones((2, 2)),), deadline))
        await batcher.drain()
        return results

    first, three, one, later = asyncio.run(main())
    assert first.tolist() == [[2.0, 2.0]]
    assert isinstance(three, ValueError) and isinstance(one, ValueError)  # one failed batch
    assert later.tolist() == [[2.0, 2.0]] * 2


def test_large_request_is_split_across_batches_and_reassembled_in_order() -> None:
    async def main() -> None:
        call = _Recorder()
        batcher = _batcher(call, size=4)
        x = np.arange(10, dtype=float).reshape(10, 1)
        y = await batcher.submit((x,))
        np.testing.assert_array_equal(y, x * 2)
        assert call.sizes == [4, 4, 2]
        await batcher.drain()

    asyncio.run(main())


def test_fifo_order_of_dispatch() -> None:
    async def main() -> None:
        seen: list[float] = []

        async def call(args: tuple[Any, ...]) -> Any:
            seen.extend(args[0][:, 0].tolist())
            await asyncio.sleep(0.005)
            return args[0]

        batcher = Batcher(("m", "p"), call, GreedyPolicy(3, 1.0))
        tasks = []
        for i in range(9):
            tasks.append(asyncio.ensure_future(batcher.submit((np.array([[float(i)]]),))))
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        assert seen == [float(i) for i in range(9)]
        await batcher.drain()

    asyncio.run(main())


def test_a_failing_batch_fails_each_of_its_callers_and_the_batcher_goes_on() -> None:
    async def main() -> None:
        call = _Recorder(fail=True)
        batcher = _batcher(call)
        results = await asyncio.gather(
            *(batcher.submit((np.ones((1, 1)),)) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(r, ValueError) for r in results)
        call.fail = False
        np.testing.assert_array_equal(await batcher.submit((np.ones((1, 1)),)), [[2.0]])
        await batcher.drain()

    asyncio.run(main())


def test_a_failing_policy_fails_the_queued_callers_at_once() -> None:
    class Broken(GreedyPolicy):
        broken = True

        def decide(self, now: float, queue: Any, idle_slots: int) -> Any:
            if self.broken:
                raise ZeroDivisionError("a bug in the policy")
            return super().decide(now, queue, idle_slots)

    policy = Broken(8, 1.0)

    async def main() -> list[Any]:
        batcher = Batcher(("model", "predict"), _Recorder(), policy)
        deadline = time.monotonic() + 30
        results = await asyncio.gather(
            *(batcher.submit((np.ones((1, 1)),), deadline) for _ in range(3)),
            return_exceptions=True,
        )
        policy.broken = False
        results.append(await batcher.submit((np.ones((1, 1)),), deadline))
        await batcher.drain()
        return results

    started = time.monotonic()
    *failed, answered = asyncio.run(main())
    assert time.monotonic() - started < 5  # not left to the deadline
    assert [type(r) for r in failed] == [ZeroDivisionError] * 3
    assert answered.tolist() == [[2.0]]


def test_full_queue_answers_503_with_retry_after() -> None:
    async def main() -> None:
        call = _Recorder(delay=0.05)
        batcher = _batcher(call, size=2, max_queue_items=4)
        first = [asyncio.ensure_future(batcher.submit((np.ones((1, 1)),))) for _ in range(2)]
        await asyncio.sleep(0.01)  # a batch of 2 runs
        first += [asyncio.ensure_future(batcher.submit((np.ones((1, 1)),))) for _ in range(4)]
        await asyncio.sleep(0.01)  # 4 items wait: the queue is full
        with pytest.raises(ServiceUnavailable) as info:
            await batcher.submit((np.ones((1, 1)),))
        assert int(info.value.headers["Retry-After"]) >= 1
        assert "its limit is 4" in info.value.detail
        assert len(await asyncio.gather(*first)) == 6  # accepted requests all answered
        await batcher.drain()

    asyncio.run(main())


def test_passed_deadline_answers_504_and_frees_the_queue() -> None:
    async def main() -> None:
        call = _Recorder(delay=0.1)
        batcher = _batcher(call, size=1)
        running = asyncio.ensure_future(batcher.submit((np.ones((1, 1)),)))
        await asyncio.sleep(0.01)
        with pytest.raises(GatewayTimeout):
            await batcher.submit((np.ones((1, 1)),), deadline=time.monotonic() + 0.02)
        assert batcher.queued_items == 0  # the late request left the queue
        np.testing.assert_array_equal(await running, [[2.0]])  # still within its deadline
        assert call.sizes == [1]
        with pytest.raises(GatewayTimeout):
            await batcher.submit((np.ones((1, 1)),), deadline=time.monotonic() - 1)
        await batcher.drain()

    asyncio.run(main())


def test_drain_finishes_queued_work_then_refuses() -> None:
    async def main() -> None:
        call = _Recorder(delay=0.01)
        batcher = _batcher(call, size=2)
        tasks = [asyncio.ensure_future(batcher.submit((np.ones((1, 1)),))) for _ in range(7)]
        await asyncio.sleep(0)
        await batcher.drain()
        assert all(t.done() and not t.exception() for t in tasks)
        with pytest.raises(ServiceUnavailable, match="shutting down"):
            await batcher.submit((np.ones((1, 1)),))

    asyncio.run(main())


def test_mismatched_argument_batch_sizes_are_refused() -> None:
    async def main() -> None:
        batcher = _batcher(_Recorder())
        with pytest.raises(TypeError, match="different batch sizes"):
            await batcher.submit((np.ones((2, 1)), np.ones((3, 1))))
        await batcher.drain()

    asyncio.run(main())


class _Doubler(dosirak.Runnable):
    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.shapes: list[tuple[int, ...]] = []

    @dosirak.Runnable.method(batchable=True, batch_dim=(0, 1))
    def predict(self, x: np.ndarray) -> np.ndarray:
        self.sizes.append(len(x))
        time.sleep(0.005)
        return np.asarray(x * 2).T  # batch along axis 1 on the way out

    @dosirak.Runnable.method
    def describe(self, prefix: str = "") -> str:
        return prefix + "doubler"


def test_runner_batches_async_calls_along_its_declared_dims() -> None:
    runner = dosirak.Runner(_Doubler, name="doubler", max_batch_size=16, max_latency_ms=50)
    runner.init_local()

    async def main() -> list[Any]:
        xs = [np.full((2, 3), i, dtype=float) for i in range(10)]
        out = await asyncio.gather(*(runner.predict.async_run(x) for x in xs))
        await runner.drain()
        return [(x, y) for x, y in zip(xs, out, strict=True)]

    for x, y in asyncio.run(main()):
        np.testing.assert_array_equal(y, (x * 2).T)
    instance = runner._placement._instance  # type: ignore[attr-defined]
    assert sum(instance.sizes) == 20
    assert max(instance.sizes) > 2  # requests really shared batches
    # outside a server, the sync call runs directly; non-batchable methods take kwargs
    np.testing.assert_array_equal(runner.predict.run(np.ones((1, 3))), 2 * np.ones((3, 1)))
    assert runner.describe.run(prefix="a ") == "a doubler"
    runner.shutdown()


def test_runner_checks_its_batching_configuration() -> None:
    with pytest.raises(ValueError, match="unknown batching policy"):
        dosirak.Runner(_Doubler, name="doubler", batching_policy="nope")
    with pytest.raises(ValueError, match="does not have"):
        dosirak.Runner(_Doubler, name="doubler", method_configs={"missing": {"max_batch_size": 2}})
    with pytest.raises(ValueError, match="unknown keys"):
        dosirak.Runner(_Doubler, name="doubler", method_configs={"predict": {"max_size": 2}})
    runner = dosirak.Runner(
        _Doubler,
        name="doubler",
        max_batch_size=32,
        method_configs={"predict": {"max_latency_ms": 5, "batching_policy": "greedy"}},
    )
    assert runner.predict.max_batch_size == 32
    assert runner.predict.max_latency_ms == 5
    assert runner.predict.batching
    assert not runner.describe.batching
    assert batching_policy(runner.predict.batching_policy, 2, 0.1).max_batch_size == 2


def test_a_lone_request_gets_its_result_whatever_its_length() -> None:
    async def main() -> None:
        async def call(args: tuple[Any, ...]) -> Any:
            return np.zeros(0)  # fewer rows than given, as a model may for odd input

        batcher = Batcher(("m", "p"), call, GreedyPolicy(8, 1.0))
        assert (await batcher.submit((np.ones((1, 1, 0)),))).shape == (0,)
        # shared with others, a wrong length cannot be split: each caller gets the error
        results = await asyncio.gather(
            *(batcher.submit((np.ones((1, 2)),)) for _ in range(3)), return_exceptions=True
        )
        assert any(isinstance(r, TypeError) and "returned 0" in str(r) for r in results)
        await batcher.drain()

    asyncio.run(main())


def test_a_queue_that_cannot_drain_before_the_deadline_answers_503_at_once() -> None:
    async def main() -> None:
        call = _Recorder(delay=0.05)
        batcher = _batcher(call, size=1)
        await batcher.submit((np.ones((1, 1)),))  # the cost model learns: 50 ms a batch
        first = [asyncio.ensure_future(batcher.submit((np.ones((1, 1)),))) for _ in range(4)]
        await asyncio.sleep(0.01)  # one runs, three wait: about 150 ms of work queued
        began = time.monotonic()
        with pytest.raises(ServiceUnavailable, match="past the deadline") as info:
            await batcher.submit((np.ones((1, 1)),), deadline=time.monotonic() + 0.1)
        assert time.monotonic() - began < 0.05  # refused at the door, not after waiting
        assert info.value.headers["Retry-After"] == "1"
        # with time enough, the same request is queued and answered
        await batcher.submit((np.ones((1, 1)),), deadline=time.monotonic() + 5)
        await asyncio.gather(*first)
        await batcher.drain()

    asyncio.run(main())


def test_a_failed_split_request_leaves_the_queue_and_others_are_still_served() -> None:
    async def main() -> None:
        calls: list[int] = []

        async def call(args: tuple[Any, ...]) -> Any:
            calls.append(len(args[0]))
            await asyncio.sleep(0.005)
            if len(calls) == 1:
                raise ValueError("model failed")
            return args[0] * 2

        batcher = Batcher(("m", "p"), call, GreedyPolicy(2, 1.0))
        big = asyncio.ensure_future(batcher.submit((np.ones((3, 1)),)))
        await asyncio.sleep(0)
        small = asyncio.ensure_future(batcher.submit((np.full((1, 1), 5.0),)))
        with pytest.raises(ValueError, match="model failed"):
            await big  # its first two rows failed: its third is not run for nothing
        np.testing.assert_array_equal(await small, [[10.0]])
        assert calls == [2, 1]
        await batcher.drain()

    asyncio.run(main())


def test_answered_requests_leave_nothing_of_theirs_behind() -> None:
    import gc
    import weakref

    async def main() -> None:
        batcher = _batcher(_Recorder())
        refs = []
        for _ in range(5):
            x = np.ones((2, 1000))
            refs.append(weakref.ref(x))
            y = await batcher.submit((x,), deadline=time.monotonic() + 60)
            refs.append(weakref.ref(y))
            del x, y
        await asyncio.sleep(0)  # the loop's handle that woke this task held the last result
        gc.collect()
        # the batcher is alive (and its deadline timer armed): it holds no inputs or results
        assert [r() for r in refs] == [None] * len(refs)
        await batcher.drain()

    asyncio.run(main())


def test_the_policy_sees_the_queue_and_its_totals_as_requests_come_and_go() -> None:
    seen: list[tuple[int, int, float]] = []

    class Watching(GreedyPolicy):
        def decide(self, now: float, queue: Any, idle_slots: int) -> Any:
            deadlines = [p.deadline for p in queue]
            assert queue.items == sum(p.size for p in queue)
            assert queue.earliest_deadline == min(deadlines, default=float("inf"))
            seen.append((len(queue), queue.items, queue.earliest_deadline))
            return super().decide(now, queue, idle_slots)

    async def main() -> float:
        call = _Recorder(delay=0.02)
        batcher = Batcher(("model", "predict"), call, Watching(4, 1.0))
        now = time.monotonic()
        first = asyncio.ensure_future(batcher.submit((np.ones((1, 1)),), now + 50))
        await asyncio.sleep(0.005)  # the first batch runs; the others queue behind it
        queued = [
            asyncio.ensure_future(batcher.submit((np.ones((size, 1)),), now + deadline))
            for size, deadline in ((1, 30), (2, 40), (3, 70), (2, 45))
        ]
        await asyncio.sleep(0.001)
        queued[0].cancel()  # the earliest deadline leaves the queue before any decision
        results = await asyncio.gather(first, *queued, return_exceptions=True)
        assert isinstance(results[1], asyncio.CancelledError)
        assert call.sizes == [1, 4, 3]  # 2 + 2 of 3, then 1 of 3 + 2
        await batcher.drain()
        return now

    now = asyncio.run(main())
    # after the batch took the head (deadline 40), the earliest left is 45
    assert [(n, items, round(at - now)) for n, items, at in seen] == [
        (1, 1, 50),
        (3, 7, 40),
        (2, 3, 45),
    ]
