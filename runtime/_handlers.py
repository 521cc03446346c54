"""Spec-first: the functions of a generated directory's ``handlers.py`` as the `Operations`
the generated routes call, and the app that serves the directory.

Example::

    from dosirak.runtime import app_for_directory

    app = app_for_directory("build/")   # openapi.json, server/, handlers.py
"""

from __future__ import annotations

import functools
import importlib
import inspect
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from starlette.applications import Starlette

from ._binding import DEFAULT_API_THREADS, _Operations, _primed
from ._generated import GeneratedServer, load_generated
from ._threads import ThreadPool
from .context import Context

__all__ = ["HandlerError", "app_for_directory", "bind_handlers", "load_handlers"]

Operation = Callable[..., Awaitable[Any]]


class HandlerError(LookupError):
    """``handlers.py`` is missing, does not import, or lacks an operation's function."""


def load_handlers(generated: GeneratedServer) -> list[ModuleType]:
    """``handlers.py``, then ``handlers_new.py`` if there is one, imported beside ``server``."""
    modules = []
    for stem in ("handlers", "handlers_new"):
        path = generated.directory / f"{stem}.py"
        if not path.is_file():
            if stem == "handlers":
                raise HandlerError(
                    f"{generated.directory} has no handlers.py; generate its stubs with "
                    "`dosirak gen DOCUMENT -o DIR` (a directory generated from a service is "
                    "served with `dosirak serve service.py:svc --generated DIR`)"
                )
            continue
        name = f"{generated.parent}.{stem}"
        loaded = sys.modules.get(name)
        # Read again when the app is built again: the user may have edited it since.
        modules.append(importlib.reload(loaded) if loaded else importlib.import_module(name))
    return modules


def bind_handlers(modules: list[ModuleType], operation_names: Mapping[str, str]) -> Any:
    """An object with one coroutine per operation, each calling the handler of that name
    (the first module that defines it wins: handlers.py before handlers_new.py)."""
    bound: dict[str, Operation] = {}
    pool = ThreadPool(DEFAULT_API_THREADS, "dosirak-handlers")  # for sync handlers
    missing = []
    for operation_id, name in operation_names.items():
        function = next((getattr(m, name) for m in modules if hasattr(m, name)), None)
        if not callable(function):
            missing.append(f"{name} ({operation_id})")
            continue
        bound[name] = _operation(function, pool)
    if missing:
        raise HandlerError(
            f"handlers.py has no function for {', '.join(missing)}; regenerate with "
            "`dosirak gen` to get their stubs in handlers_new.py"
        )
    return _Operations(bound)


def _operation(function: Callable[..., Any], pool: ThreadPool) -> Operation:
    """The call the routes make, ``(body, context, **parameters)``, as the handler takes it:
    the body and context only if it names them, parameters by name."""
    signature = inspect.signature(function)
    accepted = set(signature.parameters)
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    wants_body = "body" in accepted or takes_any
    wants_context = "context" in accepted or takes_any
    is_coroutine = inspect.iscoroutinefunction(function)
    is_stream = inspect.isasyncgenfunction(function) or inspect.isgeneratorfunction(function)

    async def call(body: Any, context: Context, /, **parameters: Any) -> Any:
        kwargs = parameters if takes_any else {k: v for k, v in parameters.items() if k in accepted}
        if wants_body:
            kwargs["body"] = body
        if wants_context:
            kwargs["context"] = context
        if is_coroutine:
            return await function(**kwargs)
        if is_stream:  # first item drawn now: an early failure keeps a status of its own
            return await _primed(function(**kwargs), pool)
        return await pool.run(functools.partial(function, **kwargs))

    call.__name__ = getattr(function, "__name__", "handler")
    return call


def app_for_directory(directory: str | Path, **options: Any) -> Starlette:
    """The app serving a spec-first directory: its generated routes and ``handlers.py``.

    ``options`` go to `build_app` (``limits=``, ``request_timeout_s=``...).
    """
    from ._app import build_app

    generated = load_generated(directory)
    operations = bind_handlers(load_handlers(generated), generated.routes.OPERATION_NAMES)
    return build_app(generated, operations, **options)
