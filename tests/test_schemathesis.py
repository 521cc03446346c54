"""Interoperability: schemathesis runs every check against every sample, zero failures."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import ROOT, SAMPLES, Served

SAMPLE_TARGETS = sorted(f"{path}:svc" for path in SAMPLES.glob("*/service.py"))


@pytest.mark.parametrize("target", SAMPLE_TARGETS, ids=lambda t: Path(t).parent.name)
def test_schemathesis_finds_nothing(
    serve_target: Callable[[str], Served], target: str, tmp_path: Path
) -> None:
    served = serve_target(target)
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            f"{served.base_url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "40",
            "--seed",
            "20261126",
            "--generation-deterministic",
            "--no-color",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
