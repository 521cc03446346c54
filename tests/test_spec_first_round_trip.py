"""Round trip (invariant 5): the document of every code-first sample, fed back through
spec-first generation, yields a server whose published document is the code-first one,
from the very same generated code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from dosirak.runtime import app_for_directory
from starlette.testclient import TestClient

from .conftest import ROOT, SAMPLES
from .test_cli import dosirak, read_tree

TARGETS = sorted(
    [f"{path}:svc" for path in SAMPLES.glob("*/service.py")]
    + [
        f"{ROOT / 'tests' / 'services' / name / 'service.py'}:svc"
        for name in ("json_types", "json_text")
    ]
)
#: Written by spec-first generation only: the user's handlers and the package marker.
SPEC_FIRST_ONLY = {"__init__.py", "handlers.py"}


def _train_if_needed(target: str, cwd: Path) -> None:
    """A sample serving a stored model (iris_sklearn) has a train.py saving it first."""
    train = Path(target.partition(":")[0]).parent / "train.py"
    if train.is_file():
        env = {**os.environ, "DOSIRAK_HOME": str(cwd / "dosirak-home")}
        subprocess.run([sys.executable, str(train)], env=env, cwd=cwd, check=True)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: Path(t.partition(":")[0]).parent.name)
def test_a_code_first_document_round_trips_through_spec_first(target: str, tmp_path: Path) -> None:
    _train_if_needed(target, tmp_path)
    spec = dosirak("spec", target, cwd=tmp_path)
    assert spec.returncode == 0, spec.stderr
    document = tmp_path / "document.json"
    document.write_text(spec.stdout, encoding="utf-8")

    code_first = dosirak("gen", target, "-o", "code", cwd=tmp_path)
    spec_first = dosirak("gen", str(document), "-o", "spec", cwd=tmp_path)
    assert code_first.returncode == 0, code_first.stderr
    assert spec_first.returncode == 0, spec_first.stderr
    assert "NOTE" not in spec_first.stderr  # nothing to add: it declares everything already

    generated = read_tree(tmp_path / "spec")
    assert {name for name in generated if "/" not in name} == SPEC_FIRST_ONLY | {"openapi.json"}
    same_path = {k: v for k, v in generated.items() if k not in SPEC_FIRST_ONLY}
    assert same_path == read_tree(tmp_path / "code")
    assert generated["openapi.json"] == document.read_bytes()

    with TestClient(app_for_directory(tmp_path / "spec")) as client:
        published = client.get("/openapi.json")
    assert published.status_code == 200
    assert published.content == document.read_bytes()


def test_every_sample_is_covered() -> None:
    names = {Path(t.partition(":")[0]).parent.name for t in TARGETS}
    assert {"iris", "image", "multipart", "streaming", "tabular"} <= names
