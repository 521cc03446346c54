"""Running a service on uvicorn: ``dosirak serve`` calls `serve`."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from . import _collector
from ._deadline import DEFAULT_REQUEST_TIMEOUT_S
from .codecs import Limits

__all__ = ["check_processes", "configure", "create_app", "serve"]

_TARGET_ENV = "DOSIRAK_SERVE_TARGET"
_GENERATED_ENV = "DOSIRAK_SERVE_GENERATED"
_LIMITS_ENV = "DOSIRAK_SERVE_LIMITS"
_TIMEOUT_ENV = "DOSIRAK_SERVE_TIMEOUT"
_PRODUCTION_ENV = "DOSIRAK_SERVE_PRODUCTION"
_RAY_ENV = "DOSIRAK_SERVE_RAY"

#: uvicorn's ``http`` setting for dosirak: its httptools protocol with less work per request.
HTTP_PROTOCOL = "dosirak.runtime._http:HttpProtocol"


def create_app() -> Starlette:
    """The app of the service named by ``$DOSIRAK_SERVE_TARGET`` (uvicorn's factory)."""
    from dosirak._loader import load_service

    from ._app import app_for_service

    target = os.environ[_TARGET_ENV]
    limits = Limits(**json.loads(os.environ.get(_LIMITS_ENV) or "{}"))
    timeout = float(os.environ.get(_TIMEOUT_ENV) or DEFAULT_REQUEST_TIMEOUT_S)
    if Path(target).is_dir():  # spec-first: a directory `dosirak gen DOCUMENT` wrote
        from ._handlers import app_for_directory

        return app_for_directory(target, limits=limits, request_timeout_s=timeout)
    generated = os.environ.get(_GENERATED_ENV) or None
    return app_for_service(
        load_service(target),
        generated_dir=generated,
        limits=limits,
        request_timeout_s=timeout,
        runner_target=target,
        production=os.environ.get(_PRODUCTION_ENV) == "1",
        ray=os.environ.get(_RAY_ENV) == "1",
    )


def configure(
    target: str,
    *,
    generated_dir: str | None = None,
    limits: Limits | None = None,
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
    production: bool = False,
    ray: bool = False,
) -> None:
    """Record what `create_app` builds: the app is made in uvicorn's process (or its
    reloader's child, or each of its workers), so the settings travel by environment."""
    os.environ[_TARGET_ENV] = target
    os.environ[_LIMITS_ENV] = json.dumps(dataclasses.asdict(limits or Limits()))
    os.environ[_TIMEOUT_ENV] = repr(request_timeout_s)
    os.environ[_PRODUCTION_ENV] = "1" if production else "0"
    os.environ[_RAY_ENV] = "1" if ray else "0"
    if generated_dir:
        os.environ[_GENERATED_ENV] = str(Path(generated_dir).resolve())
    else:
        os.environ.pop(_GENERATED_ENV, None)


def check_processes(workers: int, *, reload: bool) -> None:
    """Refuse a number of server processes `serve` cannot run (ValueError)."""
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, not {workers}")
    if workers > 1 and reload:
        raise ValueError("--reload runs one server process; it cannot go with --workers")


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
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S,
    production: bool = False,
    ray: bool = False,
    workers: int = 1,
    app: Starlette | None = None,
) -> None:
    """Serve ``target`` until interrupted; with ``reload``, restart when its files change.

    ``production`` runs every runner in worker processes, ``ray`` every runner in Ray
    actors (on ``$RAY_ADDRESS``, else a Ray of the server's own); ``workers`` API server processes
    share the port (each with its own runners), their metrics added up at ``/metrics``.
    ``app``, already built by `create_app` after `configure` with the same settings, is
    served as it is when one process serves without reloading (it is not built twice).
    """
    check_processes(workers, reload=reload)
    configure(
        target,
        generated_dir=generated_dir,
        limits=limits,
        request_timeout_s=request_timeout_s,
        production=production,
        ray=ray,
    )
    metrics_dir: str | None = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Set before any server process imports prometheus-client (see _metrics.py).
        metrics_dir = tempfile.mkdtemp(prefix="dosirak-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    reload_dirs = None
    if reload:
        module_part = target.partition(":")[0]
        base = Path(module_part).resolve().parent if module_part.endswith(".py") else Path.cwd()
        if Path(target).is_dir():
            base = Path(target).resolve()
        reload_dirs = [str(base)]
    served: Starlette | str = "dosirak.runtime.server:create_app"
    if app is not None and not reload and workers == 1:
        served = app
    else:
        _collector.resume()  # the app starts in other processes; this one only watches
    uvicorn.run(
        served,
        factory=isinstance(served, str),
        host=host,
        port=port,
        reload=reload,
        reload_dirs=reload_dirs,
        log_level=log_level,
        access_log=access_log,
        timeout_graceful_shutdown=30,
        workers=workers,
        http=HTTP_PROTOCOL,
    )
    if metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)
