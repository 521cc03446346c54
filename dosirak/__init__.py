"""dosirak: serve machine-learning models from an OpenAPI contract.

Example::

    import dosirak
    from dosirak.io import NumpyNdarray

    svc = dosirak.Service("iris_classifier", runners=[iris_runner])

    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def classify(input_series):
        return iris_runner.predict.run(input_series)
"""

from dosirak.runtime.context import Context, Cookie

from . import io
from ._runner import Runnable, Runner, RunnerMethod
from ._service import InferenceAPI, Service, ServiceDefinitionError
from ._version import __version__

__all__ = [
    "Context",
    "Cookie",
    "InferenceAPI",
    "Runnable",
    "Runner",
    "RunnerMethod",
    "Service",
    "ServiceDefinitionError",
    "__version__",
    "io",
]
