"""One-file exports of a model (``.tar.gz`` or ``.zip``) and their safe import.

An archive holds the model's folder contents at its top level, ``model.yaml`` included.
Import refuses members that are absolute, climb out with ``..``, or are links or devices,
and moves the model into the store in one rename, as a save does.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

import yaml

from ._errors import CorruptModel, ModelAlreadyExists, UnsafeArchive
from ._info import ModelInfo
from ._model import MODEL_FILE, Model
from ._store import IMPORTING_PREFIX, ModelStore, sweep_stale
from ._tag import Tag

__all__ = ["export_model", "import_model"]


def export_model(store: ModelStore, tag: str | Tag | Model, path: str | os.PathLike[str]) -> Path:
    """Write the model to ``path``: a zip file if it ends with ``.zip``, else a tar.gz."""
    model = tag if isinstance(tag, Model) else store.get(tag)
    target = Path(path)
    if target.is_dir():
        target = target / f"{model.name}-{model.version}.tar.gz"
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        if target.suffix == ".zip":
            _write_zip(model, partial)
        else:
            _write_tar(model, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def _files(model: Model) -> list[tuple[Path, str]]:
    found = []
    for file in sorted(model.path.rglob("*")):
        if file.is_symlink() or not (file.is_file() or file.is_dir()):
            raise CorruptModel(str(model.tag), model.path, f"{file} is not a plain file")
        if file.is_file():
            found.append((file, file.relative_to(model.path).as_posix()))
    return found


def _write_tar(model: Model, target: Path) -> None:
    with tarfile.open(target, "w:gz") as archive:
        for file, name in _files(model):
            archive.add(file, arcname=name, recursive=False)


def _write_zip(model: Model, target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file, name in _files(model):
            archive.write(file, arcname=name)


def import_model(store: ModelStore, path: str | os.PathLike[str]) -> Model:
    """Add the model exported to ``path`` to the store, under its original tag."""
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"no archive at {source}")
    store.root.mkdir(parents=True, exist_ok=True)
    sweep_stale(store.root)
    staging = Path(tempfile.mkdtemp(prefix=IMPORTING_PREFIX, dir=store.root))
    try:
        if zipfile.is_zipfile(source):
            _extract_zip(source, staging)
        elif tarfile.is_tarfile(source):
            _extract_tar(source, staging)
        else:
            raise UnsafeArchive(source, "not a .tar.gz or .zip model export")
        tag, info = _tag_of(source, staging)
        try:
            final = store.add_folder(staging, tag)
        except OSError:
            existing = store.root / tag.name / (tag.version or "")
            if existing.exists():
                raise ModelAlreadyExists(str(tag), existing) from None
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Model(Tag(tag.name, final.name), final, info)


def _member_path(archive: Path, name: str) -> PurePosixPath:
    member = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or member.is_absolute()
        or ".." in member.parts
        or (member.parts and ":" in member.parts[0])
    ):
        raise UnsafeArchive(archive, f"member {name!r} would be written outside the model")
    return member


def _extract_tar(source: Path, staging: Path) -> None:
    with tarfile.open(source, "r:*") as archive:
        members = []  # all checked before any is written
        for member in archive.getmembers():
            members.append((member, _member_path(source, member.name)))
            if not (member.isfile() or member.isdir()):
                raise UnsafeArchive(source, f"member {member.name!r} is a link or device")
        for member, name in members:
            target = staging / name
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            stream = archive.extractfile(member)
            if stream is None:
                raise UnsafeArchive(source, f"member {member.name!r} cannot be read")
            _write(stream, target)


def _extract_zip(source: Path, staging: Path) -> None:
    with zipfile.ZipFile(source) as archive:
        infos = []  # all checked before any is written
        for info in archive.infolist():
            infos.append((info, _member_path(source, info.filename.rstrip("/") or info.filename)))
            if (info.external_attr >> 16) & 0o170000 == 0o120000:  # a symbolic link
                raise UnsafeArchive(source, f"member {info.filename!r} is a link")
        for info, name in infos:
            target = staging / name
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            _write(archive.open(info), target)


def _write(stream: IO[bytes], target: Path) -> None:
    with stream:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            shutil.copyfileobj(stream, out)


def _tag_of(source: Path, staging: Path) -> tuple[Tag, ModelInfo]:
    document = staging / MODEL_FILE
    if not document.is_file():
        raise UnsafeArchive(source, f"no {MODEL_FILE} at the top of the archive")
    try:
        name, version, info = ModelInfo.from_dict(yaml.safe_load(document.read_text("utf-8")))
        return Tag(name, version), info
    except (yaml.YAMLError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise UnsafeArchive(source, f"its {MODEL_FILE} is invalid: {exc}") from None
