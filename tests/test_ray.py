"""Runners on Ray: the actor options (unit), then black-box on a real uvicorn started with
``--ray`` over a Ray of its own: placement, batching, arrays, failures, an actor dying and
coming back, graceful shutdown, and a runner asking for what the machine lacks."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from dosirak.runtime._ray import RayMissingError, absolute_target, actor_options

import dosirak

from .conftest import (
    ROOT,
    Served,
    assert_failure_logged,
    post_many,
    post_npy,
    start_server,
    stop_server,
)

TARGET = f"{ROOT / 'tests' / 'services' / 'ray' / 'service.py'}:svc"
ROW = [[5.1, 3.5, 1.4, 0.2]]


class Model(dosirak.Runnable):
    SUPPORTED_RESOURCES = ("cpu", "nvidia.com/gpu")

    @dosirak.Runnable.method
    def predict(self, x: object) -> object:
        return x


class Threaded(Model):
    SUPPORTS_CPU_MULTI_THREADING = True


# ---------------------------------------------------------------------------- unit


def test_actor_options_from_the_runners_resources() -> None:
    plain = actor_options(dosirak.Runner(Model), 1)
    assert "num_cpus" not in plain and "num_gpus" not in plain  # Ray's default: no reservation
    assert plain["max_restarts"] == -1 and plain["max_task_retries"] == 0
    assert plain["runtime_env"]["env_vars"]["OMP_NUM_THREADS"] == "1"

    sized = actor_options(dosirak.Runner(Model, resources={"cpu": "1500m"}), 1)
    assert sized["num_cpus"] == 1.5
    assert sized["runtime_env"]["env_vars"]["OMP_NUM_THREADS"] == "2"

    gpus = actor_options(dosirak.Runner(Model, resources={"nvidia.com/gpu": [0, 1]}), 4)
    assert gpus["num_gpus"] == 0.5  # two GPUs shared by four actors
    assert "CUDA_VISIBLE_DEVICES" not in gpus["runtime_env"]["env_vars"]  # Ray assigns them

    threaded = actor_options(dosirak.Runner(Threaded), 1)  # all this machine's CPUs
    cpus = str(len(os.sched_getaffinity(0)))
    assert threaded["runtime_env"]["env_vars"]["OMP_NUM_THREADS"] == cpus


def test_placement_is_checked_when_the_runner_is_made() -> None:
    assert dosirak.Runner(Model, placement="ray").placement == "ray"
    with pytest.raises(ValueError, match="placement must be one of None, 'ray', not 'kubernetes'"):
        dosirak.Runner(Model, placement="kubernetes")


def test_a_file_target_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "service.py").write_text("")
    monkeypatch.chdir(tmp_path)
    assert absolute_target("service.py:svc") == f"{tmp_path / 'service.py'}:svc"
    assert absolute_target("package.module:svc") == "package.module:svc"


def test_without_ray_installed_the_error_says_what_to_install() -> None:
    code = (
        "import sys, asyncio; sys.modules['ray'] = None\n"
        "import dosirak\n"
        "from dosirak.runtime._ray import RayActors, RayMissingError\n"
        "class M(dosirak.Runnable):\n"
        "    @dosirak.Runnable.method\n"
        "    def f(self, x): return x\n"
        "actors = RayActors(dosirak.Runner(M, name='m'), target='s.py:svc', count=1)\n"
        "try:\n"
        "    asyncio.run(actors.astart())\n"
        "except RayMissingError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == (
        "runner 'm' runs on Ray, which is not installed: pip install 'dosirak[ray]'"
    )
    assert issubclass(RayMissingError, ImportError)


def test_the_actor_runs_the_services_runner_and_reports_failures(tmp_path: Path) -> None:
    # The class each actor instantiates, here without Ray: what it answers travels back.
    from dosirak.runtime._ray import _RunnerActor

    actor = _RunnerActor(TARGET, "probe", str(tmp_path))
    x = np.ones((3, 4))
    status, value = actor.call("row_sums", (x,), {})
    assert status == "ok"
    np.testing.assert_array_equal(value, [4.0, 4.0, 4.0])
    status, (error, trace) = actor.call("fail", (x,), {})
    assert status == "raise" and isinstance(error, ValueError) and "the model refused" in trace
    with pytest.raises(LookupError, match="service 'on_ray' has no runner 'nope'"):
        _RunnerActor(TARGET, "nope", str(tmp_path))


def test_a_remote_runner_called_outside_a_server_says_where_it_runs() -> None:
    from dosirak.runtime._ray import RayActors
    from dosirak.runtime._workers import WorkerProcesses

    runner = dosirak.Runner(Model, name="m")
    for placement, where in (
        (RayActors(runner, target=TARGET, count=1), "on Ray"),
        (WorkerProcesses(runner, target=TARGET, count=1), "in worker processes"),
    ):
        with pytest.raises(RuntimeError, match=f"runner 'm' runs {where}: call it from an API"):
            placement.call("predict", (np.ones((1, 4)),), {})


def test_a_death_noticed_by_a_ping_first_is_counted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # The race seen in CI: Ray restarts a crashed actor and the server's ping, answered by
    # the new process, counts the death before the crashed call's own error arrives.
    from dosirak.runtime import _ray
    from dosirak.runtime.errors import ServiceUnavailable

    class ActorDied(Exception):
        pass

    class FakeRay:
        class exceptions:  # as Ray names it
            RayActorError = ActorDied
            RayTaskError = RuntimeError

    counted: list[str] = []
    monkeypatch.setattr(_ray.metrics, "worker_restarted", counted.append)
    placement = _ray.RayActors(dosirak.Runner(Model, name="m"), target=TARGET, count=1)

    async def main() -> None:
        async def crash(*_: object) -> None:
            actor.pid = 222  # meanwhile: the ping answered by the restarted process
            placement._count_death(actor)
            raise ActorDied

        class Handle:
            class call:  # a Ray actor method
                remote = staticmethod(crash)

        actor = _ray._Actor(0, Handle(), pid=111)
        placement._ray = FakeRay
        placement._actors = {0: actor}
        placement._idle = asyncio.Queue()
        placement._idle.put_nowait(actor)
        with pytest.raises(ServiceUnavailable):
            await placement.async_call("predict", (np.ones((1, 4)),), {})
        assert placement._actors[0] is actor and actor.alive  # restarted, not lost
        assert placement._idle.get_nowait() is actor  # and taking calls again

    asyncio.run(main())
    assert counted == ["m"]


# ---------------------------------------------------------------------------- served


@pytest.fixture(scope="module")
def ray_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    workdir = tmp_path_factory.mktemp("ray")
    served = start_server(TARGET, workdir, "--ray", timeout=180, port=_port_outside_ray())
    yield served
    stop_server(served)


def test_runner_methods_run_in_ray_actors(ray_server: Served) -> None:
    base = ray_server.base_url
    pids = [httpx.post(f"{base}/pids", json=ROW, timeout=30).json()[0] for _ in range(4)]
    api = {p[0] for p in pids}
    probe = {p[1] for p in pids}
    doubler = {p[2] for p in pids}
    assert api == {ray_server.process.pid}
    # probe: placement="ray", workers=2, taken in turn; doubler: on Ray through --ray
    assert len(probe) == 2 and len(doubler) == 1
    assert not (probe | doubler) & api
    for pid in probe | doubler:
        assert "ray::" in Path(f"/proc/{pid}/cmdline").read_text()


def test_calls_are_batched_before_they_go_to_ray(ray_server: Served) -> None:
    responses = asyncio.run(post_many(ray_server.base_url, "/row_sums", 48, ROW))
    assert [r.status_code for r in responses] == [200] * 48
    assert all(r.json() == [10.2] for r in responses)
    metrics = httpx.get(f"{ray_server.base_url}/metrics").text
    batches = items = 0.0
    for line in metrics.splitlines():
        if 'runner="probe"' in line and 'method="row_sums"' in line:
            if line.startswith("dosirak_runner_batch_size_count"):
                batches = float(line.split()[-1])
            elif line.startswith("dosirak_runner_batch_size_sum"):
                items = float(line.split()[-1])
    assert items >= 48 and batches < items  # some batch carried several requests


def test_large_arrays_and_two_runners_at_once(ray_server: Served) -> None:
    x = np.random.default_rng(3).normal(size=(3000, 200))
    np.testing.assert_allclose(post_npy(f"{ray_server.base_url}/row_sums", x), x.sum(axis=1))
    both = httpx.post(f"{ray_server.base_url}/both", json=ROW, timeout=30)
    assert both.status_code == 200
    assert both.json() == [[10.2, 10.2, 7.0, 2.8, 0.4]]


def test_failures_in_an_actor_keep_their_meaning(ray_server: Served) -> None:
    base = ray_server.base_url
    refused = httpx.post(f"{base}/refuse", json=ROW, timeout=30)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == "the model takes no negative values"
    assert_failure_logged(ray_server, "/fail", ROW, "the model refused")


def test_a_dying_actor_fails_its_call_at_once_and_comes_back(ray_server: Served) -> None:
    base = ray_server.base_url
    began = time.monotonic()
    response = httpx.post(f"{base}/crash", json=ROW, timeout=60)
    assert time.monotonic() - began < 10  # nothing hangs
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert "died" in response.json()["detail"]
    assert httpx.get(f"{base}/readyz").status_code == 200  # the other actor still serves
    deadline = time.monotonic() + 90
    seen: set[int] = set()
    while time.monotonic() < deadline:
        answers = asyncio.run(post_many(base, "/pids", 8, ROW))
        assert {r.status_code for r in answers} == {200}
        seen |= {r.json()[0][1] for r in answers}
        metrics = httpx.get(f"{base}/metrics").text
        if len(_live(seen)) == 2:  # a new actor process took calls beside the survivor
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the actor did not come back: pids seen {seen}")
    assert 'dosirak_runner_worker_restarts_total{runner="probe"} 1.0' in metrics


def _restarts(base: str) -> float:
    for line in httpx.get(f"{base}/metrics").text.splitlines():
        if line.startswith('dosirak_runner_worker_restarts_total{runner="probe"}'):
            return float(line.split()[-1])
    return 0.0


def test_an_actor_dying_while_idle_is_counted_and_its_calls_still_answered(
    ray_server: Served,
) -> None:
    base = ray_server.base_url
    pids = {httpx.post(f"{base}/pids", json=ROW, timeout=30).json()[0][1] for _ in range(4)}
    assert len(_live(pids)) == 2
    before = _restarts(base)
    victim = min(_live(pids))
    os.kill(victim, signal.SIGKILL)
    # The server's pings notice it: the ping fails, or Ray has started the actor again
    # and a new process answers. (A call sent before that fails with 503, as a call the
    # actor was running does.)
    deadline = time.monotonic() + 60
    while _restarts(base) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _restarts(base) == before + 1
    for _ in range(6):
        response = httpx.post(f"{base}/pids", json=ROW, timeout=60)
        assert response.status_code == 200, response.text
        assert response.json()[0][1] != victim


def _port_outside_ray() -> int:
    """A free port below the kernel's ephemeral range: the server binds its port after its
    lifespan has started Ray, whose processes take ephemeral ports meanwhile."""
    low, _ = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    for port in random.sample(range(max(1024, low - 12000), low), 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


def _live(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists()}


def _ray_processes() -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"raylet" in command or b"gcs_server" in command or command.startswith(b"ray::"):
                found.add(int(entry.name))
    return found


def test_sigterm_drains_then_stops_the_actors_and_ray(tmp_path: Path) -> None:
    before = _ray_processes()
    served = start_server(TARGET, tmp_path, "--ray", timeout=180, port=_port_outside_ray())
    try:
        started = _ray_processes() - before
        assert started  # the server's own Ray: raylet, GCS and the actors

        async def main() -> list[httpx.Response]:
            requests = asyncio.ensure_future(post_many(served.base_url, "/both", 24, ROW))
            await asyncio.sleep(0.1)
            served.process.send_signal(signal.SIGTERM)
            return await requests

        responses = asyncio.run(main())
        assert [r.status_code for r in responses] == [200] * 24
        # uvicorn's graceful shutdown ran (not the handler ray.init puts in, which exits
        # at once), then it re-raised the signal, as it does
        assert served.process.wait(timeout=60) == -signal.SIGTERM
        assert "Application shutdown complete" in served.log()
        deadline = time.monotonic() + 30
        while _live(started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _live(started), f"left running: {_live(started)}"
    finally:
        stop_server(served)


def test_a_runner_asking_for_what_the_machine_lacks_fails_at_start(tmp_path: Path) -> None:
    service = tmp_path / "gpu_service.py"
    service.write_text(
        "import dosirak\n"
        "from dosirak.io import NumpyNdarray\n"
        "class M(dosirak.Runnable):\n"
        "    SUPPORTED_RESOURCES = ('cpu', 'nvidia.com/gpu')\n"
        "    @dosirak.Runnable.method\n"
        "    def f(self, x): return x\n"
        "gpu = dosirak.Runner(M, name='big', placement='ray', resources={'nvidia.com/gpu': 64})\n"
        "svc = dosirak.Service('gpu', runners=[gpu])\n"
        "@svc.api(input=NumpyNdarray(), output=NumpyNdarray())\n"
        "async def echo(x):\n"
        "    return await gpu.f.async_run(x)\n"
    )
    with pytest.raises(RuntimeError) as failed:
        start_server(f"{service}:svc", tmp_path, timeout=180, port=_port_outside_ray())
    assert "runner 'big': each of its Ray actors asks for num_gpus=1" in str(failed.value)
    assert "this machine's Ray has 0" in str(failed.value)
