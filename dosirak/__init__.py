"""dosirak: serve machine-learning models from an OpenAPI contract.

Example::

    import dosirak
    from dosirak.io import NumpyNdarray

    svc = dosirak.Service("iris_classifier", runners=[iris_runner])

    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def classify(input_series):
        return iris_runner.predict.run(input_series)
"""

from pathlib import Path as _Path

# In a source checkout the subpackages codegen/, runtime/ and templates/ are siblings of
# this folder (pyproject's package-dir maps them). When the checkout itself is on sys.path
# (the repo root as working directory), map them here the same way.
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
from .client import AsyncClient, Client

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
]
