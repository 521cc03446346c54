"""Model tags (``name:version``) and generated versions.

A version is the creation time in microseconds, in Crockford base32 (fixed width, so text
order is time order), followed by random characters, so two saves in one microsecond,
in different processes, still get distinct versions::

    Tag.parse("iris_clf:latest")          # Tag(name='iris_clf', version=None)
    str(Tag("iris_clf", new_version()))   # 'iris_clf:1q2w3e4r5t6-k3v9a'
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass

from ._errors import InvalidTag

__all__ = ["LATEST", "Tag", "new_version"]

LATEST = "latest"
# The runner-name alphabet: a model's name becomes its runner's name.
_NAME = re.compile(r"^[a-z0-9]([a-z0-9_.-]*[a-z0-9])?$")
_VERSION = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_MAX_NAME = 63
_MAX_VERSION = 63
_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"  # ascending in ASCII order as in value
_TIME_DIGITS = 11  # 55 bits of microseconds: until the year 3111
_RANDOM_DIGITS = 5

_last_micros = 0
_lock = threading.Lock()


@dataclass(frozen=True, order=True)
class Tag:
    """A model's name and version; ``version=None`` means the latest."""

    name: str
    version: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or len(self.name) > _MAX_NAME:
            raise InvalidTag(
                str(self),
                f"the name must be 1 to {_MAX_NAME} lowercase letters, digits, '_', '-' or "
                "'.', starting and ending with a letter or digit",
            )
        if self.version is not None and (
            not _VERSION.match(self.version)
            or len(self.version) > _MAX_VERSION
            or self.version == LATEST
        ):
            raise InvalidTag(
                str(self),
                f"the version must be 1 to {_MAX_VERSION} lowercase letters, digits, '_', '-' "
                "or '.', starting with a letter or digit",
            )

    @classmethod
    def parse(cls, text: str) -> Tag:
        """``name``, ``name:latest`` or ``name:version``."""
        if not isinstance(text, str):
            raise InvalidTag(repr(text), "a tag is a string like 'iris_clf:latest'")
        name, sep, version = text.partition(":")
        if sep and not version:
            raise InvalidTag(text, "nothing after ':'; use 'name:latest' or 'name:version'")
        if ":" in version:
            raise InvalidTag(text, "more than one ':'")
        try:
            return cls(name, None if version in ("", LATEST) else version)
        except InvalidTag as exc:
            raise InvalidTag(text, exc.reason) from None

    def __str__(self) -> str:
        return f"{self.name}:{self.version or LATEST}"


def _base32(value: int, digits: int) -> str:
    out = []
    for _ in range(digits):
        value, digit = divmod(value, 32)
        out.append(_CROCKFORD[digit])
    return "".join(reversed(out))


def new_version() -> str:
    """A fresh version: sortable by creation time, unique across processes."""
    global _last_micros
    with _lock:  # strictly increasing within this process even if the clock stands still
        micros = max(time.time_ns() // 1000, _last_micros + 1)
        _last_micros = micros
    suffix = "".join(secrets.choice(_CROCKFORD) for _ in range(_RANDOM_DIGITS))
    return f"{_base32(micros, _TIME_DIGITS)}-{suffix}"
