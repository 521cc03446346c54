"""The batching policy as pure decisions: FIFO, item counting, splitting, deadlines."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from dosirak.runtime._batching import (
    AdaptivePolicy,
    CostModel,
    Dispatch,
    GreedyPolicy,
    Pending,
    PendingQueue,
    Wait,
    batching_policy,
    plan_batch,
    register_batching_policy,
)


def test_plan_takes_whole_requests_in_arrival_order() -> None:
    assert plan_batch([2, 3, 4], 9) == [(0, 2), (1, 3), (2, 4)]
    assert plan_batch([2, 3, 4], 5) == [(0, 2), (1, 3)]


def test_plan_splits_the_request_that_does_not_fit() -> None:
    assert plan_batch([3, 5, 2], 6) == [(0, 3), (1, 3)]
    # a request larger than a whole batch is cut across several batches
    assert plan_batch([250], 100) == [(0, 100)]
    assert plan_batch([150], 100) == [(0, 100)]


def test_plan_reads_the_queue_only_as_far_as_the_batch_reaches() -> None:
    read: list[int] = []

    def sizes() -> Iterator[int]:
        for size in [2, 3, 4] * 1000:
            read.append(size)
            yield size

    assert plan_batch(sizes(), 5) == [(0, 2), (1, 3)]
    assert read == [2, 3]


def test_plan_counts_items_not_requests() -> None:
    plan = plan_batch([1] * 10, 4)
    assert plan == [(0, 1), (1, 1), (2, 1), (3, 1)]
    assert sum(count for _, count in plan) == 4


def test_cost_model_fits_fixed_and_per_item_cost() -> None:
    model = CostModel(alpha=0.0)
    for items in (1, 2, 4, 8, 16, 32):
        model.observe(items, 0.010 + 0.001 * items)
    fixed, per_item = model.coefficients
    assert fixed == pytest.approx(0.010, rel=1e-6)
    assert per_item == pytest.approx(0.001, rel=1e-6)
    assert model.predict(64) == pytest.approx(0.074, rel=1e-6)


def test_cost_model_with_one_batch_size_takes_the_mean_as_fixed() -> None:
    model = CostModel()
    model.observe(8, 0.02)
    model.observe(8, 0.02)
    assert model.coefficients == pytest.approx((0.02, 0.0))


def test_cost_model_forgets_old_batches() -> None:
    model = CostModel(alpha=0.5)
    for _ in range(20):
        model.observe(4, 0.100)
    for _ in range(20):
        model.observe(4, 0.010)
    assert model.predict(4) == pytest.approx(0.010, rel=1e-3)


def test_nothing_to_do_without_a_queue_or_a_free_slot() -> None:
    policy = AdaptivePolicy(max_batch_size=8)
    assert policy.decide(0.0, [], idle_slots=1) == Wait()
    assert policy.decide(0.0, [Pending(3, 0.0)], idle_slots=0) == Wait()


def test_full_batch_leaves_at_once_and_counts_at_most_max_items() -> None:
    policy = AdaptivePolicy(max_batch_size=8)
    policy.observe(8, 0.01)
    queue = [Pending(5, 0.0), Pending(5, 0.0)]
    assert policy.decide(0.0, queue, idle_slots=1) == Dispatch(8)


def test_first_request_goes_at_once_before_anything_is_measured() -> None:
    policy = AdaptivePolicy(max_batch_size=8)
    policy.on_arrival(0.0, 1)
    assert policy.decide(0.0, [Pending(1, 0.0)], idle_slots=1) == Dispatch(1)


def _busy_policy() -> AdaptivePolicy:
    """A policy that has seen 10 ms batches and 1000 items/s arriving."""
    policy = AdaptivePolicy(max_batch_size=64, max_latency_s=0.5)
    for _ in range(10):
        policy.observe(10, 0.010)
    for i in range(500):
        policy.on_arrival(i / 1000, 1)
    return policy


def test_waits_when_more_items_are_expected_during_one_batch() -> None:
    policy = _busy_policy()
    now = 0.5
    # about 1000 items/s x 10 ms = 10 items expected while a batch runs; 2 are queued
    decision = policy.decide(now, [Pending(1, now), Pending(1, now)], idle_slots=1)
    assert isinstance(decision, Wait)
    assert decision.until is not None
    assert now < decision.until <= now + 0.010


def test_dispatches_when_waiting_cannot_fill_the_batch_further() -> None:
    policy = _busy_policy()
    now = 0.5
    queue = [Pending(1, now) for _ in range(20)]
    assert policy.decide(now, queue, idle_slots=1) == Dispatch(20)


def test_never_waits_past_the_latency_budget() -> None:
    policy = _busy_policy()
    # the oldest request arrived 495 ms ago; with a 500 ms budget and 10 ms batches it must go
    now = 0.5
    assert policy.decide(now, [Pending(1, now - 0.495)], idle_slots=1) == Dispatch(1)


def test_never_waits_past_a_request_deadline() -> None:
    policy = _busy_policy()
    now = 0.5
    queue = [Pending(1, now, deadline=now + 0.011), Pending(1, now)]
    decision = policy.decide(now, queue, idle_slots=1)
    assert isinstance(decision, Wait)
    assert decision.until is not None
    assert decision.until <= now + 0.011 - 0.010 + 1e-9
    assert policy.decide(now + 0.002, queue, idle_slots=1) == Dispatch(2)


def _closed_loop_policy() -> AdaptivePolicy:
    """A policy whose last batch (4 items, 10 ms) was answered at t=1.0 after arrivals
    10 µs apart: its 4 callers are expected back soon."""
    policy = AdaptivePolicy(max_batch_size=64, max_latency_s=0.5)
    for i in range(8):
        policy.on_arrival(0.99 + i * 1e-5, 1)
    policy.observe(4, 0.010)
    return policy


def test_dispatches_as_soon_as_the_last_batch_has_come_back() -> None:
    policy = _closed_loop_policy()
    queue: list[Pending] = []
    for i in range(4):
        now = 1.0 + i * 1e-5
        policy.on_arrival(now, 1)
        queue.append(Pending(1, now))
        decision = policy.decide(now, queue, idle_slots=1)
        if i < 3:  # callers of the last batch still to come: wait for them
            assert isinstance(decision, Wait)
        else:  # the last of them is back: waiting on would only idle the model
            assert decision == Dispatch(4)


def test_an_arrival_after_the_returns_is_judged_by_the_arrival_rate_again() -> None:
    policy = _closed_loop_policy()
    queue: list[Pending] = []
    for i in range(5):  # the 4 returns, then one more caller at the same pace
        now = 1.0 + i * 1e-5
        policy.on_arrival(now, 1)
        queue.append(Pending(1, now))
    decision = policy.decide(now, queue, idle_slots=1)
    assert isinstance(decision, Wait)  # arrivals keep coming: more are expected


def test_idle_arrivals_fade_so_a_lone_request_is_not_held() -> None:
    policy = _busy_policy()
    later = 10.0  # the burst ended long ago: nothing more is expected
    assert policy.decide(later, [Pending(1, later)], idle_slots=1) == Dispatch(1)


def test_greedy_policy_dispatches_whatever_is_queued() -> None:
    policy = GreedyPolicy(max_batch_size=4)
    assert policy.decide(0.0, [Pending(3, 0.0), Pending(3, 0.0)], idle_slots=1) == Dispatch(4)


def test_policies_are_chosen_by_name_and_pluggable() -> None:
    assert isinstance(batching_policy("adaptive", 8, 0.1), AdaptivePolicy)
    assert isinstance(batching_policy("greedy", 8, 0.1), GreedyPolicy)
    with pytest.raises(ValueError, match="unknown batching policy 'nope'"):
        batching_policy("nope", 8, 0.1)
    register_batching_policy("test-greedy", lambda size, latency: GreedyPolicy(size, latency))
    policy = batching_policy("test-greedy", 3, 0.1)
    assert policy.max_batch_size == 3


def test_policy_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="max_batch_size"):
        AdaptivePolicy(max_batch_size=0)
    with pytest.raises(ValueError, match="max_latency_ms"):
        AdaptivePolicy(max_batch_size=4, max_latency_s=0)
    assert math.isinf(Pending(1, 0.0).deadline)


def test_arrival_rate_follows_bursts_at_the_scale_of_one_batch() -> None:
    # 10 ms batches: a burst of 30 items in 3 ms after a quiet 100 ms is a high rate now,
    # worth waiting for, although the long-run average is low.
    policy = AdaptivePolicy(max_batch_size=64, max_latency_s=1.0)
    for _ in range(5):
        policy.observe(64, 0.010)
    for i in range(30):
        policy.on_arrival(1.0 + i * 0.0001, 1)
    now = 1.003
    queue = [Pending(1, now) for _ in range(30)]
    decision = policy.decide(now, queue, idle_slots=1)
    assert isinstance(decision, Wait) and decision.until is not None
    # and once the burst is over, the queued items go without waiting out the budget
    assert policy.decide(now + 0.05, queue, idle_slots=1) == Dispatch(30)


def test_never_waits_longer_than_one_batch_takes() -> None:
    policy = AdaptivePolicy(max_batch_size=64, max_latency_s=1.0)
    policy.observe(8, 0.010)
    for i in range(100):  # a steady stream, 10 000 items/s: always more to wait for
        policy.on_arrival(i * 0.0001, 1)
    queue = [Pending(1, 0.0)]
    decision = policy.decide(0.0099, queue, idle_slots=1)
    assert isinstance(decision, Wait) and decision.until is not None
    assert decision.until <= 0.010 + 1e-9
    assert policy.decide(0.0101, queue, idle_slots=1) == Dispatch(1)


def _after_a_batch(gap_s: float, batch: int) -> tuple[AdaptivePolicy, list[Pending], float]:
    """A policy whose last batch of ``batch`` items (10 ms) just finished; ``batch`` other
    items queued meanwhile, ``gap_s`` apart, 5 ms ago and earlier."""
    policy = AdaptivePolicy(max_batch_size=128, max_latency_s=1.0)
    for _ in range(5):
        policy.observe(batch, 0.010)
    start = 1.0 - 0.005 - batch * gap_s
    queue = []
    for i in range(batch):
        policy.on_arrival(start + i * gap_s, 1)
        queue.append(Pending(1, start + i * gap_s))
    policy.observe(batch, 0.010)  # the batch that just finished
    return policy, queue, 1.0


def test_waits_for_the_callers_of_the_last_batch_to_come_back() -> None:
    # Two groups taking turns would run 32-item batches; waiting ~3 ms for the 32
    # callers just answered makes one 64-item batch (10 ms) instead of two.
    policy, queue, now = _after_a_batch(gap_s=0.0001, batch=32)
    decision = policy.decide(now, queue, idle_slots=1)
    assert isinstance(decision, Wait) and decision.until is not None
    assert now < decision.until <= now + 0.002
    for i in range(32):  # they come back, 0.1 ms apart, after a 0.3 ms round trip
        arrived = now + 0.0003 + i * 0.0001
        policy.on_arrival(arrived, 1)
        queue.append(Pending(1, arrived))
        if i < 31:
            assert isinstance(policy.decide(arrived, queue, idle_slots=1), Wait)
    assert policy.decide(now + 0.0034, queue, idle_slots=1) == Dispatch(64)


def test_gives_up_on_callers_that_do_not_come_back() -> None:
    policy, queue, now = _after_a_batch(gap_s=0.0001, batch=32)
    decision = policy.decide(now, queue, idle_slots=1)
    assert isinstance(decision, Wait) and decision.until is not None
    assert policy.decide(decision.until + 1e-6, queue, idle_slots=1) == Dispatch(32)


def test_does_not_wait_for_callers_slower_than_a_batch() -> None:
    # 32 callers 1 ms apart take 32 ms to come back: a second batch (10 ms) is cheaper.
    policy, queue, now = _after_a_batch(gap_s=0.001, batch=32)
    assert policy.decide(now, queue, idle_slots=1) == Dispatch(32)


def test_a_request_after_a_quiet_spell_does_not_wait_for_earlier_callers() -> None:
    policy, _queue, now = _after_a_batch(gap_s=0.0001, batch=32)
    later = now + 60.0  # nobody came back; a lone request a minute later
    policy.on_arrival(later, 1)
    assert policy.decide(later, [Pending(1, later)], idle_slots=1) == Dispatch(1)


class _Totals(PendingQueue):
    """A queue that answers its totals from counters, as the batcher's does; it counts how
    often its requests are read one by one."""

    def __init__(self, pending: list[Pending]) -> None:
        self.pending = pending
        self.reads = 0

    def __len__(self) -> int:
        return len(self.pending)

    def __getitem__(self, index: object) -> Pending:
        self.reads += 1
        return self.pending[index]  # type: ignore[index]

    @property
    def items(self) -> int:
        return sum(p.size for p in self.pending)

    @property
    def earliest_deadline(self) -> float:
        return min((p.deadline for p in self.pending), default=math.inf)


@pytest.mark.parametrize("policy_name", ["adaptive", "greedy"])
def test_a_queue_with_totals_gets_the_decisions_of_a_list_without_being_walked(
    policy_name: str,
) -> None:
    on_list = batching_policy(policy_name, 8, 0.05)
    on_totals = batching_policy(policy_name, 8, 0.05)
    for policy in (on_list, on_totals):
        policy.observe(4, 0.010)
        policy.observe(8, 0.012)
    queue: list[Pending] = []
    for step in range(12):
        now = step * 0.004
        pending = Pending(1 + step % 3, now, deadline=now + (0.02 if step == 5 else 60.0))
        queue.append(pending)
        for policy in (on_list, on_totals):
            policy.on_arrival(now, pending.size)
        totals = _Totals(list(queue))
        for at in (now, now + 0.003, now + 0.03):
            assert on_totals.decide(at, totals, 1) == on_list.decide(at, list(queue), 1)
        assert totals.reads <= 3 * 2  # the oldest request only, never the whole queue
        if step % 4 == 3:
            queue.clear()  # a batch took them
