"""The local model store: save, find, list, delete, export and import models.

Models live under ``$DOSIRAK_HOME/models`` (default ``~/.dosirak/models``), one folder per
version. The framework modules (`dosirak.sklearn`, `dosirak.pytorch`,
`dosirak.picklable_model`) save and load through it. Example::

    import dosirak

    dosirak.sklearn.save_model("iris_clf", clf)            # Model(tag='iris_clf:...')
    model = dosirak.models.get("iris_clf:latest")
    runner = model.to_runner()                             # as the seed's tutorial does
    dosirak.models.export_model("iris_clf:latest", "iris_clf.tar.gz")
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import _archive
from ._errors import (
    CorruptModel,
    InvalidTag,
    ModelAlreadyExists,
    ModelNotFound,
    ModelStoreError,
    UnsafeArchive,
    UnsafeModelWarning,
    WrongFramework,
)
from ._frameworks import framework_module
from ._info import ModelInfo, ModelSignature
from ._model import Model
from ._store import default_store
from ._tag import Tag

__all__ = [
    "CorruptModel",
    "InvalidTag",
    "Model",
    "ModelAlreadyExists",
    "ModelInfo",
    "ModelNotFound",
    "ModelSignature",
    "ModelStoreError",
    "Tag",
    "UnsafeArchive",
    "UnsafeModelWarning",
    "WrongFramework",
    "delete",
    "export_model",
    "get",
    "import_model",
    "list",
    "save_model",
    "store_path",
]


def store_path() -> Path:
    """Where the store is: ``$DOSIRAK_HOME/models``."""
    return default_store().root


def save_model(
    name: str,
    obj: Any,
    *,
    framework: str,
    signatures: Mapping[str, ModelSignature | Mapping[str, Any]] | None = None,
    labels: Mapping[str, str] | None = None,
    metadata: Mapping[str, Any] | None = None,
    custom_objects: Mapping[str, Any] | None = None,
) -> Model:
    """Save ``obj`` with the framework module named ``framework`` (``"sklearn"``,
    ``"pytorch"`` or ``"picklable_model"``); a new version of ``name``.

    Example::

        dosirak.models.save_model("iris_clf", clf, framework="sklearn", labels={"team": "ml"})
    """
    return framework_module(framework).save_model(
        name,
        obj,
        signatures=signatures,
        labels=labels,
        metadata=metadata,
        custom_objects=custom_objects,
    )


def get(tag: str | Tag) -> Model:
    """The model for ``"name:version"``, ``"name:latest"`` or ``"name"`` (the latest).

    Raises ModelNotFound, or CorruptModel when its entry cannot be read.
    """
    return default_store().get(tag)


def list(name: str | None = None) -> builtins.list[Model]:  # shadows the builtin, as BentoML's does
    """Every saved model (or every version of ``name``), sorted by name then version."""
    return default_store().list(name)


def delete(tag: str | Tag) -> Tag:
    """Delete one version (``"name"`` alone: the latest), even a corrupt one."""
    return default_store().delete(tag)


def export_model(tag: str | Tag | Model, path: str | os.PathLike[str]) -> Path:
    """Write the model to one archive: ``.zip`` if ``path`` ends so, else ``.tar.gz``."""
    return _archive.export_model(default_store(), tag, path)


def import_model(path: str | os.PathLike[str]) -> Model:
    """Add an exported model to the store under its original tag."""
    return _archive.import_model(default_store(), path)
