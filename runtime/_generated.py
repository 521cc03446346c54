"""Loading a generated server directory: its document and its `server` package."""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson

__all__ = ["GeneratedServer", "StaleGeneratedCodeError", "load_generated"]


class StaleGeneratedCodeError(RuntimeError):
    """The generated code was made from another document than the one beside it."""


@dataclass(frozen=True)
class GeneratedServer:
    directory: Path
    document_bytes: bytes
    document: dict[str, Any]
    sha256: str
    package: ModuleType
    routes: ModuleType
    #: The import name ``DIR`` has: ``server`` is ``{parent}.server`` and a spec-first
    #: ``handlers.py`` is ``{parent}.handlers`` (so it imports ``from .server import models``).
    parent: str = ""


def load_generated(directory: str | Path) -> GeneratedServer:
    """Import ``DIR/server`` and read ``DIR/openapi.json``, checking that they belong together."""
    root = Path(directory).resolve()
    document_path = root / "openapi.json"
    server_dir = root / "server"
    if not document_path.is_file() or not (server_dir / "__init__.py").is_file():
        raise FileNotFoundError(
            f"{root} is not a generated dosirak directory: it needs openapi.json and server/; "
            "make one with `dosirak gen TARGET -o DIR`"
        )
    document_bytes = document_path.read_bytes()
    sha256 = hashlib.sha256(document_bytes).hexdigest()
    # By document and directory: two directories of one document may hold other handlers.
    key = hashlib.sha256(f"{sha256}:{root}".encode()).hexdigest()[:16]
    parent_name = f"_dosirak_generated_{key}"
    name = f"{parent_name}.server"
    if parent_name not in sys.modules:
        # DIR as a package of its own, without running any DIR/__init__.py.
        parent = ModuleType(parent_name, f"Generated directory {root}")
        parent.__path__ = [str(root)]
        sys.modules[parent_name] = parent
    package = sys.modules.get(name)
    if package is None or getattr(package, "__file__", None) != str(server_dir / "__init__.py"):
        spec = importlib.util.spec_from_file_location(
            name, server_dir / "__init__.py", submodule_search_locations=[str(server_dir)]
        )
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import the generated package {server_dir}")
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        try:
            spec.loader.exec_module(package)
        except BaseException:
            del sys.modules[name]
            raise
    if sha256 != package.DOCUMENT_SHA256:
        raise StaleGeneratedCodeError(
            f"{server_dir} was generated from a document with sha256 "
            f"{package.DOCUMENT_SHA256}, but {document_path} has {sha256}; "
            "regenerate with `dosirak gen`"
        )
    routes = importlib.import_module(f"{name}.routes")
    return GeneratedServer(
        directory=root,
        document_bytes=document_bytes,
        document=orjson.loads(document_bytes),
        sha256=sha256,
        package=package,
        routes=routes,
        parent=parent_name,
    )
