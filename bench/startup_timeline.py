"""Where a `dosirak serve` start spends its time: phases, collector passes, imports.

    python bench/startup_timeline.py [--starts 10] [--python PATH] [--cpu 0]

Starts the bench's dosirak service (``bench/services/dosirak_service.py``) ``--starts``
times, pinned to one core, each in a fresh interpreter that notes when each phase of its
start ends, until a W1 request is answered; prints the median of each as a markdown table,
then the import time by top-level package (``-X importtime``, self times, one more start).
``--python`` picks the interpreter (default: this one; ``bench/.venvs/dosirak/bin/python``
is what bench/run.py measures). Only the standard library is needed here.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
TARGET = f"{BENCH / 'services' / 'dosirak_service.py'}:svc"
#: The server it starts: `dosirak serve` with marks (kept apart, so that nothing this
#: script imports is counted in a start).
CHILD = BENCH / "startup_child.py"
BODY = b"[[5.1,3.5,1.4,0.2]]"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answered(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("POST", "/classify", BODY, {"Content-Type": "application/json"})
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _start(python: str, cpu: int | None, *flags: str) -> tuple[float, dict[str, Any], str]:
    """One start: seconds to the first answer, the child's marks, its stderr."""
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "marks.json")
        pin = ["taskset", "-c", str(cpu)] if cpu is not None and shutil.which("taskset") else []
        started_at = time.time()
        argv = [*pin, python, *flags, str(CHILD), repr(started_at), out, str(port)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(argv, stderr=subprocess.PIPE, cwd=tmp, env=env)
        answered = None
        try:
            while process.poll() is None and time.time() - started_at < 120:
                if _answered(port):
                    answered = time.time() - started_at
                    break
                time.sleep(0.002)
        finally:
            process.terminate()
            err = process.communicate()[1].decode(errors="replace")
        if answered is None:
            raise SystemExit(f"the server did not answer; its output:\n{err}")
        return answered, json.loads(Path(out).read_text()), err


def _import_self_times(stderr: str) -> collections.Counter[str]:
    """Microseconds of ``-X importtime`` self time, by top-level package."""
    totals: collections.Counter[str] = collections.Counter()
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _, name = line.removeprefix("import time:").split("|", 2)
        totals[name.strip().split(".")[0]] += int(self_us)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--cpu", type=int, default=0, help="the core to pin to (-1: none)")
    args = parser.parse_args()
    cpu = None if args.cpu < 0 else args.cpu
    args.python = str(Path(args.python).absolute())  # not resolved: a venv's is a symlink
    _start(args.python, cpu)  # discarded: the first start writes the generated-code cache
    runs = [_start(args.python, cpu) for _ in range(args.starts)]
    rows: dict[str, list[float]] = {}
    for answered, child, _ in runs:
        for name, at in child["marks"]:
            rows.setdefault(name, []).append(at)
        for name, seconds in child["spent"].items():
            rows.setdefault(f"... of which: {name}", []).append(seconds)
        rows.setdefault("first answer", []).append(answered)
    print(f"`dosirak serve` of {TARGET}, median of {args.starts} starts\n")
    print("| phase ends | ms from process start |\n| --- | ---: |")
    for name, values in rows.items():
        text = f"{name} (lasted)" if name.startswith("...") else name
        print(f"| {text} | {1000 * statistics.median(values):.0f} |")
    passes = statistics.median(child["passes"] for _, child, _ in runs)
    gc_ms = 1000 * statistics.median(child["gc"] for _, child, _ in runs)
    print(f"\ncollector passes before ready: {passes:.0f}, {gc_ms:.1f} ms")
    _, _, err = _start(args.python, cpu, "-X", "importtime")
    print("\n| package | import self time ms (-X importtime, one start) |\n| --- | ---: |")
    for package, micros in _import_self_times(err).most_common(12):
        print(f"| {package} | {micros / 1000:.1f} |")


if __name__ == "__main__":
    main()
