"""A document's canonical bytes: what is written, hashed and served."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["document_bytes"]


def document_bytes(document: dict[str, Any]) -> bytes:
    """The canonical bytes of a document: what is written, hashed and served."""
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
