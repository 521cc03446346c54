"""What the model-store tests share: a fresh ``DOSIRAK_HOME``, the environment of the
processes they start, and a picklable model.

A test module takes the fixture by importing it under its own name::

    from ._model_helpers import home as home
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from .conftest import ROOT

__all__ = ["Doubler", "home", "run_python", "store_env"]


class Doubler:
    """A picklable model: importable as ``tests._model_helpers.Doubler`` in every process
    that `store_env` starts."""

    def __call__(self, values: list[float]) -> list[float]:
        return [2 * v for v in values]

    def halve(self, values: list[float]) -> list[float]:
        return [v / 2 for v in values]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty ``DOSIRAK_HOME`` for this test: its store is ``home / "models"``."""
    monkeypatch.setenv("DOSIRAK_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def store_env(home: Path) -> dict[str, str]:
    """The environment for a child process that uses the store under ``home`` and can
    import ``tests.*`` (the checkout first on its path, then what the caller's path holds)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "DOSIRAK_HOME": str(home), "PYTHONPATH": path}


def run_python(
    code: str, home: Path, *, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (dedented) in a fresh interpreter, from the checkout, with the store
    under ``home``; ``env`` adds variables. Its output is captured as text."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**store_env(home), **(env or {})},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
