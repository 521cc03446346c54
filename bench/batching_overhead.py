"""What the batching layer costs per request, without HTTP and without a model.

    python bench/batching_overhead.py [--concurrency 64] [--batches 200] [--repeats 5]

Sends ``--concurrency`` requests of one row at once to a `Batcher` (adaptive policy, a
model that answers at once), ``--batches`` times, on uvloop; prints the best of
``--repeats`` runs in microseconds per request: submitting, the policy's decisions,
joining, splitting and answering, plus the task each request runs in. A figure for
comparing versions of the batcher on one machine (run it pinned: ``taskset -c 0``); W4 in
bench/run.py is where it shows against peers.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from collections.abc import Sequence

import numpy as np
import uvloop
from dosirak.runtime._batcher import Batcher
from dosirak.runtime._batching import AdaptivePolicy


async def _measure(concurrency: int, batches: int, repeats: int) -> float:
    async def model(args: tuple[np.ndarray, ...]) -> np.ndarray:
        return np.zeros(len(args[0]), dtype=np.int64)

    batcher = Batcher(("model", "predict"), model, AdaptivePolicy(2 * concurrency, 1.0))
    row = np.array([[5.1, 3.5, 1.4, 0.2]])

    async def one() -> np.ndarray:
        result: np.ndarray = await batcher.submit((row,), time.monotonic() + 60)
        return result

    async def burst() -> None:
        await asyncio.gather(*(one() for _ in range(concurrency)))

    for _ in range(max(1, batches // 4)):  # warm up: the cost model, the caches
        await burst()
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(batches):
            await burst()
        best = min(best, (time.perf_counter() - started) / (batches * concurrency))
    await batcher.drain()
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    seconds = uvloop.run(_measure(args.concurrency, args.batches, args.repeats))
    print(
        f"batching layer: {seconds * 1e6:.2f} µs per request "
        f"({args.concurrency} at once, best of {args.repeats})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
