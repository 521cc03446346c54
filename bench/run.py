"""Benchmark dosirak against a hand-written Starlette + orjson server and FastAPI.

    python bench/run.py [--duration 10] [--rounds 3] [--peers handwritten,fastapi,dosirak]
                        [--workloads w1,w2json,w2npy,w3] [--out bench/results.md]

Each peer runs in its own venv under ``bench/.venvs/`` (created on first use, reused while
its requirements stay the same; dosirak's is reinstalled from this checkout whenever its
sources change). Each server runs on uvicorn, one worker, pinned to one core
(``taskset -c 0``); wrk runs on the other (``taskset -c 1``), on 127.0.0.1. Rounds are
interleaved (A B C A B C ...), each workload has a warm-up before it is measured, and
every server's answers are checked before it is measured. The result is a markdown table
of medians, min-max and ratios to the hand-written server, written to ``--out`` and printed;
the raw samples go next to it as JSON. Only the standard library is needed here.
"""

from __future__ import annotations

import argparse
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
#: What the dosirak venv is installed from: a change here reinstalls it.
DOSIRAK_SOURCES = ("pyproject.toml", "dosirak", "codegen", "runtime", "templates")
#: Packages every peer shares; the peers are pinned to the versions in dosirak's venv.
SHARED = ("numpy", "orjson", "pydantic", "starlette", "uvicorn")

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
            peers=("handwritten", "dosirak"),
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


def peers(venvs: Path) -> dict[str, Peer]:
    app_dir = str(BENCH / "peers")
    dosirak_env = {"DOSIRAK_SERVE_TARGET": DOSIRAK_TARGET, "DOSIRAK_HOME": str(venvs / "home")}
    return {
        "handwritten": Peer(
            "handwritten",
            "hand-written",
            ("starlette", "uvicorn", "orjson", "numpy"),
            lambda port: _uvicorn("handwritten:app", port, "--app-dir", app_dir),
        ),
        "fastapi": Peer(
            "fastapi",
            "FastAPI",
            ("fastapi", "uvicorn", "numpy", "pydantic"),
            lambda port: _uvicorn("fastapi_app:app", port, "--app-dir", app_dir),
        ),
        "dosirak": Peer(
            "dosirak",
            "dosirak",
            (),
            lambda port: _uvicorn("dosirak.runtime.server:create_app", port, "--factory"),
            dosirak_env,
        ),
    }


#: Startup only: dosirak through its own command, which checks the service before serving.
def dosirak_cli(venvs: Path) -> Peer:
    return Peer(
        "dosirak-cli",
        "dosirak (`dosirak serve`)",
        (),
        lambda port: ["-m", "dosirak", "serve", DOSIRAK_TARGET, "--port", str(port)],
        {"DOSIRAK_HOME": str(venvs / "home")},
    )


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


def peer_python(venvs: Path, peer: Peer, pins: dict[str, str]) -> Path:
    wanted = sorted(peer.requirements)
    # FastAPI bounds Starlette itself: leave that one to it.
    requirements = [
        f"{name}=={pins[name]}"
        if name in pins and not (peer.name == "fastapi" and name == "starlette")
        else name
        for name in wanted
    ]
    return _ensure_venv(
        venvs / peer.name,
        {"requirements": requirements},
        lambda py: _pip(py, "--upgrade", "pip", *requirements),
    )


# ---------------------------------------------------------------------------- servers


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
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


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
            raise SystemExit(f"{peer.label} exited ({process.returncode}):\n{log.read_text()}")
        if time.perf_counter() - began > timeout:
            server.stop()
            raise SystemExit(f"{peer.label} not ready after {timeout:.0f} s:\n{log.read_text()}")
        try:
            status, _ = post(port, probe, timeout=5.0)
        except OSError:
            time.sleep(0.005)
            continue
        if status == 200:
            server.startup_s = time.perf_counter() - began
            return server
        time.sleep(0.005)


# ---------------------------------------------------------------------------- wrk


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


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
    return WrkResult(rate, _ms(latency["50"]), _ms(latency["99"]), errors)


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

    def add(self, peer: str, measure: str, value: float) -> None:
        self.values.setdefault((peer, measure), []).append(value)


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


