"""What the framework modules share: saving through the store and finding their models."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ._errors import WrongFramework
from ._info import ModelSignature, signatures_from
from ._model import Model
from ._store import default_store
from ._tag import Tag

__all__ = ["ModelLike", "SignaturesArg", "model_for", "save_with"]

ModelLike = str | Tag | Model
SignaturesArg = Mapping[str, ModelSignature | Mapping[str, Any]] | None


def save_with(
    name: str,
    obj: Any,
    *,
    framework: str,
    framework_version: str,
    write: Callable[[Path], None],
    signatures: SignaturesArg,
    default_signatures: Mapping[str, ModelSignature],
    labels: Mapping[str, str] | None,
    metadata: Mapping[str, Any] | None,
    custom_objects: Mapping[str, Any] | None,
) -> Model:
    """Check the signatures against ``obj``, then let ``write(folder)`` save it atomically."""
    chosen = signatures_from(signatures) if signatures is not None else dict(default_signatures)
    if not chosen:
        raise ValueError(
            f"{type(obj).__name__} has none of the methods dosirak.{framework} serves by "
            "default; pass signatures={'method': {'batchable': ...}}"
        )
    missing = [m for m in chosen if not callable(getattr(obj, m, None))]
    if missing:
        raise ValueError(
            f"signatures name {', '.join(missing)}, which {type(obj).__name__} does not have"
        )
    with default_store().create(
        name,
        framework=framework,
        framework_version=framework_version,
        signatures=chosen,
        labels=labels,
        metadata=metadata,
        custom_objects=custom_objects,
    ) as draft:
        write(draft.path)
    assert draft.model is not None  # set when the block ends without an error
    return draft.model


def model_for(model: ModelLike, framework: str) -> Model:
    """The stored model for a tag (or a Model), checked to be of ``framework``."""
    found = model if isinstance(model, Model) else default_store().get(model)
    if found.info.framework != framework:
        raise WrongFramework(str(found.tag), framework, found.info.framework)
    return found
