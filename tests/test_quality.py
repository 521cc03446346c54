"""Our own code is ruff-clean and passes mypy --strict, as the generated code does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUR_CODE = ["dosirak", "codegen", "runtime", "templates", "samples", "tests", "bench"]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def test_ruff_check() -> None:
    result = _run(sys.executable, "-m", "ruff", "check", *OUR_CODE, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = _run(sys.executable, "-m", "ruff", "format", "--check", *OUR_CODE, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict(tmp_path: Path) -> None:
    # Run outside the checkout so mypy sees the installed package, as a user's tools do.
    mypy = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")]
    mypy += ["--cache-dir", str(tmp_path / "cache")]
    package = _run(*mypy, "-p", "dosirak", cwd=tmp_path)
    assert package.returncode == 0, package.stdout + package.stderr
    for sample in sorted((ROOT / "samples").glob("*/service.py")):
        result = _run(*mypy, str(sample), cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
