"""Finding a service from a command-line target: ``path/to/service.py:svc`` or ``pkg.mod:svc``."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

from ._service import Service

__all__ = ["TargetError", "load_service"]


class TargetError(Exception):
    """The target does not name a service; the message says what was tried and the fix."""


def load_service(target: str) -> Service:
    """Import the module ``target`` names and return its `Service`.

    ``service.py:svc`` and ``pkg.module:svc`` name the attribute; without ``:attr``
    the module must hold exactly one `Service`.
    """
    module_part, _, attr = target.partition(":")
    if not module_part:
        raise TargetError(f"target {target!r} names no module; use path/to/service.py:svc")
    module = _import(module_part, target)
    if attr:
        obj: object = module
        for part in attr.split("."):
            if not hasattr(obj, part):
                raise TargetError(
                    f"{module_part} has no attribute {attr!r}; "
                    f"services there: {_services_in(module) or 'none'}"
                )
            obj = getattr(obj, part)
        if not isinstance(obj, Service):
            raise TargetError(f"{target} is a {type(obj).__name__}, not a dosirak.Service")
        return obj
    found = _services_in(module)
    if len(found) != 1:
        raise TargetError(
            f"{module_part} holds {len(found)} services ({', '.join(found) or 'none'}); "
            f"name one: {module_part}:NAME"
        )
    service = getattr(module, found[0])
    assert isinstance(service, Service)  # established by _services_in
    return service


def _services_in(module: object) -> list[str]:
    return sorted(n for n, v in vars(module).items() if isinstance(v, Service))


def _import(module_part: str, target: str) -> object:
    path = Path(module_part)
    if module_part.endswith(".py") or path.is_file():
        if not path.is_file():
            raise TargetError(f"no file {module_part} (target {target!r})")
        path = path.resolve()
        # Siblings of the service file import as they do when it runs as a script.
        if str(path.parent) not in sys.path:
            sys.path.insert(0, str(path.parent))
        name = path.stem
        existing = sys.modules.get(name)
        if existing is not None and getattr(existing, "__file__", None) == str(path):
            return existing
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise TargetError(f"cannot import {module_part}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[name]
            raise TargetError(
                f"importing {module_part} failed: {type(exc).__name__}: {exc}"
            ) from exc
        return module
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(module_part)
    except ModuleNotFoundError as exc:
        if exc.name and module_part.startswith(exc.name):
            raise TargetError(
                f"no module {module_part!r} (target {target!r}); give a file path "
                "(service.py:svc) or a module importable from here"
            ) from exc
        raise TargetError(f"importing {module_part} failed: {exc}") from exc
    except Exception as exc:
        raise TargetError(f"importing {module_part} failed: {type(exc).__name__}: {exc}") from exc
