"""The local model store: one folder per version under ``$DOSIRAK_HOME/models/<name>/``.

A save writes into a hidden folder beside the versions and renames it into place, so a
reader sees a version completely or not at all; a version's name is unique, so concurrent
saves of one name never write into the same folder. ``latest`` is the greatest version.
"""

from __future__ import annotations

import builtins
import datetime as _dt
import os
import pickle
import platform
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from dosirak._version import __version__
from dosirak.runtime._cache import dosirak_home

from ._errors import CorruptModel, ModelNotFound
from ._info import ModelInfo, SignaturesLike, signatures_from
from ._model import CUSTOM_OBJECTS_FILE, MODEL_FILE, Model
from ._tag import Tag, new_version

__all__ = ["IMPORTING_PREFIX", "Draft", "ModelStore", "default_store", "sweep_stale"]

_PARTIAL = ".partial-"
_DELETING = ".deleting-"
IMPORTING_PREFIX = ".importing-"
_STALE_AFTER_S = 24 * 3600  # a staging folder this old belongs to a process that died


def sweep_stale(folder: Path) -> None:
    """Remove staging folders left by processes killed in a save, delete or import."""
    try:
        entries = list(folder.iterdir())
    except FileNotFoundError:
        return
    cutoff = time.time() - _STALE_AFTER_S
    for entry in entries:
        if entry.name.startswith((_PARTIAL, _DELETING, IMPORTING_PREFIX)):
            try:
                if entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry, ignore_errors=True)
            except FileNotFoundError:  # removed by another process meanwhile
                pass


def default_store() -> ModelStore:
    """The store under ``$DOSIRAK_HOME/models`` (``~/.dosirak/models``), read at each call."""
    return ModelStore(dosirak_home() / "models")


