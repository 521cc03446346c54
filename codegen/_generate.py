"""Document → every generated file, and writing them out."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from ._parse import parse_document
from ._render import render_client, render_server
from ._validate import validate_document

__all__ = ["document_bytes", "generate_files", "write_files"]


def document_bytes(document: dict[str, Any]) -> bytes:
    """The canonical bytes of a document: what is written, hashed and served."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def generate_files(document: dict[str, Any], *, source: str = "the document") -> dict[str, bytes]:
    """Every generated file by relative path; raise `GenerationError` with all problems."""
    validate_document(document, source=source)
    raw = document_bytes(document)
    service = parse_document(document, hashlib.sha256(raw).hexdigest())
    files = {"openapi.json": raw}
    for name, text in render_server(service).items():
        files[f"server/{name}"] = text.encode()
    for name, text in render_client(service).items():
        files[f"client/{service.client_package}/{name}"] = text.encode()
    return files


def write_files(files: dict[str, bytes], out_dir: str | Path) -> list[Path]:
    """Write ``files`` under ``out_dir``; return the paths whose bytes changed."""
    root = Path(out_dir)
    changed: list[Path] = []
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)
            changed.append(path)
    return changed
