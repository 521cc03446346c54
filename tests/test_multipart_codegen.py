"""Multipart bodies whose parts need imports of their own (an image part: PIL)."""

from __future__ import annotations

import sys
from pathlib import Path

from dosirak.codegen import build_document, generate_files, write_files
from PIL.Image import Image as PILImage

import dosirak
from dosirak.io import Image, Multipart, Text

from .test_golden import RUFF_ARGS, RUFF_SELECT, _run

svc = dosirak.Service("photo_notes")


@svc.api(input=Multipart(photo=Image(), note=Text()), output=Text())
def describe(photo: PILImage, note: str) -> str:
    return f"{note}: {photo.size}"


def test_an_image_part_brings_its_import_to_server_and_client(tmp_path: Path) -> None:
    write_files(generate_files(build_document(svc), source="test"), tmp_path)
    validators = (tmp_path / "server" / "validators.py").read_text()
    client = next(tmp_path.glob("client/*/*/client.py")).read_text()
    for code in (validators, client):
        assert "import PIL.Image as _PILImage" in code
    pyproject = next(tmp_path.glob("client/*/pyproject.toml")).read_text()
    assert "pillow" in pyproject
    lint = _run(sys.executable, "-m", "ruff", "check", *RUFF_ARGS, *RUFF_SELECT, ".", cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout + lint.stderr
