"""Clients generated from third-party documents (../shared/specs): they import, are typed,
and say what they leave out; an invalid document stops with the validator's finding."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from dosirak.codegen import GenerationError, InvalidDocumentError, generate, load_document
from dosirak.codegen import write_files as write

from .conftest import ROOT

SPECS = ROOT.parent / "shared" / "specs"


def _validity() -> dict[str, bool]:
    """``validates`` column of SOURCES.md, by file name."""
    if not SPECS.is_dir():
        pytest.fail(f"the shared test documents are missing: {SPECS}")
    table = (SPECS / "SOURCES.md").read_text()
    found = {}
    for row in table.splitlines():
        cells = [c.strip() for c in row.split("|")]
        if len(cells) > 7 and cells[1].endswith((".yaml", ".json")):
            found[cells[1]] = cells[7] == "yes"
    return found


VALIDITY = _validity()
VALID = sorted(name for name, ok in VALIDITY.items() if ok)
INVALID = sorted(name for name, ok in VALIDITY.items() if not ok)


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each valid document's client project, generated with --skip-unsupported."""
    root = tmp_path_factory.mktemp("spec-clients")
    made = {}
    for name in VALID:
        generated = generate(load_document(SPECS / name), target="client", skip_unsupported=True)
        write(generated.files, root / name)
        (project,) = (root / name / "client").iterdir()
        made[name] = project
    return made


def test_every_valid_document_makes_a_client(clients: dict[str, Path]) -> None:
    assert sorted(clients) == VALID
    assert len(VALID) >= 9


def test_clients_are_ruff_clean_and_mypy_strict(
    clients: dict[str, Path], tmp_path: Path, mypy_strict: tuple[str, ...]
) -> None:
    packages = [str(project / project.name) for project in clients.values()]
    for args in (["format", "--check"], ["check", "--select", "E,F,W,I,B,UP,SIM,RUF"]):
        ruff = subprocess.run(
            [
                sys.executable,
                "-m",
                "ruff",
                *args,
                "--no-cache",
                "--isolated",
                "--line-length",
                "100",
                *packages,
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,  # as a user's project sees it: dosirak is not first-party here
        )
        assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    # Documents may share a title (two petstores), so a batch holds each name once.
    batches: list[list[str]] = []
    for package in packages:
        batch = next(
            (b for b in batches if all(Path(p).name != Path(package).name for p in b)), None
        )
        if batch is None:
            batches.append(batch := [])
        batch.append(package)
    for batch in batches:
        mypy = subprocess.run(
            [*mypy_strict, *batch],
            capture_output=True,
            text=True,
            check=False,
        )
        assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_clients_import(clients: dict[str, Path]) -> None:
    for project in clients.values():
        sys.path.insert(0, str(project))
        try:
            module = importlib.import_module(project.name)
            assert module.Client and module.AsyncClient
        finally:
            sys.path.remove(str(project))
            for name in [n for n in sys.modules if n.split(".")[0] == project.name]:
                del sys.modules[name]


def test_unsupported_pieces_stop_generation_naming_them() -> None:
    with pytest.raises(GenerationError) as info:
        generate(load_document(SPECS / "swagger-petstore3.yaml"), target="client")
    message = str(info.value)
    assert "#/paths/~1user~1{username}/put/requestBody" in message
    assert "application/xml" in message


def test_skipped_pieces_are_listed() -> None:
    generated = generate(
        load_document(SPECS / "swagger-petstore3.yaml"), target="client", skip_unsupported=True
    )
    skipped = [str(w) for w in generated.warnings]
    assert any("application/x-www-form-urlencoded" in w for w in skipped)
    assert all(w.startswith("WARNING at #/") for w in skipped)


def test_multipart_bodies_without_dosirak_io_are_generated(clients: dict[str, Path]) -> None:
    # haystack's POST /file-upload: an array of binary strings and optional form fields.
    generated = generate(
        load_document(SPECS / "haystack-rest-api.json"), target="client", skip_unsupported=True
    )
    assert not [w for w in generated.warnings if "file-upload" in str(w)]
    source = clients["haystack-rest-api.json"] / "haystack_rest_api_client" / "client.py"
    text = source.read_text()
    assert "def upload_file(" in text
    assert '"files": ("file", ("application/octet-stream",), {}, ("repeated",))' in text


@pytest.mark.parametrize("name", INVALID)
def test_invalid_document_names_the_validator_finding(name: str) -> None:
    with pytest.raises(InvalidDocumentError) as info:
        generate(load_document(SPECS / name), target="client")
    assert "openapi-spec-validator" in str(info.value)


def test_parameters_travel_where_the_document_says(clients: dict[str, Path]) -> None:
    project = clients["oai-petstore.yaml"]
    sys.path.insert(0, str(project))
    try:
        petstore = importlib.import_module(project.name)
        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            if request.url.path == "/pets/7":
                return httpx.Response(200, json={"id": 7, "name": "kimchi"})
            return httpx.Response(200, json=[{"id": 1, "name": "rice", "tag": "cat"}])

        transport = httpx.MockTransport(answer)
        with petstore.Client("http://petstore.test", transport=transport) as client:
            pets = client.list_pets(limit=2)
            pet = client.show_pet_by_id(pet_id="7")
            client.list_pets()
        assert [p.name for p in pets] == ["rice"]
        assert pet.id == 7
        assert str(seen[0].url) == "http://petstore.test/pets?limit=2"
        assert seen[1].url.path == "/pets/7"
        assert str(seen[2].url) == "http://petstore.test/pets"
        assert re.match(r"application/json", seen[0].headers["accept"])
    finally:
        sys.path.remove(str(project))
        for name in [n for n in sys.modules if n.split(".")[0] == project.name]:
            del sys.modules[name]


def test_all_of_objects_merge_into_one_model(clients: dict[str, Path]) -> None:
    project = clients["oai-petstore-expanded.yaml"]
    sys.path.insert(0, str(project))
    try:
        models = importlib.import_module(f"{project.name}.models")
        pet = models.Pet.model_validate({"name": "rice", "id": 3})  # NewPet + {id}
        assert (pet.name, pet.id, pet.tag) == ("rice", 3, None)
        with pytest.raises(ValueError, match="id"):
            models.Pet.model_validate({"name": "rice"})
    finally:
        sys.path.remove(str(project))
        for name in [n for n in sys.modules if n.split(".")[0] == project.name]:
            del sys.modules[name]
