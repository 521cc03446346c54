"""Reading a hand-written or third-party document (JSON or YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ._problems import GenerationError, Problem

__all__ = ["load_document"]


def load_document(path: str | Path) -> dict[str, Any]:
    """Parse ``path`` as JSON or YAML; a file that is neither is a `GenerationError`."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GenerationError([Problem(str(file), "Nothing is generated.", str(exc))]) from exc
    try:
        document = yaml.safe_load(text)  # YAML 1.1 reads JSON documents too
    except yaml.YAMLError as exc:
        raise GenerationError(
            [Problem(str(file), "Nothing is generated.", f"not JSON or YAML: {exc}")]
        ) from exc
    if not isinstance(document, dict):
        raise GenerationError(
            [Problem(str(file), "Nothing is generated.", "the document is not a mapping")]
        )
    return document
