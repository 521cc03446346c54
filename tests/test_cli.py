"""Black-box tests of the ``dosirak`` command, run as ``python -m dosirak`` in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from openapi_spec_validator import validate

from .conftest import IRIS_TARGET, SAMPLES, start_server, stop_server

IRIS_FILE = SAMPLES / "iris" / "service.py"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# What `gen` writes at least (it also writes the client package).
GENERATED = [
    "openapi.json",
    "server/__init__.py",
    "server/models.py",
    "server/routes.py",
    "server/validators.py",
]


def dosirak(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m dosirak ARGS`` in ``cwd`` (not the repository root), plain-text output."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "PYTHONPATH"}
    }
    env.update(DOSIRAK_HOME=str(cwd / "dosirak-home"), NO_COLOR="1", TERM="dumb", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "dosirak", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def plain(text: str) -> str:
    return ANSI.sub("", text)


# --- help and version ---------------------------------------------------------------------


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = dosirak("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = plain(result.stdout)
    assert "Usage:" in out
    # Each command on its own line, with the first word of its docstring beside it.
    for command, word in [("gen", "Generate"), ("spec", "Print"), ("serve", "Serve")]:
        assert re.search(rf"^\W*{command}\s+{word}\b", out, re.M), out


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("gen", ["--out"]),
        ("spec", ["--format"]),
        ("serve", ["--host", "--port", "--reload", "--generated"]),
    ],
)
def test_command_help_lists_its_options(tmp_path: Path, command: str, options: list[str]) -> None:
    result = dosirak(command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = plain(result.stdout)
    for option in options:
        assert option in out, out


def test_version(tmp_path: Path) -> None:
    import dosirak as package

    result = dosirak("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"dosirak {package.__version__}"


# --- spec ---------------------------------------------------------------------------------


def test_spec_prints_the_document_as_json(tmp_path: Path) -> None:
    result = dosirak("spec", IRIS_TARGET, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["openapi"] == "3.1.0"
    assert {"/classify", "/v2/models/my_model/versions/v0/infer"} <= set(document["paths"])
    validate(document)


def test_spec_yaml_is_the_same_document(tmp_path: Path) -> None:
    as_json = dosirak("spec", IRIS_TARGET, cwd=tmp_path)
    as_yaml = dosirak("spec", IRIS_TARGET, "--format", "yaml", cwd=tmp_path)
    assert as_yaml.returncode == 0, as_yaml.stderr
    document = yaml.safe_load(as_yaml.stdout)
    assert document["openapi"] == "3.1.0"
    assert document == json.loads(as_json.stdout)


# --- targets that name no service -----------------------------------------------------------

BAD_SERVICES = {
    "raises.py": "import dosirak\nraise RuntimeError('boom at import')\n",
    "notasvc.py": "import dosirak\nsvc = {'not': 'a service'}\n",
}
BAD_TARGETS = {
    "missing file": ("does_not_exist.py:svc", "does_not_exist.py"),
    "missing attribute": (f"{IRIS_FILE}:nope", "nope"),
    "missing module": ("no_such_package.no_such_module:svc", "no_such_package"),
    "raises on import": ("raises.py:svc", "boom at import"),
    "not a service": ("notasvc.py:svc", "not a dosirak.Service"),
}
COMMANDS = {
    "spec": lambda target: ["spec", target],
    "gen": lambda target: ["gen", target, "-o", "out"],
    "serve": lambda target: ["serve", target, "--port", "9"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("case", sorted(BAD_TARGETS))
def test_bad_target_is_a_one_line_error(tmp_path: Path, case: str, command: str) -> None:
    for name, source in BAD_SERVICES.items():
        (tmp_path / name).write_text(source)
    target, expected = BAD_TARGETS[case]
    result = dosirak(*COMMANDS[command](target), cwd=tmp_path, timeout=60)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert expected in lines[0]
    assert not (tmp_path / "out").exists()


# --- gen ----------------------------------------------------------------------------------


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_gen_writes_the_files_and_is_deterministic(tmp_path: Path) -> None:
    first = dosirak("gen", IRIS_TARGET, "-o", "out", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    files = read_tree(tmp_path / "out")
    assert set(GENERATED) <= set(files)
    assert f"generated {len(files)} files in out ({len(files)} changed)" in first.stdout
    assert first.stdout.count("  wrote ") == len(files)
    assert json.loads(files["openapi.json"])["openapi"] == "3.1.0"

    again = dosirak("gen", IRIS_TARGET, "-o", "out", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"generated {len(files)} files in out (0 changed)" in again.stdout
    assert "wrote" not in again.stdout
    assert read_tree(tmp_path / "out") == files

    elsewhere = dosirak("gen", IRIS_TARGET, "-o", "elsewhere", cwd=tmp_path)
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert read_tree(tmp_path / "elsewhere") == files


def test_gen_from_the_document_matches_gen_from_the_service(tmp_path: Path) -> None:
    spec = dosirak("spec", IRIS_TARGET, cwd=tmp_path)
    (tmp_path / "iris.json").write_text(spec.stdout)
    from_service = dosirak("gen", IRIS_TARGET, "-o", "a", cwd=tmp_path)
    from_document = dosirak("gen", "iris.json", "-o", "b", cwd=tmp_path)
    assert from_service.returncode == 0, from_service.stderr
    assert from_document.returncode == 0, from_document.stderr
    a, b = read_tree(tmp_path / "a"), read_tree(tmp_path / "b")
    # From a document, gen also writes the handler stubs and the package marker (spec-first).
    assert set(b) - set(a) == {"__init__.py", "handlers.py"}
    assert a == {k: v for k, v in b.items() if k in a}


# --- serve --generated --------------------------------------------------------------------


def test_serve_a_generated_directory(tmp_path: Path) -> None:
    gen = dosirak("gen", IRIS_TARGET, "-o", "build", cwd=tmp_path)
    assert gen.returncode == 0, gen.stderr
    served = start_server(
        IRIS_TARGET, tmp_path, "--host", "127.0.0.1", "--generated", str(tmp_path / "build")
    )
    try:
        assert served.base_url.startswith("http://127.0.0.1:")
        response = httpx.post(
            f"{served.base_url}/classify", json=[[5.9, 3, 5.1, 1.8], [5.1, 3.5, 1.4, 0.2]]
        )
        assert response.status_code == 200, response.text
        assert response.json() == [2, 0]
        published = httpx.get(f"{served.base_url}/openapi.json")
        assert published.content == (tmp_path / "build" / "openapi.json").read_bytes()
    finally:
        stop_server(served)


def test_serve_refuses_a_stale_generated_directory(tmp_path: Path) -> None:
    service = tmp_path / "service.py"
    source = IRIS_FILE.read_text()
    service.write_text(source)
    gen = dosirak("gen", f"{service}:svc", "-o", "build", cwd=tmp_path)
    assert gen.returncode == 0, gen.stderr

    old = '"""Classify iris flowers: one row of four measurements (cm) per flower."""'
    assert old in source
    service.write_text(source.replace(old, '"""Classify iris flowers (changed)."""'))
    result = dosirak(
        "serve", f"{service}:svc", "--port", "9", "--generated", "build", cwd=tmp_path, timeout=60
    )
    assert result.returncode != 0
    assert "regenerate" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--workers", "0"], "--workers must be at least 1"),
        (["--workers", "2", "--reload"], "cannot go with --workers"),
    ],
)
def test_serve_refuses_server_processes_it_cannot_run(
    tmp_path: Path, options: list[str], message: str
) -> None:
    result = dosirak("serve", IRIS_TARGET, "--port", "9", *options, cwd=tmp_path, timeout=60)
    assert result.returncode != 0
    assert message in plain(result.stderr), result.stderr
    assert "Traceback" not in result.stderr
