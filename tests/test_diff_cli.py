"""Black-box tests of ``dosirak diff``: run as ``python -m dosirak`` on real documents."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from .conftest import ROOT, SAMPLES, free_port

SPECS = ROOT.parent / "shared" / "specs"
PETSTORE = SPECS / "swagger-petstore3.yaml"
IRIS = f"{SAMPLES / 'iris' / 'service.py'}:svc"
TABULAR = f"{SAMPLES / 'tabular' / 'service.py'}:svc"


def diff(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dosirak", "diff", *map(str, args)],
        cwd=cwd,
        env={
            "PATH": "/usr/bin:/bin",
            "NO_COLOR": "1",
            "TERM": "dumb",
            "COLUMNS": "200",
            "DOSIRAK_HOME": str(cwd / "dosirak-home"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )


def write(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def petstore_v2() -> dict[str, Any]:
    """The petstore with breaking and non-breaking changes, and ``Pet`` renamed ``Animal``
    (which alone changes nothing: schemas are compared after their refs are followed)."""
    text = PETSTORE.read_text(encoding="utf-8").replace("schemas/Pet'", "schemas/Animal'")
    document: dict[str, Any] = yaml.safe_load(text)
    schemas = document["components"]["schemas"]
    schemas["Animal"] = schemas.pop("Pet")
    schemas["Animal"]["properties"]["status"]["enum"].remove("sold")
    del document["paths"]["/user/logout"]
    status = document["paths"]["/pet/findByStatus"]["get"]["parameters"][0]
    status["required"] = True
    document["paths"]["/pet/findByStatus"]["get"]["summary"] = "Finds pets by status."
    return document


def test_breaking_changes_between_two_versions_of_a_real_document(tmp_path: Path) -> None:
    new = write(tmp_path / "v2.yaml", petstore_v2())
    result = diff(PETSTORE, new, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    breaking, _, non_breaking = out.partition("\n\n")
    assert breaking.startswith("8 breaking changes:\n")
    assert "  /user/logout\n    - path removed, with its operations (GET) [path-removed]" in out
    assert (
        "  GET /pet/findByStatus\n"
        "    - query parameter 'status': parameter became required"
        " [request-parameter-became-required]"
    ) in breaking
    # Pet is a request body of POST and PUT /pet: fewer enum values there break clients...
    assert (
        '  POST /pet\n    - request body application/json .status: enum value "sold" removed'
        " [request-property-enum-value-removed]"
    ) in breaking
    # ... and in responses they do not.
    assert non_breaking.startswith("13 non-breaking changes:\n")
    assert (
        "  GET /pet/{petId}\n"
        '    - response 200 application/json .status: enum value "sold" removed'
        " [response-property-enum-value-removed]"
    ) in non_breaking
    assert "summary: summary changed [operation-summary-changed]" in non_breaking


def test_json_format(tmp_path: Path) -> None:
    new = write(tmp_path / "v2.yaml", petstore_v2())
    result = diff(PETSTORE, new, "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["version"] == 1
    assert (report["breaking"], report["non_breaking"]) == (8, 13)
    fields = {"rule", "level", "operation", "location", "pointer", "message"}
    assert set(report["changes"][0]) == fields
    rules = {(c["rule"], c["level"], c["operation"]) for c in report["changes"]}
    assert ("path-removed", "breaking", "/user/logout") in rules
    assert ("request-property-enum-value-removed", "breaking", "PUT /pet") in rules
    assert ("response-property-enum-value-removed", "non-breaking", "PUT /pet") in rules
    levels = [c["level"] for c in report["changes"]]
    assert levels == sorted(levels)  # "breaking" sorts before "non-breaking"


def test_only_non_breaking_changes_exit_0(tmp_path: Path) -> None:
    document = yaml.safe_load(PETSTORE.read_text(encoding="utf-8"))
    document["paths"]["/pet/findByStatus"]["get"]["parameters"].append(
        {"name": "limit", "in": "query", "schema": {"type": "integer"}}
    )
    new = write(tmp_path / "v2.yaml", document)
    result = diff(PETSTORE, new, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "1 non-breaking change:\n"
        "  GET /pet/findByStatus\n"
        "    - query parameter 'limit': new optional query parameter 'limit'"
        " [request-optional-parameter-added]\n"
    )


def test_a_document_against_itself_in_yaml_and_json(tmp_path: Path) -> None:
    as_json = tmp_path / "petstore.json"
    as_json.write_text(json.dumps(yaml.safe_load(PETSTORE.read_text(encoding="utf-8"))))
    result = diff(PETSTORE, as_json, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "No changes.\n"), result.stderr


def test_a_code_first_sample_against_itself(tmp_path: Path) -> None:
    result = diff(IRIS, IRIS, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "No changes.\n"), result.stderr


def test_a_sample_against_its_document_with_a_changed_shape(tmp_path: Path) -> None:
    spec = subprocess.run(
        [sys.executable, "-m", "dosirak", "spec", TABULAR],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    document = json.loads(spec.stdout)
    body = document["paths"]["/classify"]["post"]["requestBody"]
    body["x-dosirak-io"]["shape"] = [-1, 5]
    new = tmp_path / "tabular.json"
    new.write_text(json.dumps(document))
    result = diff(TABULAR, new, "-f", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    changes = json.loads(result.stdout)["changes"]
    assert [(c["rule"], c["level"], c["location"], c["message"]) for c in changes] == [
        (
            "request-io-shape-changed",
            "breaking",
            "request body x-dosirak-io",
            "shape changed from (*, 4) to (*, 5)",
        )
    ]


@pytest.fixture
def served_specs() -> Iterator[str]:
    """``../shared/specs`` over HTTP on loopback."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=SPECS,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/SOURCES.md", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_url_against_a_file(served_specs: str, tmp_path: Path) -> None:
    new = write(tmp_path / "v2.yaml", petstore_v2())
    result = diff(f"{served_specs}/swagger-petstore3.yaml", new, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "[path-removed]" in result.stdout


def test_an_invalid_document_exits_2_naming_the_validator_finding(tmp_path: Path) -> None:
    result = diff(SPECS / "tgi-openapi.json", PETSTORE, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    error = result.stderr
    assert error.startswith(f"error: {SPECS / 'tgi-openapi.json'} is not a valid OpenAPI document")
    assert "openapi-spec-validator:" in error
    assert "(at #/components/schemas/" in error
    assert len(error) < 2000  # the validator's quote of the whole schema is cut


def test_unreadable_inputs_exit_2(tmp_path: Path) -> None:
    missing = diff(tmp_path / "missing.yaml", PETSTORE, cwd=tmp_path)
    assert missing.returncode == 2
    assert "missing.yaml" in missing.stderr
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    not_a_mapping = diff(PETSTORE, tmp_path / "list.yaml", cwd=tmp_path)
    assert not_a_mapping.returncode == 2
    assert "not a mapping" in not_a_mapping.stderr
    no_target = diff(PETSTORE, "nowhere.py:svc", cwd=tmp_path)
    assert no_target.returncode == 2
    assert "nowhere.py" in no_target.stderr


def test_help_describes_the_exit_status(tmp_path: Path) -> None:
    result = diff("--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "breaking ones first" in result.stdout
    assert "2 when a document cannot be read" in " ".join(result.stdout.split())


def test_a_ref_to_another_file_is_followed(tmp_path: Path) -> None:
    (tmp_path / "pet.yaml").write_text("Pet: {type: object}\n")
    document = yaml.safe_load(PETSTORE.read_text(encoding="utf-8"))
    body = document["paths"]["/pet"]["post"]["requestBody"]["content"]["application/json"]
    body["schema"] = {"$ref": "pet.yaml#/Pet"}
    api = write(tmp_path / "api.yaml", document)
    result = diff(PETSTORE, api, cwd=tmp_path)
    # the sibling file's Pet accepts any object: the request accepts more, nothing breaks
    assert result.returncode == 0, result.stderr
    assert "POST /pet" in result.stdout
    assert "request body application/json .tags: property 'tags' removed" in result.stdout
