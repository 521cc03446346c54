"""What a runner's ``resources`` mean: cores, GPUs, and each worker's environment.

Apart from `dosirak.runtime._workers` so that a `Runner` checks its resources when it is
made without importing the worker-process machinery (subprocess, sockets, the wire).

Example::

    worker_environments({"cpu": 2}, ("cpu",), 1, "iris")
    # [{"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2"}]
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dosirak import Runner

__all__ = ["cpu_cores", "default_worker_count", "gpu_count", "worker_environments"]

_GPU = "nvidia.com/gpu"  # the resource name Kubernetes and BentoML use
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def cpu_cores(value: Any, runner: str) -> float:
    """Cores from a ``cpu`` resource: a number (``2``, ``0.5``), one as text (``"2"``) or
    Kubernetes/BentoML millicores (``"500m"``); ValueError naming the runner otherwise."""
    text = value.strip() if isinstance(value, str) else value
    try:
        if isinstance(text, bool) or text is None:
            raise TypeError
        if isinstance(text, str) and text.endswith("m"):
            cores = float(text[:-1]) / 1000
        else:
            cores = float(text)
    except (TypeError, ValueError):
        raise ValueError(
            f"runner {runner!r}: resources cpu={value!r} is not a number of cores "
            '(like 2, 0.5 or "500m")'
        ) from None
    if not (cores > 0 and math.isfinite(cores)):
        raise ValueError(f"runner {runner!r}: resources cpu={value!r} must be more than zero")
    return cores


def _cpus(resources: Mapping[str, Any], runner: str) -> int:
    if "cpu" in resources:
        return max(1, math.ceil(cpu_cores(resources["cpu"], runner)))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_worker_count(runner: Runner) -> int:
    """Workers for a runner that does not say (``dosirak serve --production``), as BentoML
    schedules them: one per GPU it is given; else one multi-threaded worker if its runnable
    supports CPU multi-threading, or one single-threaded worker per CPU."""
    gpus = runner.resources.get(_GPU)
    if gpus is not None:
        return len(_gpu_ids(gpus))
    if runner.runnable_class.SUPPORTS_CPU_MULTI_THREADING:
        return 1
    return _cpus(runner.resources, runner.name)


def _gpu_ids(gpus: Any) -> list[str]:
    return [str(i) for i in (range(int(gpus)) if isinstance(gpus, (int, float)) else gpus)]


def gpu_count(resources: Mapping[str, Any]) -> int:
    """How many GPUs ``nvidia.com/gpu`` gives (a count, or a list of device ids); 0 if none."""
    return len(_gpu_ids(resources[_GPU])) if _GPU in resources else 0


def worker_environments(
    resources: Mapping[str, Any],
    supported: tuple[str, ...],
    count: int,
    runner: str,
    *,
    multi_threading: bool = True,
) -> list[dict[str, str]]:
    """The environment each of ``count`` workers gets from the runner's ``resources``.

    Threads for OpenMP/MKL/OpenBLAS: ``cpu`` when given, else all CPUs for a runnable that
    supports CPU multi-threading and one for the others (so N workers do not fight over the
    cores). ``nvidia.com/gpu``: a count or a list of device ids, dealt round-robin to the
    workers through ``CUDA_VISIBLE_DEVICES``.
    """
    unknown = set(resources) - {"cpu", _GPU}
    if unknown:
        raise ValueError(f"runner {runner!r}: unknown resources {sorted(unknown)}")
    threads = str(_cpus(resources, runner) if multi_threading or "cpu" in resources else 1)
    envs: list[dict[str, str]] = [dict.fromkeys(_THREAD_VARIABLES, threads) for _ in range(count)]
    if _GPU in resources:
        if _GPU not in supported:
            raise ValueError(
                f"runner {runner!r} asks for {_GPU} but its runnable supports only {supported}"
            )
        ids = _gpu_ids(resources[_GPU])
        if not ids:
            raise ValueError(f"runner {runner!r}: {_GPU} names no device")
        for index, env in enumerate(envs):
            env["CUDA_VISIBLE_DEVICES"] = ids[index % len(ids)]
    return envs
