"""Cheap sync APIs run on the event loop, slow ones in the thread pool."""

from __future__ import annotations

import httpx
from dosirak.runtime._inline import InlineJudge

from .conftest import Served
from .test_batching_e2e import batching_server

__all__ = ["batching_server"]


def test_judge_promotes_after_a_window_of_mostly_fast_calls() -> None:
    judge = InlineJudge(threshold_s=0.001)
    for _ in range(31):
        judge.record(0.0001, inline=False)
    assert not judge.inline
    judge.record(0.005, inline=False)  # one slow call in 32 (a busy machine) is forgiven
    assert judge.inline


def test_a_window_with_many_slow_calls_keeps_the_thread_pool() -> None:
    judge = InlineJudge(threshold_s=0.001)
    for i in range(64):
        judge.record(0.002 if i % 4 == 0 else 0.0001, inline=False)
    assert not judge.inline


def test_slow_inline_calls_demote_and_double_the_window() -> None:
    judge = InlineJudge(threshold_s=0.001)
    for _ in range(32):
        judge.record(0.0001, inline=False)
    judge.record(0.0015, inline=True)  # a little over: tolerated
    judge.record(0.01, inline=True)  # one far over: may be the machine
    judge.record(0.01, inline=True)
    assert judge.inline
    judge.record(0.01, inline=True)  # the third in a window: the function
    assert not judge.inline
    for _ in range(63):
        judge.record(0.0001, inline=False)
    assert not judge.inline
    judge.record(0.0001, inline=False)
    assert judge.inline


def test_zero_threshold_never_inlines() -> None:
    judge = InlineJudge(threshold_s=0.0)
    for _ in range(100):
        judge.record(0.0, inline=False)
    assert not judge.inline


def test_run_timed_counts_runner_waits_as_the_model_cost() -> None:
    from dosirak.runtime._inline import adjust_inline_cost

    judge = InlineJudge(threshold_s=0.001)

    def waits_long_for_a_cheap_batch() -> None:
        adjust_inline_cost(-10.0)  # the batch wait is taken off

    for _ in range(32):
        judge.run_timed(waits_long_for_a_cheap_batch)
    assert judge.inline


def test_cheap_sync_api_moves_onto_the_event_loop(batching_server: Served) -> None:
    headers = {"Content-Type": "text/plain"}
    with httpx.Client(base_url=batching_server.base_url, headers=headers) as client:
        names = [client.post("/where_cheap", content="x").text for _ in range(60)]
        slow = [client.post("/where_slow", content="x").text for _ in range(40)]
    assert names[0] != "MainThread"  # starts in the thread pool
    assert names[-1] == "MainThread"  # proven cheap: inline on uvicorn's loop
    assert "MainThread" not in slow