def report(
    samples: Samples,
    order: Sequence[Peer],
    loads: Sequence[Workload],
    startup_peers: Sequence[Peer],
    args: argparse.Namespace,
    versions: dict[str, dict[str, str]],
) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    lines = [
        "# dosirak bench results",
        "",
        f"- date: {now}",
        f"- machine: {os.cpu_count()} CPUs (nproc), {_cpu_model()}, "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"{wrk_version.stdout.splitlines()[0].split(' [')[0] if wrk_version.stdout else 'wrk'}",
        f"- method: each server on uvicorn, 1 worker, `taskset -c {args.server_cpu}`; "
        f"wrk -t1 on `taskset -c {args.client_cpu}`; {HOST}; {args.rounds} interleaved "
        f"round(s) of {args.duration} s per workload after a {args.warmup} s warm-up; "
        f"startup: median of {args.starts} start(s) after one discarded start; "
        "RSS after each round's load (VmRSS, server and children)",
        f"- command: `python bench/run.py {shlex.join(sys.argv[1:])}`",
    ]
    for peer in order:
        pinned = ", ".join(f"{k} {v}" for k, v in sorted(versions.get(peer.name, {}).items()))
        lines.append(f"- {peer.label}: {pinned}")
    lines += [
        "",
        "Requests/s: higher is better; startup and RSS: lower is better. The ratio is to the "
        "hand-written server's median (for W2 x-npy: to its W2 JSON figure).",
        "",
        "| measure | peer | median | min-max | ratio to hand-written | p99 ms | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows: list[tuple[str, str, str, Sequence[Peer]]] = [
        (w.key, f"{w.title} (req/s, c={w.connections})", "req/s", order) for w in loads
    ]
    rows.append(("startup", "startup to first answer (s)", "s", startup_peers))
    rows.append(("rss", "RSS after load (MiB)", "MiB", order))
    baselines = {w.key: w.baseline for w in loads} | {"startup": "startup", "rss": "rss"}
    for measure, title, unit, row_peers in rows:
        base = samples.values.get(("handwritten", baselines[measure]))
        for peer in row_peers:
            values = samples.values.get((peer.name, measure))
            if not values:
                continue
            median = statistics.median(values)
            ratio = f"{median / statistics.median(base):.2f}" if base else "-"
            spread = f"{_fmt(min(values), unit)}-{_fmt(max(values), unit)}"
            p99 = samples.p99_ms.get((peer.name, measure))
            p99_text = f"{statistics.median(p99):.1f}" if p99 else ""
            errors = samples.errors.get((peer.name, measure))
            errors_text = "" if errors is None else ("0" if errors == 0 else f"**{errors}**")
            lines.append(
                f"| {title} | {peer.label} | {_fmt(median, unit)} | {spread} | {ratio} "
                f"| {p99_text} | {errors_text} |"
            )
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
    parser.add_argument("--peers", default="handwritten,fastapi,dosirak")
    parser.add_argument("--workloads", default="w1,w2json,w2npy,w3,w4")
    parser.add_argument("--with-bentoml", action="store_true", help="also BentoML (not yet)")
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
    if args.with_bentoml:
        raise SystemExit("--with-bentoml: BentoML is not wired into the bench yet")
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
    unknown = set(_csv(args.peers)) - set(all_peers)
    if unknown:
        raise SystemExit(f"unknown peers {sorted(unknown)}; known: {sorted(all_peers)}")
    order = [all_peers[name] for name in _csv(args.peers)]
    all_loads = {w.key: w for w in workloads()}
    unknown = set(_csv(args.workloads)) - set(all_loads)
    if unknown:
        raise SystemExit(f"unknown workloads {sorted(unknown)}; known: {sorted(all_loads)}")
    names = {p.name for p in order}
    loads = [
        all_loads[key]
        for key in _csv(args.workloads)
        if all_loads[key].peers is None or names & set(all_loads[key].peers or ())
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
        peer.name: _versions(pythons[peer.name], [*SHARED, "fastapi", "dosirak"]) for peer in order
    }
    startup_peers = list(order)
    if "dosirak" in names:
        startup_peers.append(dosirak_cli(venvs))
        pythons["dosirak-cli"] = dosirak_py

    samples = Samples()
    with tempfile.TemporaryDirectory(prefix="dosirak-bench-") as tmp:
        workdir = Path(tmp)
        bodies = {}
        for workload in loads:
            bodies[workload.key] = workdir / f"{workload.key}.body"
            bodies[workload.key].write_bytes(workload.body)

        _say(f"startup: one discarded start, then {args.starts} per peer, interleaved")
        for round_ in range(args.starts + 1):
            for peer in startup_peers:
                server = start(pythons[peer.name], peer, probe, args.server_cpu, workdir)
                server.stop()
                if round_ > 0:
                    samples.add(peer.name, "startup", server.startup_s)

        for round_ in range(1, args.rounds + 1):
            for peer in order:
                server = start(pythons[peer.name], peer, probe, args.server_cpu, workdir)
                try:
                    for workload in loads:
                        if workload.peers is not None and peer.name not in workload.peers:
                            continue
                        status, body = post(server.port, workload)
                        if status != 200:
                            raise SystemExit(
                                f"{peer.label} {workload.key}: HTTP {status}: {body[:500]!r}"
                            )
                        try:
                            workload.check(body)
                        except AssertionError as exc:
                            raise SystemExit(
                                f"{peer.label} {workload.key}: wrong answer: {exc}"
                            ) from None
                        body_file = bodies[workload.key]
                        if args.warmup > 0:
                            wrk(server.port, workload, args.warmup, args.client_cpu, body_file)
                        result = wrk(
                            server.port, workload, args.duration, args.client_cpu, body_file
                        )
                        key = (peer.name, workload.key)
                        samples.add(peer.name, workload.key, result.requests_per_s)
                        samples.p99_ms.setdefault(key, []).append(result.p99_ms)
                        samples.errors[key] = samples.errors.get(key, 0) + result.errors
                        _say(
                            f"round {round_}/{args.rounds} {peer.label} {workload.key}: "
                            f"{result.requests_per_s:,.0f} req/s, p99 {result.p99_ms:.1f} ms"
                            + (f", {result.errors} errors" if result.errors else "")
                        )
                    samples.add(peer.name, "rss", server.rss_bytes())
                finally:
                    server.stop()

    table = report(samples, order, loads, startup_peers, args, versions)
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table)
    raw = {f"{peer}/{measure}": values for (peer, measure), values in samples.values.items()}
    out.with_suffix(".json").write_text(json.dumps(raw, indent=2) + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
