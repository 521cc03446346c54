"""Generated servers cached by what they were generated from."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dosirak import Service

__all__ = ["cache_root", "dosirak_home", "generate_cached"]


def dosirak_home() -> Path:
    """``$DOSIRAK_HOME`` (default ``~/.dosirak``): the generated-code cache and the model store."""
    return Path(os.environ.get("DOSIRAK_HOME") or Path.home() / ".dosirak")


def cache_root() -> Path:
    """``$DOSIRAK_HOME/cache`` (default ``~/.dosirak/cache``)."""
    return dosirak_home() / "cache"


def _generator_fingerprint() -> str:
    """Changes whenever the generator's code or templates do (development installs too)."""
    import dosirak.codegen
    import dosirak.templates

    digest = hashlib.sha256()
    for package in (dosirak.codegen, dosirak.templates):
        root = Path(package.__file__ or "").parent
        for path in sorted(root.iterdir()):
            if path.suffix in (".py", ".jinja"):
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def generate_cached(service: Service) -> Path:
    """A directory holding the service's generated server, generating it if needed."""
    from dosirak.codegen import build_document, document_bytes

    # Unvalidated: only hashed here; generate_files validates it before generating.
    document = build_document(service, validate=False)
    key = hashlib.sha256(document_bytes(document) + _generator_fingerprint().encode())
    target = cache_root() / "gen" / f"{service.name}-{key.hexdigest()[:20]}"
    if (target / "server" / "__init__.py").is_file():
        return target
    from dosirak.codegen import generate_files, write_files

    files = generate_files(document, source=f"service {service.name!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        write_files(files, staging)
        # Bytecode goes in with the entry: a server run with PYTHONDONTWRITEBYTECODE (or on
        # a read-only cache) would otherwise compile the generated modules at every start.
        import compileall

        compileall.compile_dir(staging / "server", ddir=target / "server", quiet=2)
        try:
            staging.rename(target)  # atomic: a half-written cache entry is never visible
        except OSError:
            if not (target / "server" / "__init__.py").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
