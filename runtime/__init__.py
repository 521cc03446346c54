"""The serving runtime: app assembly, codecs the generated code calls, errors, docs.

Example::

    from dosirak.runtime import app_for_service

    app = app_for_service(svc)   # a Starlette app; serve it with uvicorn
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._app import app_for_service, build_app
    from ._generated import GeneratedServer, StaleGeneratedCodeError, load_generated
    from ._handlers import HandlerError, app_for_directory

__all__ = [
    "GeneratedServer",
    "HandlerError",
    "StaleGeneratedCodeError",
    "app_for_directory",
    "app_for_service",
    "build_app",
    "load_generated",
]

if not TYPE_CHECKING:
    from dosirak._lazy import lazy_attributes

    # Lazy, so that `import dosirak` does not pay for Starlette's app machinery.
    __getattr__ = lazy_attributes(
        __name__,
        {
            "app_for_directory": "_handlers",
            "HandlerError": "_handlers",
            "app_for_service": "_app",
            "build_app": "_app",
            "GeneratedServer": "_generated",
            "StaleGeneratedCodeError": "_generated",
            "load_generated": "_generated",
        },
    )
