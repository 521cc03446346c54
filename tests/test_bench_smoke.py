"""The bench command still runs: a tiny run of it produces a table with numbers.

No timed assertions: the figures are whatever this machine gives. The hand-written
server's venv is created under bench/.venvs/ on first use and reused; dosirak is served
from the interpreter running the tests, that is from this checkout. The harness's pure
parts (peer selection, pins, the report's failure rows, the answer check) are tested
without the network; nothing here installs BentoML.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "run.py"


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_run", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


bench = _load_bench()
KNOWN = list(bench.peers(Path("/nonexistent")))


def test_bentoml_runs_only_when_asked() -> None:
    args = bench.parse_args([])
    assert bench.select_peers(args.peers, args.with_bentoml, KNOWN) == [
        "handwritten",
        "handwritten-pydantic",
        "fastapi",
        "dosirak",
    ]
    with_flag = bench.parse_args(["--peers", "handwritten,bentoml", "--with-bentoml"])
    assert bench.select_peers(with_flag.peers, with_flag.with_bentoml, KNOWN) == [
        "handwritten",
        "bentoml",
        "bentoml-dev",
    ]
    assert bench.select_peers("bentoml-dev,handwritten", False, KNOWN) == [
        "bentoml-dev",
        "handwritten",
    ]


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ("handwritten,bento", "unknown peers ['bento']"),
        ("dosirak,dosirak", "peers named twice: ['dosirak']"),
        (" , ", "no peers chosen"),
    ],
)
def test_bad_peer_choices_are_refused(names: str, message: str) -> None:
    with pytest.raises(SystemExit, match=re.escape(message)):
        bench.select_peers(names, False, KNOWN)


def test_the_startup_reference_is_the_hand_written_app_with_a_pydantic_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import BaseModel

    peer = bench.peers(Path("/venvs"))["handwritten-pydantic"]
    assert peer.startup_only
    assert "pydantic" in peer.requirements
    assert "handwritten_pydantic:app" in peer.argv(8000)
    monkeypatch.syspath_prepend(str(ROOT / "bench" / "peers"))
    reference = importlib.import_module("handwritten_pydantic")
    assert reference.app is importlib.import_module("handwritten").app
    assert issubclass(reference.Order, BaseModel)


def test_bentoml_peers_share_a_pinned_venv_and_differ_by_mode() -> None:
    all_peers = bench.peers(Path("/venvs"))
    production, development = all_peers["bentoml"], all_peers["bentoml-dev"]
    assert production.venv == development.venv == "bentoml"
    pins = {"numpy": "2.0.0", "pydantic": "2.9.0", "starlette": "0.40.0", "uvicorn": "0.30.0"}
    assert bench.requirements(production, pins) == [
        f"bentoml=={bench.BENTOML_VERSION}",
        "numpy==2.0.0",
        "pydantic==2.9.0",
    ]
    assert "--development" not in production.argv(8000)
    assert development.argv(8000)[-1] == "--development"
    assert production.argv(8000)[:4] == ["-m", "bentoml", "serve", "bentoml_service:svc"]
    assert production.env["BENTOML_CONFIG"].endswith("bentoml_configuration.yaml")
    # The hand-written server is pinned throughout.
    assert "starlette==0.40.0" in bench.requirements(all_peers["handwritten"], pins)
    w4 = next(w for w in bench.workloads() if w.key == "w4")
    assert w4.runs("bentoml") and w4.runs("bentoml-dev") and not w4.runs("fastapi")


def test_a_failed_measure_is_a_row_with_its_reason() -> None:
    all_peers = bench.peers(Path("/venvs"))
    order = [all_peers["handwritten"], all_peers["bentoml"]]
    loads = [w for w in bench.workloads() if w.key in ("w1", "w2json")]
    samples = bench.Samples()
    for peer in ("handwritten", "bentoml"):
        samples.add(peer, "w1", 100.0)
        samples.add(peer, "startup", 1.0)
        samples.add(peer, "rss", 2.0**26)
    samples.add("handwritten", "w2json", 50.0)
    samples.fail("bentoml", "w2json", "no answer: timed out")
    args = argparse.Namespace(server_cpu=0, client_cpu=1, rounds=1, duration=1, warmup=0, starts=1)
    table = bench.report(samples, order, loads, args, {"bentoml": {"bentoml": "1.4"}})
    row = next(line for line in table.splitlines() if "W2" in line and "BentoML" in line)
    assert "**failed** (1)" in row
    assert (
        "1. BentoML (production), W2 row sums 1000x100 JSON (req/s, c=4): no answer: timed out"
        in table
    )
    assert "served by `bentoml serve" in table  # how it runs, beside its versions


class _Canned(BaseHTTPRequestHandler):
    answers: ClassVar[dict[str, tuple[int, bytes]]] = {
        "/classify": (200, b"[0]"),
        "/order": (200, b"[2]"),
        "/row_sums": (500, b"boom"),
    }

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        status, body = self.answers[self.path]
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet


@pytest.fixture
def canned_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_answers_are_checked_before_measuring(canned_port: int) -> None:
    loads = {w.key: w for w in bench.workloads()}
    bench.check_answer(canned_port, loads["w1"])  # right: no error
    with pytest.raises(bench.PeerFailure, match=r"^wrong answer: "):
        bench.check_answer(canned_port, loads["w3"])
    with pytest.raises(bench.PeerFailure, match=r"^HTTP 500: b'boom'"):
        bench.check_answer(canned_port, loads["w2json"])
    with pytest.raises(bench.PeerFailure, match=r"^no answer: "):
        bench.check_answer(bench.free_port(), loads["w1"])


@pytest.mark.slow
def test_bench_command_produces_a_table(tmp_path: Path) -> None:
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    assert not missing, f"{missing} missing: `./run test` installs them (apt-get install wrk)"
    out = tmp_path / "results.md"
    command = [
        sys.executable, str(BENCH), "--duration", "1", "--warmup", "0", "--rounds", "1",
        "--starts", "1", "--workloads", "w1", "--peers", "handwritten,dosirak",
        "--dosirak-python", sys.executable, "--out", str(out),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    table = out.read_text()
    assert table in result.stdout  # printed as well as written
    assert re.search(r"^- machine: \d+ CPUs", table, re.MULTILINE)
    rows = [line for line in table.splitlines() if line.startswith("| ")][2:]
    measures = {line.split(" | ")[0].removeprefix("| ") for line in rows}
    assert any(m.startswith("W1 ") for m in measures)
    assert "startup to first answer (s)" in measures
    assert "RSS after load (MiB)" in measures
    for line in rows:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        median, spread, ratio = cells[2], cells[3], cells[4]
        assert float(median.replace(",", "")) > 0, line
        assert re.fullmatch(r"[\d.,]+-[\d.,]+", spread), line
        assert re.fullmatch(r"\d+\.\d\d", ratio), line
    for peer in ("hand-written", "dosirak"):
        assert any(f"| {peer} |" in line for line in rows), peer
    assert (out.with_suffix(".json")).is_file()
    # Both servers were up at once; the idle one's CPU meanwhile is reported.
    assert re.search(r"^- idle servers while another was measured: at most [\d.]+%", table, re.M)


@pytest.mark.slow
def test_startup_timeline_names_each_phase() -> None:
    command = [sys.executable, str(BENCH.parent / "startup_timeline.py"), "--starts", "1"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    cells = [
        [cell.strip() for cell in line.strip("|").rsplit("|", 1)]
        for line in result.stdout.splitlines()
        if line.startswith("| ") and not line.startswith("| ---")
    ]
    rows = {name: value for name, value in cells}
    assert list(rows)[:3] == [
        "phase ends",
        "interpreter up",
        "import dosirak (with numpy, pydantic, starlette)",
    ]
    assert "numpy" in rows  # the import table
    assert float(rows["first answer"]) > float(rows["interpreter up"]) > 0
    assert re.search(r"^collector passes before ready: \d+", result.stdout, re.MULTILINE)


def test_ratios_pair_the_rounds() -> None:
    # Round by round: 1.0, 3.0, 0.5 -> 1.0 (the ratio of the medians would say 20/10 = 2.0).
    assert bench.paired_ratio([10, 30, 20], [10, 10, 40]) == 1.0
    # Unpaired (a peer missed a round): the medians' ratio.
    assert bench.paired_ratio([10, 30], [10, 10, 40]) == 2.0


def test_batching_overhead_reports_a_cost_per_request() -> None:
    command = [
        sys.executable,
        str(BENCH.parent / "batching_overhead.py"),
        *("--concurrency", "8", "--batches", "10", "--repeats", "1"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"^batching layer: ([\d.]+) µs per request", result.stdout, re.MULTILINE)
    assert found and float(found.group(1)) > 0, result.stdout