@dataclass
class Draft:
    """A model being saved: the framework writes its files into ``path``."""

    tag: Tag
    path: Path
    model: Model | None = None  # set once the save has completed


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ModelStore:
    """Models saved under ``root``; the module-level functions use `default_store`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # --- writing -------------------------------------------------------------------------

    @contextmanager
    def create(
        self,
        name: str,
        *,
        framework: str,
        framework_version: str,
        signatures: SignaturesLike,
        labels: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        custom_objects: Mapping[str, Any] | None = None,
    ) -> Iterator[Draft]:
        """Write a new version: files go into ``draft.path``, visible once the block ends."""
        tag = Tag(name, new_version())
        info = ModelInfo(
            framework=framework,
            framework_version=framework_version,
            signatures=signatures_from(signatures),
            created_at=_dt.datetime.now(_dt.timezone.utc),
            dosirak_version=__version__,
            python_version=platform.python_version(),
            labels=labels or {},
            metadata=metadata or {},
            options=options or {},
            custom_objects=tuple(custom_objects or {}),
        )
        document = info.to_yaml(tag.name, tag.version or "")  # refused before any write
        folder = self.root / tag.name
        folder.mkdir(parents=True, exist_ok=True)
        sweep_stale(folder)
        partial = Path(tempfile.mkdtemp(prefix=f"{_PARTIAL}{tag.version}-", dir=folder))
        draft = Draft(tag, partial)
        try:
            yield draft
            if custom_objects:
                with (partial / CUSTOM_OBJECTS_FILE).open("wb") as stream:
                    pickle.dump(dict(custom_objects), stream)
            (partial / MODEL_FILE).write_text(document, encoding="utf-8")
            _fsync(partial / MODEL_FILE)
            final = folder / (tag.version or "")
            partial.rename(final)  # the atomic step: before it nothing shows, after it all does
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        draft.model = Model(tag, final, info)

    def add_folder(self, source: Path, tag: Tag) -> Path:
        """Move a complete model folder (on this file system) into place as ``tag``."""
        folder = self.root / tag.name
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / (tag.version or "")
        source.rename(final)  # fails if the version exists (a non-empty folder)
        return final

    def delete(self, tag: str | Tag) -> Tag:
        """Remove one version (``name`` alone means the latest), corrupt or not."""
        resolved, path = self.resolve(tag)
        doomed = path.with_name(f"{_DELETING}{resolved.version}-{os.getpid()}")
        try:
            path.rename(doomed)  # gone from view at once, even if the removal is slow
        except FileNotFoundError:  # deleted by someone else meanwhile
            raise ModelNotFound(str(resolved), self.root) from None
        shutil.rmtree(doomed)
        return resolved

    # --- reading -------------------------------------------------------------------------

    def get(self, tag: str | Tag) -> Model:
        """The model for ``name:version``, ``name:latest`` or ``name``."""
        return self._read(*self.resolve(tag))

    def resolve(self, tag: str | Tag) -> tuple[Tag, Path]:
        """The full tag and folder of an existing version, without reading ``model.yaml``."""
        parsed = tag if isinstance(tag, Tag) else Tag.parse(tag)
        if parsed.version is None:
            versions = self._versions(parsed.name)
            if not versions:
                raise ModelNotFound(str(parsed), self.root, known=tuple(self.names()))
            parsed = Tag(parsed.name, versions[-1])
        path = self.root / parsed.name / (parsed.version or "")
        if not path.is_dir():
            known = tuple(f"{parsed.name}:{v}" for v in self._versions(parsed.name))
            raise ModelNotFound(str(parsed), self.root, known=known or tuple(self.names()))
        return parsed, path

    def names(self) -> builtins.list[str]:
        """Names that have at least one version, sorted."""
        return [name for name, _ in self._listing()]

    def list(self, name: str | None = None) -> builtins.list[Model]:
        """Every model (or every version of ``name``), by name then version.

        A corrupt entry raises CorruptModel rather than vanishing from the list.
        """
        models = []
        for entry in self.scan(name):
            if isinstance(entry, CorruptModel):
                raise entry
            models.append(entry)
        return models

    def scan(self, name: str | None = None) -> Iterator[Model | CorruptModel]:
        """Like `list`, but yields corrupt entries as CorruptModel values, in place."""
        if name is None:
            listing = self._listing()
        else:
            one = Tag(name).name
            listing = [(one, self._versions(one))]
        for each, versions in listing:
            for version in versions:
                tag = Tag(each, version)
                try:
                    yield self._read(tag, self.root / each / version)
                except CorruptModel as exc:
                    yield exc

    def _listing(self) -> builtins.list[tuple[str, builtins.list[str]]]:
        """Each name that has versions, with its versions, both sorted: one pass over the
        folders."""
        if not self.root.is_dir():
            return []
        names = sorted(
            entry.name
            for entry in self.root.iterdir()
            if entry.is_dir() and not entry.name.startswith(".")
        )
        listing = [(name, self._versions(name)) for name in names]
        return [(name, versions) for name, versions in listing if versions]

    def _versions(self, name: str) -> builtins.list[str]:
        folder = self.root / name
        if not folder.is_dir():
            return []
        return sorted(
            entry.name
            for entry in folder.iterdir()
            if not entry.name.startswith(".") and entry.is_dir()
        )

    def _read(self, tag: Tag, path: Path) -> Model:
        document = path / MODEL_FILE
        try:
            text = document.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CorruptModel(str(tag), path, f"{MODEL_FILE} is missing") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CorruptModel(str(tag), path, f"{MODEL_FILE} cannot be read: {exc}") from None
        try:
            name, version, info = ModelInfo.from_dict(yaml.safe_load(text))
        except yaml.YAMLError as exc:
            reason = f"{MODEL_FILE} is not valid YAML: {exc}"
            raise CorruptModel(str(tag), path, reason) from None
        except (TypeError, ValueError) as exc:
            raise CorruptModel(str(tag), path, str(exc)) from None
        if (name, version) != (tag.name, tag.version):
            reason = f"{MODEL_FILE} names {name}:{version}, not the folder it is in"
            raise CorruptModel(str(tag), path, reason)
        return Model(tag, path, info)
