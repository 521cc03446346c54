"""Service: a name, its runners and its APIs.

Example::

    svc = dosirak.Service("iris_classifier", runners=[iris_runner])

    @svc.api(input=NumpyNdarray(), output=NumpyNdarray())
    def classify(input_series: np.ndarray) -> np.ndarray:
        return iris_runner.predict.run(input_series)
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from dosirak.runtime.context import Context

from ._runner import Runner
from .io import IODescriptor

__all__ = ["RESERVED_PATHS", "InferenceAPI", "Service", "ServiceDefinitionError"]

F = TypeVar("F", bound=Callable[..., Any])

_SERVICE_NAME = re.compile(r"^[a-z0-9]([a-z0-9_.-]*[a-z0-9])?$")
_ROUTE = re.compile(r"^/([A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*)?$")
#: Paths the server answers itself; no API may take them or live below them.
RESERVED_PATHS = ("/docs", "/redoc", "/openapi.json", "/livez", "/readyz", "/metrics")
_CONTEXT_NAMES = ("ctx", "context")


class ServiceDefinitionError(ValueError):
    """A service or API definition that cannot be served, with what to change."""


@dataclass(frozen=True)
class InferenceAPI:
    """One API of a service, as declared with `Service.api`."""

    name: str
    route: str
    func: Callable[..., Any]
    input: IODescriptor
    output: IODescriptor
    doc: str | None
    is_async: bool
    context_param: str | None
    #: The function is a generator: its output streams (Text as server-sent events).
    is_stream: bool = False
    #: The success statuses it answers, the first by default (others set via Context).
    statuses: tuple[int, ...] = (200,)


class Service:
    """A named set of runners and APIs; `dosirak gen` and `dosirak serve` take it."""

    def __init__(
        self,
        name: str,
        runners: Sequence[Runner] | None = None,
        *,
        version: str = "0.1.0",
        description: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not _SERVICE_NAME.match(name):
            raise ServiceDefinitionError(
                f"service name {name!r} must be lowercase letters, digits, '_', '-' or '.'"
            )
        self.name = name
        self.version = version
        self.description = description
        self.runners: list[Runner] = []
        for runner in runners or ():
            if not isinstance(runner, Runner):
                raise ServiceDefinitionError(
                    f"service {name!r}: runners must be dosirak.Runner objects, got {runner!r}"
                )
            if any(r.name == runner.name for r in self.runners):
                raise ServiceDefinitionError(
                    f"service {name!r}: two runners are named {runner.name!r}; "
                    "give one a different name="
                )
            self.runners.append(runner)
        self.apis: dict[str, InferenceAPI] = {}

    def api(
        self,
        input: IODescriptor,
        output: IODescriptor,
        name: str | None = None,
        route: str | None = None,
        doc: str | None = None,
        statuses: Sequence[int] = (200,),
    ) -> Callable[[F], F]:
        """Declare the decorated function as an API taking `input` and returning `output`.

        The API answers ``POST /<name>`` (the function's name unless ``name=`` is given);
        ``route=`` sets another path, nested ones included. ``statuses`` are the success
        statuses it may answer: the first by default, the others when the function sets
        ``ctx.response.status_code``; the document declares each.
        """

        def decorate(func: F) -> F:
            self._add(func, input, output, name, route, doc, tuple(statuses))
            return func

        return decorate

    def _add(
        self,
        func: Callable[..., Any],
        input: IODescriptor,
        output: IODescriptor,
        name: str | None,
        route: str | None,
        doc: str | None,
        statuses: tuple[int, ...] = (200,),
    ) -> None:
        api_name = name if name is not None else getattr(func, "__name__", "")
        where = f"service {self.name!r}, API {api_name!r}"
        if not api_name.isidentifier():
            raise ServiceDefinitionError(
                f"{where}: the name must be a Python identifier; pass name='...'"
            )
        for role, descriptor in (("input", input), ("output", output)):
            if not isinstance(descriptor, IODescriptor):
                raise ServiceDefinitionError(
                    f"{where}: {role}= must be an IO descriptor such as NumpyNdarray(), "
                    f"got {descriptor!r}"
                )
        path = route if route is not None else f"/{api_name}"
        if not path.startswith("/"):
            path = "/" + path
        if not _ROUTE.match(path):
            raise ServiceDefinitionError(
                f"{where}: route {path!r} may hold only letters, digits and '._~-' "
                "between single slashes (no parameters, no trailing slash)"
            )
        for reserved in RESERVED_PATHS:
            if path == reserved or path.startswith(reserved + "/"):
                raise ServiceDefinitionError(
                    f"{where}: route {path!r} is reserved for the server's own {reserved}"
                )
        if api_name in self.apis:
            raise ServiceDefinitionError(f"{where}: an API of that name is already defined")
        for other in self.apis.values():
            if other.route == path:
                raise ServiceDefinitionError(
                    f"{where}: route {path!r} is already taken by API {other.name!r}"
                )
        if (
            not statuses
            or any(not isinstance(s, int) or not 200 <= s < 300 for s in statuses)
            or len(set(statuses)) != len(statuses)
        ):
            raise ServiceDefinitionError(
                f"{where}: statuses={statuses!r} must be distinct 2xx status codes"
            )
        context_param = _check_signature(func, input, where)
        is_stream = inspect.isgeneratorfunction(func) or inspect.isasyncgenfunction(func)
        if is_stream and output.kind != "text":
            raise ServiceDefinitionError(
                f"{where}: a generator function streams its output, which only Text() "
                f"output can; this API declares {type(output).__name__}"
            )
        self.apis[api_name] = InferenceAPI(
            name=api_name,
            route=path,
            func=func,
            input=input,
            output=output,
            doc=doc if doc is not None else inspect.getdoc(func),
            is_async=inspect.iscoroutinefunction(func),
            context_param=context_param,
            is_stream=is_stream,
            statuses=statuses,
        )

    @property
    def asgi_app(self) -> Any:
        """The served Starlette app, generated into the cache on first use."""
        from dosirak.runtime import app_for_service

        return app_for_service(self)

    def __repr__(self) -> str:
        return (
            f"<Service {self.name} apis={list(self.apis)} runners={[r.name for r in self.runners]}>"
        )


def _check_signature(func: Callable[..., Any], descriptor: IODescriptor, where: str) -> str | None:
    """Return the context parameter's name; fail unless the function takes one input."""
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise ServiceDefinitionError(f"{where}: cannot read the function's signature") from exc
    try:
        hints = inspect.get_annotations(func, eval_str=True)
    except Exception:  # unresolvable string annotations: fall back to parameter names
        hints = {}
    context_param: str | None = None
    inputs: list[inspect.Parameter] = []
    for param in signature.parameters.values():
        annotation = hints.get(param.name, param.annotation)
        if annotation is Context or (
            param.name in _CONTEXT_NAMES and annotation in (inspect.Parameter.empty, "Context")
        ):
            context_param = param.name
        elif param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        else:
            inputs.append(param)
    problem = descriptor.check_parameters(inputs, where)
    if problem is not None:
        raise ServiceDefinitionError(f"{where}: {problem}")
    return context_param
