"""Interoperability: a client made by openapi-python-client (a generator nobody here
wrote) from our iris document calls our server successfully."""

from __future__ import annotations

import subprocess
import textwrap
import venv
from pathlib import Path

import httpx
import pytest

from .conftest import Served

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def openapi_python_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding openapi-python-client (and so attrs, httpx, dateutil)."""
    env_dir = tmp_path_factory.mktemp("opc-venv")
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "openapi-python-client>=0.21"],
        check=True,
        capture_output=True,
    )
    return python


def test_generated_client_calls_our_server(
    openapi_python_client: Path, iris_server: Served, tmp_path: Path
) -> None:
    document = tmp_path / "openapi.json"
    document.write_bytes(httpx.get(f"{iris_server.base_url}/openapi.json").content)
    out = tmp_path / "iris_client"
    generate = subprocess.run(
        [
            str(openapi_python_client.parent / "openapi-python-client"),
            "generate",
            "--path",
            str(document),
            "--meta",
            "none",
            "--output-path",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert generate.returncode == 0, generate.stdout + generate.stderr
    # It cannot represent arrays of unknown rank (a recursive union) and says so; the
    # operations with a declared shape it generates.
    assert (out / "api" / "default" / "classify_validated.py").is_file()
    script = textwrap.dedent(
        f"""
        import json
        from iris_client import Client
        from iris_client.api.default import classify_validated
        from iris_client.models.problem import Problem

        client = Client(base_url="{iris_server.base_url}")
        ok = classify_validated.sync_detailed(
            client=client, body=[[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]
        )
        bad = classify_validated.sync(client=client, body=[[1.0, 2.0]])
        print(json.dumps({{
            "status": int(ok.status_code),
            "content": json.loads(ok.content),
            "bad_is_problem": isinstance(bad, Problem),
            "bad_status": bad.status if isinstance(bad, Problem) else None,
        }}))
        """
    )
    run = subprocess.run(
        [str(openapi_python_client), "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith(
        '{"status": 200, "content": [0, 2], "bad_is_problem": true, "bad_status": 422}'
    )
