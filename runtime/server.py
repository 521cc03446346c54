"""Running a service on uvicorn: ``dosirak serve`` calls `serve`."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from .codecs import Limits

__all__ = ["create_app", "serve"]

_TARGET_ENV = "DOSIRAK_SERVE_TARGET"
_GENERATED_ENV = "DOSIRAK_SERVE_GENERATED"
_LIMITS_ENV = "DOSIRAK_SERVE_LIMITS"


def create_app() -> Starlette:
    """The app of the service named by ``$DOSIRAK_SERVE_TARGET`` (uvicorn's factory)."""
    from dosirak._loader import load_service

    from ._app import app_for_service

    service = load_service(os.environ[_TARGET_ENV])
    generated = os.environ.get(_GENERATED_ENV) or None
    limits = Limits(**json.loads(os.environ.get(_LIMITS_ENV) or "{}"))
    return app_for_service(service, generated_dir=generated, limits=limits)


def serve(
    target: str,
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    reload: bool = False,
    generated_dir: str | None = None,
    limits: Limits | None = None,
    log_level: str = "info",
    access_log: bool = True,
) -> None:
    """Serve ``target`` until interrupted; with ``reload``, restart when its files change."""
    os.environ[_TARGET_ENV] = target
    # The app is made in uvicorn's process (or its reloader's child): settings go by env.
    os.environ[_LIMITS_ENV] = json.dumps(dataclasses.asdict(limits or Limits()))
    if generated_dir:
        os.environ[_GENERATED_ENV] = str(Path(generated_dir).resolve())
    reload_dirs = None
    if reload:
        module_part = target.partition(":")[0]
        base = Path(module_part).resolve().parent if module_part.endswith(".py") else Path.cwd()
        reload_dirs = [str(base)]
    uvicorn.run(
        "dosirak.runtime.server:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        reload_dirs=reload_dirs,
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=30,
    )
