"""Benchmark dosirak against a hand-written Starlette + orjson server and FastAPI.

    python bench/run.py [--duration 10] [--rounds 3] [--peers handwritten,fastapi,dosirak]
                        [--workloads w1,w2json,w2npy,w3,w4] [--out bench/results.md]
                        [--with-bentoml]

BentoML runs only when asked: ``--peers ...,bentoml,bentoml-dev`` (production and
development mode) or ``--with-bentoml`` (both, after the others).

Each peer runs in its own venv under ``bench/.venvs/`` (created on first use, reused while
its requirements stay the same; dosirak's is reinstalled from this checkout whenever its
sources change). Each server runs on uvicorn, one worker, pinned to one core
(``taskset -c 0``); wrk runs on the other (``taskset -c 1``), on 127.0.0.1. Measurements
are interleaved: in each round every peer's server is up and each workload runs on each
peer in turn (W1: A B C, W2: A B C, ...; the order turns by one each round), each after a
warm-up and a check of the server's answers. The result is a markdown table of medians,
min-max and ratios to the hand-written server (the median of the rounds' ratios), written
to ``--out`` and printed; the raw samples go next to it as JSON. Only the standard library
is needed here.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import http.client
import json
import math
import os
import platform
import random
import re
import shlex
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
HOST = "127.0.0.1"
POST_LUA = BENCH / "wrk" / "post.lua"
DOSIRAK_TARGET = f"{BENCH / 'services' / 'dosirak_service.py'}:svc"
#: The BentoML the bench installs: the newest release, which still offers the 1.0 API of
#: the seed (``Service``, runners, ``bentoml.io``) under ``bentoml.legacy``.
BENTOML_VERSION = "1.4.40"
BENTOML_PEERS = ("bentoml", "bentoml-dev")
DEFAULT_PEERS = ("handwritten", "handwritten-pydantic", "fastapi", "dosirak")
#: What the dosirak venv is installed from: a change here reinstalls it.
DOSIRAK_SOURCES = ("pyproject.toml", "dosirak", "codegen", "runtime", "templates")
#: Packages every peer shares; the peers are pinned to the versions in dosirak's venv.
#: httptools and uvloop: the C parser and loop uvicorn picks up (uvicorn[standard]).
SHARED = ("httptools", "numpy", "orjson", "pydantic", "starlette", "uvicorn", "uvloop")

JSON = "application/json"
NPY = "application/x-npy"


# ---------------------------------------------------------------------------- workloads


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    path: str
    connections: int
    content_type: str
    accept: str
    body: bytes
    #: Raises AssertionError when a response body is not the expected answer.
    check: Callable[[bytes], None]
    #: The workload whose hand-written figure this one's ratio is taken to.
    baseline: str
    peers: tuple[str, ...] | None = None  # None: every peer

    def runs(self, peer: str) -> bool:
        return self.peers is None or peer in self.peers


def _matrix(rows: int, cols: int) -> list[list[float]]:
    rng = random.Random(20240505)
    return [[rng.gauss(0.0, 1.0) for _ in range(cols)] for _ in range(rows)]


def _npy_bytes(matrix: list[list[float]]) -> bytes:
    """``numpy.save`` of a float64 matrix, written by hand (format version 1.0)."""
    shape = (len(matrix), len(matrix[0]))
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({shape[0]}, {shape[1]}), }}"
    pad = 64 - (10 + len(header) + 1) % 64
    header_bytes = (header + " " * pad + "\n").encode("latin1")
    data = array("d", (x for row in matrix for x in row))
    if sys.byteorder != "little":
        data.byteswap()
    return (
        b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header_bytes)) + header_bytes + data.tobytes()
    )


def _npy_values(body: bytes) -> list[float]:
    """The values of a 1-d little-endian float64 ``.npy`` body."""
    assert body[:6] == b"\x93NUMPY", "not an .npy body"
    major = body[6]
    if major == 1:
        (length,) = struct.unpack("<H", body[8:10])
        start = 10 + length
    else:
        (length,) = struct.unpack("<I", body[8:12])
        start = 12 + length
    header = body[start - length : start].decode("latin1")
    assert "'<f8'" in header and "False" in header, f"unexpected .npy header {header!r}"
    values = array("d")
    values.frombytes(body[start:])
    if sys.byteorder != "little":
        values.byteswap()
    return list(values)


def _close(actual: Sequence[float], expected: Sequence[float]) -> None:
    assert len(actual) == len(expected), f"{len(actual)} values, expected {len(expected)}"
    for a, e in zip(actual, expected, strict=True):
        assert math.isclose(a, e, rel_tol=1e-9, abs_tol=1e-9), f"{a} != {e}"


def workloads() -> list[Workload]:
    matrix = _matrix(1000, 100)
    sums = [math.fsum(row) for row in matrix]
    order = {"id": 42, "customer": "Ada Lovelace", "quantity": 3, "price": 9.99, "tags": ["a", "b"]}
    doubled = {**order, "quantity": 6}

    def check_w1(body: bytes) -> None:
        assert json.loads(body) == [0], body[:200]

    def check_w2_json(body: bytes) -> None:
        _close(json.loads(body), sums)

    def check_w2_npy(body: bytes) -> None:
        _close(_npy_values(body), sums)

    def check_w3(body: bytes) -> None:
        assert json.loads(body) == doubled, body[:200]

    def check_w4(body: bytes) -> None:
        assert json.loads(body) == [0], body[:200]

    matrix_json = json.dumps(matrix, separators=(",", ":")).encode()
    return [
        Workload(
            "w1",
            "W1 classify 1x4 JSON",
            "/classify",
            16,
            JSON,
            JSON,
            b"[[5.1,3.5,1.4,0.2]]",
            check_w1,
            "w1",
        ),
        Workload(
            "w2json",
            "W2 row sums 1000x100 JSON",
            "/row_sums",
            4,
            JSON,
            JSON,
            matrix_json,
            check_w2_json,
            "w2json",
        ),
        Workload(
            "w2npy",
            "W2 row sums 1000x100 x-npy",
            "/row_sums",
            4,
            NPY,
            NPY,
            _npy_bytes(matrix),
            check_w2_npy,
            "w2json",
            peers=("dosirak",),
        ),
        Workload(
            "w3",
            "W3 pydantic echo JSON",
            "/order",
            16,
            JSON,
            JSON,
            json.dumps(order).encode(),
            check_w3,
            "w3",
        ),
        Workload(
            "w4",
            "W4 10 ms fixed-cost model, W1 bodies",
            "/fixed_cost",
            64,
            JSON,
            JSON,
            b"[[5.1,3.5,1.4,0.2]]",
            check_w4,
            "w4",
            peers=("handwritten", "dosirak", *BENTOML_PEERS),
        ),
    ]


# ---------------------------------------------------------------------------- peers


@dataclass(frozen=True)
class Peer:
    name: str
    label: str
    #: What its venv holds; those in SHARED are pinned to the versions in dosirak's venv.
    requirements: tuple[str, ...]
    #: The server's argv after the interpreter, given the port.
    argv: Callable[[int], list[str]]
    env: dict[str, str] = field(default_factory=dict)
    #: Packages of SHARED left to the peer's framework, which bounds them itself.
    unpinned: tuple[str, ...] = ()
    #: How it is served, when not as the method line of the report says.
    note: str = ""
    #: Its venv's folder under ``--venvs`` (default: its name); peers may share one.
    venv: str = ""
    #: Measured for startup only (a reference, not a server under test).
    startup_only: bool = False


def _uvicorn(app: str, port: int, *extra: str) -> list[str]:
    return [
        "-m",
        "uvicorn",
        app,
        *extra,
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def _bentoml(development: bool) -> Callable[[int], list[str]]:
    def argv(port: int) -> list[str]:
        services = str(BENCH / "services")
        mode = ["--development"] if development else []
        return [
            *("-m", "bentoml", "serve", "bentoml_service:svc", "--working-dir", services),
            *("--host", HOST, "--port", str(port), *mode),
        ]

    return argv


def peers(venvs: Path) -> dict[str, Peer]:
    app_dir = str(BENCH / "peers")
    bentoml_env = {
        "BENTOML_HOME": str(venvs / "home-bentoml"),
        "BENTOML_CONFIG": str(BENCH / "services" / "bentoml_configuration.yaml"),
        "BENTOML_DO_NOT_TRACK": "True",  # no usage reports sent from the bench
    }
    # BentoML bounds Starlette and uvicorn itself; numpy and pydantic are pinned as for all.
    bentoml_requirements = (f"bentoml=={BENTOML_VERSION}", "numpy", "pydantic")
    bentoml_unpinned = ("starlette", "uvicorn", "httptools", "uvloop")
    return {
        "handwritten": Peer(
            "handwritten",
            "hand-written",
            ("starlette", "uvicorn", "httptools", "uvloop", "orjson", "numpy"),
            lambda port: _uvicorn("handwritten:app", port, "--app-dir", app_dir),
        ),
        "handwritten-pydantic": Peer(
            "handwritten-pydantic",
            "hand-written + a pydantic model",
            ("starlette", "uvicorn", "httptools", "uvloop", "orjson", "numpy", "pydantic"),
            lambda port: _uvicorn("handwritten_pydantic:app", port, "--app-dir", app_dir),
            note="the hand-written server whose module also declares W3's body as a pydantic "
            "model, as every service with one does: a startup reference, not measured under "
            "load",
            startup_only=True,
        ),
        "fastapi": Peer(
            "fastapi",
            "FastAPI",
            ("fastapi", "uvicorn", "httptools", "uvloop", "numpy", "pydantic"),
            lambda port: _uvicorn("fastapi_app:app", port, "--app-dir", app_dir),
            unpinned=("starlette",),
        ),
        "dosirak": Peer(
            "dosirak",
            "dosirak",
            (),
            lambda port: [
                *("-m", "dosirak", "serve", DOSIRAK_TARGET, "--host", HOST, "--port", str(port)),
                *("--no-access-log", "--log-level", "warning"),
            ],
            {"DOSIRAK_HOME": str(venvs / "home")},
            note="`dosirak serve bench/services/dosirak_service.py:svc` (uvicorn, one worker, "
            "with dosirak's HTTP protocol: uvicorn's httptools one with less work per request); "
            "access log off",
        ),
        "bentoml": Peer(
            "bentoml",
            "BentoML (production)",
            bentoml_requirements,
            _bentoml(development=False),
            bentoml_env,
            bentoml_unpinned,
            venv="bentoml",
            note="`bentoml serve bentoml_service:svc --working-dir bench/services` (its "
            "default, production mode): an API server process (api_server.workers 1) and one "
            "process per runner, adaptive batching on; access log off; the whole process tree "
            "on the server core",
        ),
        "bentoml-dev": Peer(
            "bentoml-dev",
            "BentoML (development)",
            bentoml_requirements,
            _bentoml(development=True),
            bentoml_env,
            bentoml_unpinned,
            venv="bentoml",
            note="`bentoml serve --development`: one API server process running the runners in "
            "it (no adaptive batching); access log off",
        ),
    }


def select_peers(names: str, with_bentoml: bool, known: Sequence[str]) -> list[str]:
    """The peers to run, in order: ``names`` (comma-separated), then BentoML's when asked.

    >>> select_peers("handwritten,bentoml", True, ["handwritten", "bentoml", "bentoml-dev"])
    ['handwritten', 'bentoml', 'bentoml-dev']
    """
    chosen = _csv(names)
    if with_bentoml:
        chosen += [name for name in BENTOML_PEERS if name not in chosen]
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        raise SystemExit(f"unknown peers {unknown}; known: {sorted(known)}")
    duplicates = sorted({name for name in chosen if chosen.count(name) > 1})
    if duplicates:
        raise SystemExit(f"peers named twice: {duplicates}")
    if not chosen:
        raise SystemExit("no peers chosen")
    return chosen


# ---------------------------------------------------------------------------- venvs


def _say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def _run(argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(argv)}\n{result.stderr}")
    return result


def _dosirak_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in DOSIRAK_SOURCES:
        base = ROOT / name
        paths = [base] if base.is_file() else sorted(base.rglob("*"))
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _pip(python: Path, *args: str) -> None:
    _run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *args])


def _ensure_venv(path: Path, spec: dict[str, Any], install: Callable[[Path], None]) -> Path:
    """``path``'s interpreter, (re)creating the venv when ``spec`` changed."""
    python = path / "bin" / "python"
    marker = path / ".bench-spec.json"
    spec = {**spec, "python": sys.version}
    if python.exists() and marker.exists() and json.loads(marker.read_text()) == spec:
        return python
    _say(f"creating {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    shutil.rmtree(path, ignore_errors=True)
    _run([sys.executable, "-m", "venv", str(path)])
    install(python)
    marker.write_text(json.dumps(spec))
    return python


def _versions(python: Path, names: Sequence[str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    result = _run([str(python), "-c", code, *names], cwd=tempfile.gettempdir())
    return dict(json.loads(result.stdout))


def _install_checkout(python: Path, *pip_args: str) -> None:
    """pip-install a copy of this checkout (setuptools would write build/ into the tree)."""
    with tempfile.TemporaryDirectory(prefix="dosirak-src-") as tmp:
        for name in (*DOSIRAK_SOURCES, "README.md"):
            source, target = ROOT / name, Path(tmp) / name
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, target)
        _pip(python, *pip_args, tmp)


def dosirak_python(venvs: Path, given: str | None) -> Path:
    if given:
        return Path(given).absolute()  # not resolve(): a venv's python is a symlink
    path = venvs / "dosirak"
    fingerprint = _dosirak_fingerprint()
    # A change of pyproject.toml (its dependencies) makes a new venv; a change of code only
    # reinstalls dosirak.
    dependencies = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    python = path / "bin" / "python"
    marker = path / ".bench-spec.json"
    if python.exists() and marker.exists():
        spec = json.loads(marker.read_text())
        same_venv = spec.get("python") == sys.version and spec.get("dependencies") == dependencies
        if same_venv and spec.get("sources") != fingerprint:
            _say("reinstalling dosirak from this checkout into its bench venv")
            _install_checkout(python, "--no-deps", "--force-reinstall")
            marker.write_text(json.dumps({**spec, "sources": fingerprint}))
    return _ensure_venv(
        path,
        {"sources": fingerprint, "dependencies": dependencies},
        lambda py: _install_checkout(py, "--upgrade", "pip"),
    )


def requirements(peer: Peer, pins: dict[str, str]) -> list[str]:
    """What pip installs into ``peer``'s venv: its requirements, the shared ones pinned."""
    return [
        f"{name}=={pins[name]}" if name in pins and name not in peer.unpinned else name
        for name in sorted(peer.requirements)
    ]


def peer_python(venvs: Path, peer: Peer, pins: dict[str, str]) -> Path:
    wanted = requirements(peer, pins)
    return _ensure_venv(
        venvs / (peer.venv or peer.name),
        {"requirements": wanted},
        lambda py: _pip(py, "--upgrade", "pip", *wanted),
    )


# ---------------------------------------------------------------------------- servers


class PeerFailure(Exception):
    """A server that did not start, or answered wrongly: reported as a row, not measured."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def post(port: int, workload: Workload, timeout: float = 30.0) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Content-Type": workload.content_type, "Accept": workload.accept}
        connection.request("POST", workload.path, body=workload.body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    startup_s: float
    log: Path

    def off_core(self, cpu: int) -> list[int]:
        """The server's processes (its children too) allowed to run elsewhere than ``cpu``."""
        pids = [self.process.pid, *_descendants(self.process.pid)]
        off = []
        for pid in pids:
            try:
                if os.sched_getaffinity(pid) != {cpu}:
                    off.append(pid)
            except OSError:
                continue  # gone meanwhile
        return off

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server and its live descendants have used."""
        ticks = 0
        for pid in [self.process.pid, *_descendants(self.process.pid)]:
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        """VmRSS of the server and all its descendants."""
        pids = [self.process.pid, *_descendants(self.process.pid)]
        total = 0
        for pid in pids:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
            if match:
                total += int(match.group(1)) * 1024
        return total

    def stop(self) -> None:
        # A server may have worker processes (BentoML's runners): none may outlive it.
        descendants = [(pid, _start_time(pid)) for pid in _descendants(self.process.pid)]
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid, started in descendants:
            # The same process still (not a new one given a reused pid): kill it.
            if started is not None and _start_time(pid) == started:
                with contextlib.suppress(OSError):  # gone meanwhile, as it should be
                    os.kill(pid, signal.SIGKILL)


def _start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (None: no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def start(
    python: Path, peer: Peer, probe: Workload, cpu: int, workdir: Path, timeout: float = 120.0
) -> Server:
    """Start ``peer`` pinned to ``cpu``; return once ``probe`` is answered 200."""
    port = free_port()
    log = workdir / f"{peer.name}-{port}.log"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **peer.env}
    env.pop("PYTHONPATH", None)
    argv = ["taskset", "-c", str(cpu), str(python), *peer.argv(port)]
    with log.open("wb") as out:
        began = time.perf_counter()
        # cwd: a neutral folder, so that the checkout's dosirak/ never shadows the install.
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=workdir, env=env)
    server = Server(process, port, 0.0, log)
    while True:
        if process.poll() is not None:
            server.stop()
            raise _start_failure(peer, f"exited ({process.returncode}) before answering", log)
        if time.perf_counter() - began > timeout:
            server.stop()
            raise _start_failure(peer, f"not ready after {timeout:.0f} s", log)
        try:
            status, _ = post(port, probe, timeout=5.0)
        except OSError:
            time.sleep(0.005)
            continue
        if status == 200:
            server.startup_s = time.perf_counter() - began
            off = server.off_core(cpu)
            if off:
                server.stop()
                raise PeerFailure(f"processes {off} are not confined to CPU {cpu}")
            return server
        time.sleep(0.005)


def _start_failure(peer: Peer, reason: str, log: Path) -> PeerFailure:
    lines = log.read_text(errors="replace").splitlines()
    _say(f"{peer.label} {reason}; the end of its log:\n" + "\n".join(lines[-30:]))
    last = next((line.strip() for line in reversed(lines) if line.strip()), "")
    return PeerFailure(f"{reason}" + (f"; last log line: {last}" if last else ""))


def check_answer(port: int, workload: Workload) -> None:
    """Raise PeerFailure unless the server answers ``workload`` with the expected body."""
    try:
        status, body = post(port, workload)
    except OSError as exc:
        raise PeerFailure(f"no answer: {exc}") from None
    if status != 200:
        raise PeerFailure(f"HTTP {status}: {body[:300]!r}")
    try:
        workload.check(body)
    except AssertionError as exc:
        raise PeerFailure(f"wrong answer: {exc}") from None


# ---------------------------------------------------------------------------- wrk


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int = 0


_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    assert match, f"unexpected wrk latency {text!r}"
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if not rps:
        raise SystemExit(f"wrk gave no Requests/sec:\n{output}")
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.MULTILINE))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    total = re.search(r"^\s*(\d+) requests in", output, re.MULTILINE)
    count = int(total.group(1)) if total else 0
    # Requests/sec counts every answer; only the successful ones count here.
    ok_share = (count - min(errors, count)) / count if count else 0.0
    rate = float(rps.group(1)) * ok_share
    return WrkResult(rate, _ms(latency["50"]), _ms(latency["99"]), errors, count)


def wrk(port: int, workload: Workload, seconds: int, cpu: int, body_file: Path) -> WrkResult:
    argv = [
        "taskset",
        "-c",
        str(cpu),
        "wrk",
        "-t1",
        f"-c{workload.connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(POST_LUA),
        f"http://{HOST}:{port}{workload.path}",
    ]
    env = {
        **os.environ,
        "BENCH_BODY_FILE": str(body_file),
        "BENCH_CONTENT_TYPE": workload.content_type,
        "BENCH_ACCEPT": workload.accept,
    }
    result = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return parse_wrk(result.stdout)


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    _say("installing wrk with apt-get")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    _run([*sudo, "apt-get", "update", "-qq"])
    _run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"])


# ---------------------------------------------------------------------------- report


@dataclass
class Samples:
    """Raw samples by (peer, measure)."""

    values: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    errors: dict[tuple[str, str], int] = field(default_factory=dict)
    p99_ms: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    #: The server's CPU time per answered request, in microseconds.
    cpu_us: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    #: Why a measure was not taken (the server did not start, or answered wrongly).
    failures: dict[tuple[str, str], str] = field(default_factory=dict)
    #: The most CPU (share of one core) an idle server used while another was measured.
    idle_share: dict[str, float] = field(default_factory=dict)

    def add(self, peer: str, measure: str, value: float) -> None:
        self.values.setdefault((peer, measure), []).append(value)

    def fail(self, peer: str, measure: str, reason: str) -> None:
        self.failures.setdefault((peer, measure), reason)


def _fmt(value: float, unit: str) -> str:
    if unit == "req/s":
        return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
    if unit == "s":
        return f"{value:.2f}"
    return f"{value / 2**20:.0f}"  # MiB


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else "unknown"


def paired_ratio(values: Sequence[float], base: Sequence[float]) -> float:
    """The median of ``values[i] / base[i]`` (round by round); of medians if unpaired.

    >>> paired_ratio([10, 30, 20], [10, 10, 40])
    1.0
    """
    if len(values) != len(base) or not all(base):
        return statistics.median(values) / statistics.median(base)
    return statistics.median(v / b for v, b in zip(values, base, strict=True))


def report(
    samples: Samples,
    order: Sequence[Peer],
    loads: Sequence[Workload],
    args: argparse.Namespace,
    versions: dict[str, dict[str, str]],
) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    wrk_output = (
        subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout
        if shutil.which("wrk")
        else ""
    )
    wrk_version = wrk_output.splitlines()[0].split(" [")[0] if wrk_output else "wrk"
    lines = [
        "# dosirak bench results",
        "",
        f"- date: {now}",
        f"- machine: {os.cpu_count()} CPUs (nproc), {_cpu_model()}, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"{wrk_version}",
        "- method: each server on uvicorn (httptools, uvloop), 1 worker, "
        f"`taskset -c {args.server_cpu}`; "
        f"wrk -t1 on `taskset -c {args.client_cpu}`; {HOST}; {args.rounds} round(s), "
        "in each every workload measured on each peer in turn (all servers up, the "
        f"order turning by one each round), {args.duration} s after a {args.warmup} s "
        "warm-up; "
        f"startup: median of {args.starts} start(s) after one discarded start; "
        "RSS after each round's load (VmRSS, server and children)",
        f"- command: `python bench/run.py {shlex.join(sys.argv[1:])}`",
    ]
    if samples.idle_share:
        busiest = max(samples.idle_share, key=lambda name: samples.idle_share[name])
        label = next((p.label for p in order if p.name == busiest), busiest)
        lines.append(
            "- idle servers while another was measured: at most "
            f"{100 * samples.idle_share[busiest]:.1f}% of the server core ({label})"
        )
    for peer in order:
        pinned = ", ".join(f"{k} {v}" for k, v in sorted(versions.get(peer.name, {}).items()))
        lines.append(
            f"- {peer.label}: {pinned}" + (f"; served by {peer.note}" if peer.note else "")
        )
    lines += [
        "",
        "Requests/s: higher is better; startup and RSS: lower is better. The ratio is the "
        "median over rounds of the peer's figure over the hand-written server's in the same "
        "round (for W2 x-npy: its W2 JSON figure), so that a slow spell on the machine "
        "moves both sides of a ratio. Server CPU: "
        "the server's CPU time (all its processes) per answered request, the median over "
        "rounds; less noisy than req/s on a shared machine.",
        "",
        "| measure | peer | median | min-max | ratio to hand-written | p99 ms | errors "
        "| server CPU µs/req |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows: list[tuple[str, str, str, Sequence[Peer]]] = [
        (w.key, f"{w.title} (req/s, c={w.connections})", "req/s", order) for w in loads
    ]
    rows.append(("startup", "startup to first answer (s)", "s", order))
    rows.append(("rss", "RSS after load (MiB)", "MiB", order))
    baselines = {w.key: w.baseline for w in loads} | {"startup": "startup", "rss": "rss"}
    notes: list[str] = []
    for measure, title, unit, row_peers in rows:
        base = samples.values.get(("handwritten", baselines[measure]))
        for peer in row_peers:
            failure = samples.failures.get((peer.name, measure))
            if failure is not None:
                notes.append(f"{len(notes) + 1}. {peer.label}, {title}: {failure}")
                lines.append(f"| {title} | {peer.label} | **failed** ({len(notes)}) | | | | | |")
                continue
            values = samples.values.get((peer.name, measure))
            if not values:
                continue
            median = statistics.median(values)
            ratio = f"{paired_ratio(values, base):.2f}" if base else "-"
            spread = f"{_fmt(min(values), unit)}-{_fmt(max(values), unit)}"
            p99 = samples.p99_ms.get((peer.name, measure))
            p99_text = f"{statistics.median(p99):.1f}" if p99 else ""
            errors = samples.errors.get((peer.name, measure))
            errors_text = "" if errors is None else ("0" if errors == 0 else f"**{errors}**")
            cpu = samples.cpu_us.get((peer.name, measure))
            cpu_text = f"{statistics.median(cpu):,.0f}" if cpu else ""
            lines.append(
                f"| {title} | {peer.label} | {_fmt(median, unit)} | {spread} | {ratio} "
                f"| {p99_text} | {errors_text} | {cpu_text} |"
            )
    if notes:
        lines += ["", "Failed (no figure given for these):", "", *notes]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- main


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--starts", type=int, default=5, help="measured starts per peer")
    parser.add_argument(
        "--peers",
        default=",".join(DEFAULT_PEERS),
        help="comma-separated, in this order; also known: " + ", ".join(BENTOML_PEERS),
    )
    parser.add_argument("--workloads", default="w1,w2json,w2npy,w3,w4")
    parser.add_argument(
        "--with-bentoml",
        action="store_true",
        help=f"also BentoML {BENTOML_VERSION}, production and development mode "
        "(its venv needs the network on first use)",
    )
    parser.add_argument("--out", type=Path, default=BENCH / "results.md")
    parser.add_argument("--venvs", type=Path, default=BENCH / ".venvs")
    parser.add_argument(
        "--dosirak-python",
        help="serve dosirak with this interpreter's install instead of a venv built from "
        "this checkout (say: .venv/bin/python)",
    )
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    available = sorted(os.sched_getaffinity(0))
    for cpu in (args.server_cpu, args.client_cpu):
        if cpu not in available:
            raise SystemExit(f"CPU {cpu} is not available here (have {available})")
    if args.server_cpu == args.client_cpu:
        raise SystemExit("--server-cpu and --client-cpu must differ")
    # The harness itself stays off the server's core.
    os.sched_setaffinity(0, {args.client_cpu})
    ensure_wrk()

    venvs: Path = args.venvs.resolve()
    venvs.mkdir(parents=True, exist_ok=True)
    (venvs / ".gitignore").write_text("# made by bench/run.py: nothing here is tracked\n*\n")
    all_peers = peers(venvs)
    order = [
        all_peers[name] for name in select_peers(args.peers, args.with_bentoml, list(all_peers))
    ]
    all_loads = {w.key: w for w in workloads()}
    unknown = set(_csv(args.workloads)) - set(all_loads)
    if unknown:
        raise SystemExit(f"unknown workloads {sorted(unknown)}; known: {sorted(all_loads)}")
    names = {p.name for p in order}
    loads = [
        all_loads[key]
        for key in _csv(args.workloads)
        if any(all_loads[key].runs(name) for name in names)
    ]
    probe = all_loads["w1"]

    pythons: dict[str, Path] = {}
    dosirak_py = dosirak_python(venvs, args.dosirak_python)
    pins = _versions(dosirak_py, SHARED)
    for peer in order:
        pythons[peer.name] = (
            dosirak_py if peer.name == "dosirak" else peer_python(venvs, peer, pins)
        )
    versions = {
        peer.name: _versions(pythons[peer.name], [*SHARED, "fastapi", "bentoml", "dosirak"])
        for peer in order
    }

    samples = Samples()
    with tempfile.TemporaryDirectory(prefix="dosirak-bench-") as tmp:
        workdir = Path(tmp)
        bodies = {}
        for workload in loads:
            bodies[workload.key] = workdir / f"{workload.key}.body"
            bodies[workload.key].write_bytes(workload.body)

        # A peer that does not start is not measured; its rows say why.
        broken: dict[str, str] = {}

        def launch(peer: Peer) -> Server | None:
            if peer.name in broken:
                return None
            try:
                return start(pythons[peer.name], peer, probe, args.server_cpu, workdir)
            except PeerFailure as exc:
                broken[peer.name] = f"did not start: {exc}"
                return None

        def measure(
            name: str, server: Server, workload: Workload, round_: int, others: dict[str, Server]
        ) -> None:
            key = (name, workload.key)
            if not workload.runs(name) or key in samples.failures or name in broken:
                return
            label = all_peers[name].label
            try:
                check_answer(server.port, workload)
            except PeerFailure as exc:
                _say(f"{label} {workload.key}: {exc}; not measured")
                samples.fail(name, workload.key, str(exc))
                return
            body_file = bodies[workload.key]
            if args.warmup > 0:
                wrk(server.port, workload, args.warmup, args.client_cpu, body_file)
            idle_before = {n: s.cpu_seconds() for n, s in others.items() if n != name}
            cpu_before = server.cpu_seconds()
            result = wrk(server.port, workload, args.duration, args.client_cpu, body_file)
            cpu = server.cpu_seconds() - cpu_before
            for other, before in idle_before.items():
                share = (others[other].cpu_seconds() - before) / args.duration
                samples.idle_share[other] = max(samples.idle_share.get(other, 0.0), share)
            samples.add(name, workload.key, result.requests_per_s)
            samples.p99_ms.setdefault(key, []).append(result.p99_ms)
            if result.requests:
                samples.cpu_us.setdefault(key, []).append(cpu / result.requests * 1e6)
            samples.errors[key] = samples.errors.get(key, 0) + result.errors
            _say(
                f"round {round_}/{args.rounds} {label} {workload.key}: "
                f"{result.requests_per_s:,.0f} req/s, p99 {result.p99_ms:.1f} ms"
                + (f", {result.errors} errors" if result.errors else "")
            )

        _say(f"startup: one discarded start, then {args.starts} per peer, interleaved")
        for round_ in range(args.starts + 1):
            for peer in order:
                server = launch(peer)
                if server is None:
                    continue
                server.stop()
                if round_ > 0:
                    samples.add(peer.name, "startup", server.startup_s)

        measured = [peer for peer in order if not peer.startup_only]
        for round_ in range(1, args.rounds + 1):
            # Every server of the round runs at once (idle ones on the same core cost
            # nothing, which is checked), so that each workload is measured on all peers
            # one right after the other: a noisy spell on this shared machine then falls
            # on neighbouring measurements of different peers, not on one peer's whole
            # round. The order turns by one each round.
            turn = (round_ - 1) % max(1, len(measured))
            servers: dict[str, Server] = {}
            try:
                for peer in measured[turn:] + measured[:turn]:
                    server = launch(peer)
                    if server is not None:
                        servers[peer.name] = server
                for workload in loads:
                    for name, server in servers.items():
                        measure(name, server, workload, round_, servers)
                for name, server in servers.items():
                    samples.add(name, "rss", server.rss_bytes())
                    off = server.off_core(args.server_cpu)
                    if off:  # a process started under load escaped the server core
                        broken[name] = f"processes {off} are not confined to CPU {args.server_cpu}"
            finally:
                for server in servers.values():
                    server.stop()

    for peer in order:
        if peer.name in broken:
            measures = ["startup"]
            if not peer.startup_only:
                measures += [w.key for w in loads if w.runs(peer.name)] + ["rss"]
            for measure in measures:
                samples.fail(peer.name, measure, broken[peer.name])

    table = report(samples, order, loads, args, versions)
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table)
    raw = {f"{peer}/{measure}": values for (peer, measure), values in samples.values.items()}
    out.with_suffix(".json").write_text(json.dumps(raw, indent=2) + "\n")
    print(table)
    if samples.failures:
        _say(f"{len(samples.failures)} measure(s) not taken: see the notes under the table")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
