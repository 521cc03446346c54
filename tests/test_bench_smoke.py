"""The bench command still runs: a tiny run of it produces a table with numbers.

No timed assertions: the figures are whatever this machine gives. The hand-written
server's venv is created under bench/.venvs/ on first use and reused; dosirak is served
from the interpreter running the tests, that is from this checkout.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench" / "run.py"


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
