"""Document → every generated file, and writing them out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import _ir
from ._parse import Target, parse_document
from ._problems import Problem
from ._publish import pruned_document, published_document
from ._render import render_client, render_server
from ._serialize import document_bytes
from ._validate import validate_document

__all__ = ["Generated", "document_bytes", "generate", "generate_files", "write_files"]


@dataclass
class Generated:
    """The files by relative path, what was left out (as warnings) and what was added to
    the published document (as notes)."""

    files: dict[str, bytes]
    warnings: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    #: The IR, for the handler stubs of a spec-first server (`handler_files`).
    service: _ir.Service | None = None


def generate(
    document: dict[str, Any],
    *,
    source: str = "the document",
    target: Target = "server",
    skip_unsupported: bool = False,
) -> Generated:
    """The server (with its client) or, with ``target="client"``, a client alone.

    Raise `GenerationError` with every problem; with ``skip_unsupported`` what cannot be
    generated is left out and listed in ``warnings``.
    """
    validate_document(document, source=source)
    notes: list[Problem] = []
    if target == "server":
        # What the server publishes declares every response it can send (invariant 3).
        document, notes = published_document(document)
        if notes:
            validate_document(document, source=source, generated=True)
    raw = document_bytes(document)
    service = parse_document(
        document, hashlib.sha256(raw).hexdigest(), target=target, skip_unsupported=skip_unsupported
    )
    if target == "server" and service.left_out:
        # What the server does not serve leaves the published document too (invariant 3).
        document, pruned = pruned_document(document, service.left_out)
        validate_document(document, source=source, generated=True)
        warnings = service.warnings
        raw = document_bytes(document)
        service = parse_document(
            document, hashlib.sha256(raw).hexdigest(), target=target, skip_unsupported=True
        )
        service.warnings = warnings
        notes += pruned
    files: dict[str, bytes] = {}
    if target == "server":
        files["openapi.json"] = raw
        for name, text in render_server(service).items():
            files[f"server/{name}"] = text.encode()
    for name, text in render_client(service).items():
        files[f"client/{service.client_package}/{name}"] = text.encode()
    return Generated(files, service.warnings, notes, service)


def generate_files(document: dict[str, Any], *, source: str = "the document") -> dict[str, bytes]:
    """Every generated file of the server and its client by relative path."""
    return generate(document, source=source).files


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
