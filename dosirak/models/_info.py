"""What ``model.yaml`` records about a saved model, and its validation both ways."""

from __future__ import annotations

import datetime as _dt
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["ModelInfo", "ModelSignature", "signatures_from"]

SignaturesLike = Mapping[str, "ModelSignature | Mapping[str, Any]"]
_METHOD = re.compile(r"^(__call__|[A-Za-z_][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class ModelSignature:
    """How the runner may call one method of the model: batched along ``batch_dim`` or not.

    ``batch_dim`` is one dimension for input and output, or ``(input_dim, output_dim)``.
    """

    batchable: bool = False
    batch_dim: int | tuple[int, int] = 0

    @classmethod
    def parse(cls, method: str, value: ModelSignature | Mapping[str, Any]) -> ModelSignature:
        """From a ModelSignature or a mapping like ``{"batchable": True, "batch_dim": 0}``."""
        if not _METHOD.match(method) or (method != "__call__" and keyword.iskeyword(method)):
            raise ValueError(f"signature {method!r}: not a method name")
        if isinstance(value, ModelSignature):
            return value
        if not isinstance(value, Mapping):
            raise TypeError(
                f"signature {method!r}: expected a mapping like "
                f"{{'batchable': True, 'batch_dim': 0}}, got {type(value).__name__}"
            )
        unknown = sorted(set(value) - {"batchable", "batch_dim"})
        if unknown:
            raise ValueError(
                f"signature {method!r}: unknown keys {unknown}; use 'batchable' and 'batch_dim'"
            )
        batchable = value.get("batchable", False)
        if not isinstance(batchable, bool):
            raise TypeError(f"signature {method!r}: 'batchable' must be true or false")
        return cls(batchable, _batch_dim(method, value.get("batch_dim", 0)))

    def to_dict(self) -> dict[str, Any]:
        dim = list(self.batch_dim) if isinstance(self.batch_dim, tuple) else self.batch_dim
        return {"batchable": self.batchable, "batch_dim": dim}


def _batch_dim(method: str, value: Any) -> int | tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return (value[0], value[1])
    raise TypeError(
        f"signature {method!r}: 'batch_dim' must be an integer or a pair of integers "
        f"(input, output), got {value!r}"
    )


def signatures_from(signatures: SignaturesLike) -> dict[str, ModelSignature]:
    """Validated signatures, by method name."""
    if not isinstance(signatures, Mapping) or not signatures:
        raise ValueError("signatures: give at least one method, like {'predict': {...}}")
    return {method: ModelSignature.parse(method, value) for method, value in signatures.items()}


def _labels(labels: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(labels, Mapping):
        raise TypeError("labels: expected a mapping of strings to strings")
    for key, value in labels.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise TypeError(f"labels: {key!r}: {value!r}: keys and values must be strings")
    return dict(labels)


def _metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    # Only the shape: whether YAML can store the values is checked once, by `to_yaml` on
    # save (a model read back came from YAML, so it can).
    if not isinstance(metadata, Mapping) or not all(isinstance(k, str) for k in metadata):
        raise TypeError("metadata: expected a mapping with string keys")
    return dict(metadata)


@dataclass(frozen=True)
class ModelInfo:
    """The contents of a saved model's ``model.yaml``."""

    framework: str
    framework_version: str
    signatures: Mapping[str, ModelSignature]
    created_at: _dt.datetime
    dosirak_version: str
    python_version: str
    labels: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    custom_objects: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", _labels(self.labels))
        object.__setattr__(self, "metadata", _metadata(self.metadata))

    def to_dict(self, name: str, version: str) -> dict[str, Any]:
        return {
            "name": name,
            "version": version,
            "framework": self.framework,
            "framework_version": self.framework_version,
            "signatures": {m: s.to_dict() for m, s in self.signatures.items()},
            "labels": dict(self.labels),
            "metadata": dict(self.metadata),
            "options": dict(self.options),
            "custom_objects": list(self.custom_objects),
            "created_at": self.created_at.isoformat(),
            "dosirak_version": self.dosirak_version,
            "python_version": self.python_version,
        }

    def to_yaml(self, name: str, version: str) -> str:
        """The text of ``model.yaml``; TypeError when ``metadata`` holds what YAML cannot
        store (numpy scalars, objects)."""
        try:
            return yaml.safe_dump(self.to_dict(name, version), sort_keys=False, allow_unicode=True)
        except yaml.YAMLError as exc:
            raise TypeError(
                f"metadata: only strings, numbers, booleans, None, lists and mappings can be "
                f"stored ({exc})"
            ) from None

    @classmethod
    def from_dict(cls, data: Any) -> tuple[str, str, ModelInfo]:
        """``(name, version, info)`` from a parsed ``model.yaml``; ValueError/TypeError if bad."""
        if not isinstance(data, dict):
            raise TypeError("model.yaml does not hold a mapping")
        required = ("name", "version", "framework", "signatures", "created_at")
        missing = [key for key in required if key not in data]
        if missing:
            raise ValueError(f"model.yaml lacks {', '.join(missing)}")
        strings = ("name", "version", "framework", "framework_version", "created_at")
        for key in strings:
            if not isinstance(data.get(key, ""), str):
                raise TypeError(f"model.yaml: {key!r} is not a string")
        custom = data.get("custom_objects", [])
        if not isinstance(custom, list) or not all(isinstance(c, str) for c in custom):
            raise TypeError("model.yaml: 'custom_objects' is not a list of names")
        options = data.get("options", {})
        if not isinstance(options, dict):
            raise TypeError("model.yaml: 'options' is not a mapping")
        created = _dt.datetime.fromisoformat(data["created_at"])
        info = cls(
            framework=data["framework"],
            framework_version=data.get("framework_version", ""),
            signatures=signatures_from(data["signatures"]),
            created_at=created,
            dosirak_version=str(data.get("dosirak_version", "")),
            python_version=str(data.get("python_version", "")),
            labels=data.get("labels") or {},
            metadata=data.get("metadata") or {},
            options=options,
            custom_objects=tuple(custom),
        )
        return data["name"], data["version"], info
