"""The worker wire format and the resources each runner worker gets."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import numpy as np
import pytest
from dosirak.runtime._resources import default_worker_count, worker_environments
from dosirak.runtime._wire import WireClosed, encode, read_async, read_sync, write_sync

import dosirak


def test_arrays_travel_out_of_band_not_inside_the_pickle() -> None:
    x = np.arange(1_000_000, dtype=np.float64)
    header, payload, *buffers = encode(("predict", (x,), {}))
    assert len(payload) < 1000  # the 8 MB of data is not in the pickle
    assert [b.nbytes for b in buffers] == [x.nbytes]
    assert len(header) == 8 + 8


def test_sync_round_trip_keeps_dtype_shape_order_and_writability() -> None:
    left, right = socket.socketpair()
    message = (
        "m",
        (np.asfortranarray(np.ones((3, 4), dtype=np.float32)), np.arange(10)[::2]),
        {"k": [1, "two", np.int64(3)]},
    )
    thread = threading.Thread(target=write_sync, args=(left, message))
    thread.start()
    method, args, kwargs = read_sync(right)
    thread.join()
    assert method == "m"
    np.testing.assert_array_equal(args[0], message[1][0])
    assert args[0].dtype == np.float32 and args[0].flags.f_contiguous
    np.testing.assert_array_equal(args[1], np.arange(10)[::2])
    args[0][0, 0] = 5  # a fresh, writable buffer
    assert kwargs == {"k": [1, "two", 3]}
    left.close()
    with pytest.raises(WireClosed):
        read_sync(right)
    right.close()


def test_async_reader_reads_what_the_sync_writer_wrote() -> None:
    async def main() -> None:
        left, right = socket.socketpair()
        right.setblocking(False)
        x = np.random.default_rng(1).normal(size=(500, 300))
        thread = threading.Thread(target=write_sync, args=(left, ("ok", x)))
        thread.start()
        status, value = await read_async(asyncio.get_running_loop(), right)
        thread.join()
        assert status == "ok"
        np.testing.assert_array_equal(value, x)
        left.close()
        with pytest.raises(WireClosed):
            await read_async(asyncio.get_running_loop(), right)
        right.close()

    asyncio.run(main())


class _Gpu(dosirak.Runnable):
    SUPPORTED_RESOURCES = ("cpu", "nvidia.com/gpu")

    @dosirak.Runnable.method
    def predict(self, x: int) -> int:
        return x


class _CpuOnly(dosirak.Runnable):
    @dosirak.Runnable.method
    def predict(self, x: int) -> int:
        return x


def test_gpus_are_dealt_round_robin_to_workers() -> None:
    envs = worker_environments({"nvidia.com/gpu": [0, 1]}, ("nvidia.com/gpu",), 3, "r")
    assert [e["CUDA_VISIBLE_DEVICES"] for e in envs] == ["0", "1", "0"]
    envs = worker_environments({"nvidia.com/gpu": 2, "cpu": 4}, ("cpu", "nvidia.com/gpu"), 2, "r")
    assert [e["CUDA_VISIBLE_DEVICES"] for e in envs] == ["0", "1"]
    assert all(e["OMP_NUM_THREADS"] == "4" for e in envs)


def test_workers_of_single_threaded_runnables_get_one_thread_each() -> None:
    envs = worker_environments({}, ("cpu",), 2, "r", multi_threading=False)
    assert [e["OMP_NUM_THREADS"] for e in envs] == ["1", "1"]
    envs = worker_environments({}, ("cpu",), 1, "r", multi_threading=True)
    assert int(envs[0]["OPENBLAS_NUM_THREADS"]) >= 1


def test_production_picks_worker_counts_like_bentoml() -> None:
    class _Threaded(_CpuOnly):
        SUPPORTS_CPU_MULTI_THREADING = True

    assert default_worker_count(dosirak.Runner(_Threaded, name="t")) == 1
    assert default_worker_count(dosirak.Runner(_CpuOnly, name="c", resources={"cpu": 3})) == 3
    gpu = dosirak.Runner(_Gpu, name="g", resources={"nvidia.com/gpu": [2, 3]})
    assert default_worker_count(gpu) == 2


def test_resources_a_runnable_cannot_use_fail_when_the_runner_is_made() -> None:
    dosirak.Runner(_Gpu, name="gpu", resources={"nvidia.com/gpu": 1})
    with pytest.raises(ValueError, match="supports only"):
        dosirak.Runner(_CpuOnly, name="cpu", resources={"nvidia.com/gpu": 1})
    with pytest.raises(ValueError, match="unknown resources"):
        dosirak.Runner(_CpuOnly, name="cpu", resources={"tpu": 1})
    with pytest.raises(ValueError, match="workers must be at least 1"):
        dosirak.Runner(_CpuOnly, name="cpu", workers=0)


@pytest.mark.parametrize(
    ("cpu", "threads"), [("500m", "1"), ("2500m", "3"), (" 2 ", "2"), (1.5, "2")]
)
def test_cpu_resources_as_millicores(cpu: object, threads: str) -> None:
    envs = worker_environments({"cpu": cpu}, ("cpu",), 1, "r")
    assert envs[0]["OMP_NUM_THREADS"] == threads


@pytest.mark.parametrize("cpu", [None, "lots", 0, "-500m", True])
def test_bad_cpu_resources_name_the_runner(cpu: object) -> None:
    with pytest.raises(ValueError, match=r"runner 'c': resources cpu="):
        dosirak.Runner(_CpuOnly, name="c", resources={"cpu": cpu})


def test_joinable_values_share_a_batch_dimension_and_nothing_else_differs() -> None:
    import pandas as pd
    from dosirak.runtime._batch_data import join_key

    def joinable(first: Any, other: Any, dim: int) -> bool:
        return join_key((first,), dim) == join_key((other,), dim)

    a = np.ones((2, 4))
    assert joinable(a, np.ones((5, 4)), 0)
    assert not joinable(a, np.ones((5, 3)), 0)  # another width
    assert not joinable(a, np.ones((2, 4, 1)), 0)  # another rank
    assert not joinable(a, np.ones((2, 4), dtype=np.float32), 0)  # numpy would promote
    assert joinable(np.ones((3, 2)), np.ones((3, 7)), 1)  # along dim 1: rows must match
    assert not joinable(np.ones((3, 2)), np.ones((4, 2)), 1)
    assert not joinable(a, a.tolist(), 0)  # another type
    assert joinable([1, 2], [3], 0)
    frame = pd.DataFrame({"x": [1.0], "y": [2.0]})
    assert joinable(frame, pd.DataFrame({"x": [3.0, 4.0], "y": [5.0, 6.0]}), 0)
    assert not joinable(frame, pd.DataFrame({"x": [3.0], "z": [5.0]}), 0)  # pandas fills NaN
    assert not joinable(frame, pd.DataFrame({"x": [3], "y": [5]}), 0)  # ints would be floats
    assert joinable(pd.Series([1.0]), pd.Series([2.0, 3.0]), 0)
    assert not joinable(pd.Series([1.0]), pd.Series([2]), 0)
    # several arguments: each must match its counterpart
    assert join_key((a, [1]), 0) == join_key((np.ones((1, 4)), [2, 3]), 0)
    assert join_key((a, [1]), 0) != join_key((np.ones((1, 4)), np.ones(1)), 0)
