"""dosirak: serve machine-learning models from an OpenAPI contract.

Example::

    import dosirak
    from dosirak.io import NumpyNdarray

    svc = dosirak.Service("iris_classifier", runners=[iris_runner])

    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def classify(input_series):
        return iris_runner.predict.run(input_series)
"""

import gc as _gc

# Importing dosirak (with numpy, pydantic and starlette) makes a few hundred thousand
# objects that live on and next to no garbage; the cyclic collector would walk them ~100
# times meanwhile (~16 ms, a twentieth of a server's start-up). Paused for the import;
# then what it made goes straight to the oldest generation (a freeze and thaw, unless
# someone froze objects that must stay frozen) rather than the next young collection
# walking all of it; then the collector is as it was.
_collecting = _gc.isenabled()
_gc.disable()
try:
    from pathlib import Path as _Path
    from typing import TYPE_CHECKING

    # In a source checkout the subpackages codegen/, runtime/ and templates/ are siblings
    # of this folder (pyproject's package-dir maps them). When the checkout itself is on
    # sys.path (the repo root as working directory), map them here the same way.
    if (
        not (_Path(__file__).parent / "runtime").is_dir()
        and (_Path(__file__).parent.parent / "runtime" / "__init__.py").is_file()
    ):
        __path__.append(str(_Path(__file__).parent.parent))

    from dosirak.runtime.context import Context, Cookie

    from . import exceptions, io
    from ._runner import Runnable, RunnableMethodConfig, Runner, RunnerMethod
    from ._service import InferenceAPI, Service, ServiceDefinitionError
    from ._version import __version__
finally:
    if not _gc.get_freeze_count():
        _gc.freeze()
        _gc.unfreeze()
    if _collecting:
        _gc.enable()

__all__ = [
    "AsyncClient",
    "Client",
    "Context",
    "Cookie",
    "InferenceAPI",
    "Runnable",
    "RunnableMethodConfig",
    "Runner",
    "RunnerMethod",
    "Service",
    "ServiceDefinitionError",
    "__version__",
    "exceptions",
    "io",
    "models",
]

# The model store and the framework modules load on first use, so `import dosirak` stays
# light and works without scikit-learn or torch: `dosirak.sklearn.get(...)` as in the seed.
# (Framework modules stay out of __all__: a star import would need every framework.)
_LAZY_MODULES = frozenset({"models", "picklable_model", "pytorch", "sklearn"})

# The client (httpx) loads on first use too: a server never needs it.
_LAZY_CLIENT = frozenset({"AsyncClient", "Client"})

if TYPE_CHECKING:
    from . import models
    from . import picklable_model as picklable_model
    from . import pytorch as pytorch
    from . import sklearn as sklearn
    from .client import AsyncClient, Client
else:

    def __getattr__(name: str) -> object:
        if name in _LAZY_MODULES:
            import importlib

            return importlib.import_module(f"{__name__}.{name}")
        if name in _LAZY_CLIENT:
            from . import client

            return getattr(client, name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
