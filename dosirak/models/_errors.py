"""What can go wrong in the model store: small exception classes with structured fields."""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "CorruptModel",
    "InvalidTag",
    "ModelAlreadyExists",
    "ModelNotFound",
    "ModelStoreError",
    "UnsafeArchive",
    "UnsafeModelWarning",
    "WrongFramework",
]


class ModelStoreError(Exception):
    """Base class of the model store's errors."""


class InvalidTag(ModelStoreError, ValueError):
    """A tag that is not ``name``, ``name:latest`` or ``name:version``."""

    def __init__(self, tag: str, reason: str) -> None:
        self.tag = tag
        self.reason = reason
        super().__init__(f"invalid model tag {tag!r}: {reason}")


class ModelNotFound(ModelStoreError, LookupError):
    """No model (or no version of it) under the store for this tag."""

    def __init__(self, tag: str, store: Path, *, known: tuple[str, ...] = ()) -> None:
        self.tag = tag
        self.store = store
        self.known = known
        hint = f"; the store has {', '.join(known)}" if known else ""
        super().__init__(f"model {tag!r} is not in the model store at {store}{hint}")


class CorruptModel(ModelStoreError):
    """An entry exists but cannot be read: missing or invalid ``model.yaml``, missing files."""

    def __init__(self, tag: str, path: Path, reason: str) -> None:
        self.tag = tag
        self.path = path
        self.reason = reason
        super().__init__(
            f"model {tag!r} at {path} is corrupt: {reason}; "
            f"delete it with `dosirak models delete {tag}` and save it again"
        )


class ModelAlreadyExists(ModelStoreError):
    """An import would overwrite a version that is already in the store."""

    def __init__(self, tag: str, path: Path) -> None:
        self.tag = tag
        self.path = path
        super().__init__(f"model {tag!r} is already in the store at {path}; delete it first")


class UnsafeArchive(ModelStoreError):
    """An archive to import is not a model export or has members that escape its folder."""

    def __init__(self, archive: Path, reason: str) -> None:
        self.archive = archive
        self.reason = reason
        super().__init__(f"cannot import {archive}: {reason}")


class WrongFramework(ModelStoreError):
    """A framework module asked for a model saved by another framework."""

    def __init__(self, tag: str, expected: str, found: str) -> None:
        self.tag = tag
        self.expected = expected
        self.found = found
        super().__init__(
            f"model {tag!r} was saved with framework {found!r}, not {expected!r}; "
            f"load it with dosirak.{found}.get({tag!r})"
        )


class UnsafeModelWarning(UserWarning):
    """Loading a pickle-based model runs code stored in it: load only models you trust."""
