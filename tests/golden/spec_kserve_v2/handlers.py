"""Handlers of Data Plane 2.0: one function per operation of openapi.json.

Yours to edit. `dosirak gen` wrote this file once and never overwrites it: operations
the document gains later get stubs in handlers_new.py. Each stub answers 501 until you
fill it in; `dosirak serve DIR` serves them. A handler returns the body of the
operation's first success response (set `context.response.status_code` for another
declared one) and raises a `dosirak.exceptions` error to refuse a request.
"""

from __future__ import annotations

from dosirak import Context as _Context
from dosirak.exceptions import NotImplementedOperation

from .server import models as _models


async def get_v2_health_live(*, context: _Context) -> None:
    """GET /v2/health/live: Server Live

    The “server live” API indicates if the inference server is able to receive and
    respond to metadata and inference requests. The “server live” API can be used
    directly to implement the Kubernetes livenessProbe.
    """
    raise NotImplementedOperation("get-v2-health-live")


async def get_v2_health_ready(*, context: _Context) -> None:
    """GET /v2/health/ready: Server Ready

    The “server ready” health API indicates if all the models are ready for inferencing.
    The “server ready” health API can be used directly to implement the Kubernetes
    readinessProbe.
    """
    raise NotImplementedOperation("get-v2-health-ready")


async def get_v2_models_model_name_versions_model_version_ready(
    *, model_name: str, model_version: str, context: _Context
) -> None:
    """GET /v2/models/${MODEL_NAME}/versions/${MODEL_VERSION}/ready: Model Ready

    The “model ready” health API indicates if a specific model is ready for inferencing.
    The model name and (optionally) version must be available in the URL. If a version
    is not provided the server may choose a version based on its own policies.
    """
    raise NotImplementedOperation("get-v2-models-$-modelName-versions-$-modelVersion-ready")


async def get_v2(*, context: _Context) -> _models.MetadataServerResponse:
    """GET /v2/: Server Metadata

    The server metadata endpoint provides information about the server. A server
    metadata request is made with an HTTP GET to a server metadata endpoint. In the
    corresponding response the HTTP body contains the [Server Metadata Response JSON
    Object](#server-metadata-response-json-object) or the [Server Metadata Response JSON
    Error Object](#server-metadata-response-json-error-object).
    """
    raise NotImplementedOperation("get-v2")


async def get_v2_models_model_name_versions_model_version(
    *, model_name: str, model_version: str, context: _Context
) -> _models.MetadataModelResponse:
    """GET /v2/models/${MODEL_NAME}/versions/${MODEL_VERSION}: Model Metadata

    The per-model metadata endpoint provides information about a model. A model metadata
    request is made with an HTTP GET to a model metadata endpoint. In the corresponding
    response the HTTP body contains the [Model Metadata Response JSON
    Object](#model-metadata-response-json-object) or the [Model Metadata Response JSON
    Error Object](#model-metadata-response-json-error-object). The model name and
    (optionally) version must be available in the URL. If a version is not provided the
    server may choose a version based on its own policies or return an error.
    """
    raise NotImplementedOperation("get-v2-models-$-modelName-versions-$-modelVersion")


async def post_v2_models_model_name_versions_model_version_infer(
    body: _models.InferenceRequest | None, *, model_name: str, model_version: str, context: _Context
) -> _models.InferenceResponse:
    """POST /v2/models/${MODEL_NAME}/versions/${MODEL_VERSION}/infer: Inference

    An inference request is made with an HTTP POST to an inference endpoint. In the
    request the HTTP body contains the [Inference Request JSON
    Object](#inference-request-json-object). In the corresponding response the HTTP body
    contains the [Inference Response JSON Object](#inference-response-json-object) or
    [Inference Response JSON Error Object](#inference-response-json-error-object). See
    [Inference Request Examples](#inference-request-examples) for some example HTTP/REST
    requests and responses.
    """
    raise NotImplementedOperation("post-v2-models-$-MODEL_NAME-versions-$-MODEL_VERSION-infer")
