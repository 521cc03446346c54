"""Reading a hand-written or third-party document (JSON or YAML)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ._problems import GenerationError, Problem
from ._refs import child, locate, loop, unescape

__all__ = ["load_document"]


def load_document(path: str | Path) -> dict[str, Any]:
    """Parse ``path`` as JSON or YAML, with `$ref`s to sibling files brought in.

    A referred schema (``common.yaml#/components/schemas/Pet``, or a whole file holding
    one schema) becomes a component schema of the document under its own name (the file's
    stem for a whole file) and the `$ref` points there; anything else referred to
    (parameters, responses, path items) is copied where it is used. A file that cannot
    be read or parsed, or a `$ref` that points nowhere, is a `GenerationError`.
    """
    file = Path(path)
    document = _parse(file)
    return _Bundler(file, document).bundle()


def _parse(file: Path) -> dict[str, Any]:
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


_SCHEMA_SECTIONS = ("components/schemas/", "definitions/", "$defs/")


class _Bundler:
    """Brings the sibling files a document refers to into it (see `load_document`)."""

    def __init__(self, file: Path, document: dict[str, Any]) -> None:
        self.root = file.resolve()
        self.document = document
        self.files: dict[Path, Any] = {self.root: document}
        self.hoisted: dict[tuple[Path, str], str] = {}
        self.schemas: dict[str, Any] = dict(document.get("components", {}).get("schemas", {}))
        self.problems: list[Problem] = []
        #: The non-schema references being copied in, outermost first: one met again loops.
        self.following: list[str] = []

    def bundle(self) -> dict[str, Any]:
        if not self._has_external(self.document):
            return self.document
        bundled = self._walk(self.document, self.root, "#")
        if self.problems:
            raise GenerationError(self.problems)
        if self.schemas:
            bundled.setdefault("components", {})["schemas"] = self.schemas
        return dict(bundled)

    def _has_external(self, node: Any) -> bool:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                return True
            return any(self._has_external(v) for v in node.values())
        if isinstance(node, list):
            return any(self._has_external(v) for v in node)
        return False

    def _walk(self, node: Any, file: Path, where: str) -> Any:
        if isinstance(node, list):
            return [self._walk(v, file, child(where, i)) for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and (file != self.root or not ref.startswith("#")):
            return self._resolve(ref, file, where)
        walked = {k: self._walk(v, file, child(where, k)) for k, v in node.items()}
        if file == self.root and where == "#/components/schemas":
            self.schemas.update(walked)
        return walked

    def _resolve(self, ref: str, file: Path, where: str) -> Any:
        location, _, fragment = ref.partition("#")
        target_file = (file.parent / location).resolve() if location else file
        pointer = fragment.lstrip("/")
        if target_file == self.root and pointer:
            return {"$ref": f"#/{pointer}"}  # back into the document itself
        target = self._target(target_file, pointer, ref, where)
        if target is None:
            return {"$ref": ref}
        section = next((s for s in _SCHEMA_SECTIONS if pointer.startswith(s)), None)
        if section is None and pointer:  # a parameter, a response...: copied where used
            label = f"{self._name(target_file)}#/{pointer}"
            cycle = loop(self.following, label, where, "Nothing is generated.")
            if cycle is not None:
                self.problems.append(cycle)
                return {"$ref": ref}
            self.following.append(label)
            try:
                return self._walk(target, target_file, where)
            finally:
                self.following.pop()
        key = (target_file, pointer)
        if key not in self.hoisted:
            name = unescape(pointer[len(section) :]) if section else target_file.stem
            unique = name
            while unique in self.schemas and self.schemas[unique] != target:
                unique += "_"
            self.hoisted[key] = unique
            self.schemas[unique] = {}  # reserved: a recursive schema refers to itself
            self.schemas[unique] = self._walk(target, target_file, where)
        return {"$ref": f"#/components/schemas/{self.hoisted[key]}"}

    def _name(self, file: Path) -> str:
        """``file`` as the document's folder sees it."""
        try:
            return file.relative_to(self.root.parent).as_posix()
        except ValueError:
            return file.as_posix()

    def _target(self, file: Path, pointer: str, ref: str, where: str) -> Any:
        if file not in self.files:
            try:
                self.files[file] = _parse(file)
            except GenerationError as exc:
                self.problems += [
                    Problem(where, "Nothing is generated.", f"$ref {ref!r}: {p.reason}")
                    for p in exc.problems
                ]
                return None
        found = locate(
            self.files[file],
            f"#/{pointer}" if pointer else "#",
            where,
            "Nothing is generated.",
            shown=ref,
        )
        if isinstance(found, Problem):
            self.problems.append(found)
            return None
        return found.node
