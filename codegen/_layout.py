"""Long literals laid out as ruff format lays them out, so generated code needs no formatter.

A codec argument's literal (a multipart body's parts, say) may not fit on its line: then
its brackets break, one item a line with a trailing comma, and each item is laid out the
same way at the deeper indent, kept flat where it fits. That is ruff's rule for
collections (Black's too), so ``ruff format --check`` finds nothing to change.
"""

from __future__ import annotations

import ast

__all__ = ["LINE_LENGTH", "keyword_argument"]

LINE_LENGTH = 100

_BRACKETS = {ast.Dict: ("{", "}"), ast.List: ("[", "]"), ast.Tuple: ("(", ")")}


def keyword_argument(name: str, code: str, indent: int) -> str:
    """``name=code`` for a call broken one argument a line, at column ``indent``.

    The text after ``indent`` spaces and before the argument's trailing comma; lines
    after the first carry their own indentation.
    """
    node = ast.parse(code, mode="eval").body
    return f"{name}={_layout(node, code, indent, len(name) + 1, 1)}"


def _layout(node: ast.expr, code: str, indent: int, before: int, after: int) -> str:
    """``node`` starting ``before`` columns past ``indent``, ``after`` columns before the end."""
    flat = ast.get_source_segment(code, node)
    if flat is None:
        raise ValueError(f"cannot lay out {code!r}")
    if indent + before + len(flat) + after <= LINE_LENGTH:
        return flat
    brackets = _BRACKETS.get(type(node))
    if brackets is None or not _items(node):
        return flat  # nothing to break: a name or a constant is as long as it is
    opening, closing = brackets
    pad = " " * (indent + 4)
    lines = [opening]
    for key, value in _items(node):
        prefix = "" if key is None else f"{ast.get_source_segment(code, key)}: "
        lines.append(f"{pad}{prefix}{_layout(value, code, indent + 4, len(prefix), 1)},")
    lines.append(" " * indent + closing)
    return "\n".join(lines)


def _items(node: ast.expr) -> list[tuple[ast.expr | None, ast.expr]]:
    if isinstance(node, ast.Dict):
        return list(zip(node.keys, node.values, strict=True))
    if isinstance(node, (ast.List, ast.Tuple)):
        return [(None, element) for element in node.elts]
    return []
