"""JSON tables taken apart by pandas orient: names, index labels, values by column.

Each orient's structure is checked here (422 with the location in the body); the
values are checked against the declared dtypes by the dataframe codec.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UnprocessableContent
from ._frames import Loc, index_from_keys, label_value

__all__ = ["Cells", "Label", "check_names", "expect", "index_labels", "take_apart"]

Label = str | int


@dataclass
class Cells:
    """A JSON table taken apart: column names, index labels, values column by column."""

    names: list[Label]
    columns: list[list[Any]]
    rows: int
    loc: Callable[[int, int], Loc]  # (row, column position) → where in the body
    index: Any = None  # labels, or None for 0, 1, 2...


def _kind_of(value: Any) -> str:
    return {dict: "object", list: "array", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def expect(value: Any, kind: type, what: str, loc: Loc) -> None:
    """422 (type_error) unless ``value`` is a ``kind``; ``what`` says what was expected."""
    if not isinstance(value, kind):
        raise UnprocessableContent(
            f"expected {what}, received {_kind_of(value)}", loc=loc, kind="type_error"
        )


def _names_text(names: Sequence[Label]) -> str:
    return ", ".join(map(repr, names))


def check_names(
    names: Sequence[Label], columns: Sequence[str] | None, required: Sequence[str], loc: Loc
) -> None:
    """422 unless ``names`` are the declared columns (or hold the required ones)."""
    missing = [c for c in (columns if columns is not None else required) if c not in names]
    if missing:
        raise UnprocessableContent(
            f"missing column{'s' if len(missing) > 1 else ''} {_names_text(missing)}",
            loc=loc,
            kind="missing_column",
        )
    extra = [n for n in names if columns is not None and n not in columns]
    if extra:
        raise UnprocessableContent(
            f"unexpected column{'s' if len(extra) > 1 else ''} {_names_text(extra)}; "
            f"the columns are {_names_text(columns or ())}",
            loc=loc,
            kind="unexpected_column",
        )


def _same_keys(items: Sequence[dict[str, Any]], locs: Sequence[Loc], what: str) -> list[str]:
    """The keys of the first item; 422 when another item has other keys."""
    if not items:
        return []
    first = list(items[0])
    for loc, item in zip(locs[1:], items[1:], strict=True):
        if set(item) != set(first):
            odd = sorted(set(item) ^ set(first))
            raise UnprocessableContent(
                f"every {what} must have the same keys; this one differs from the first "
                f"in {_names_text(odd)}",
                loc=loc,
                kind="ragged_table",
            )
    return first


def _objects(
    rows: list[Any], locs: list[Loc], columns: Sequence[str] | None, required: Sequence[str]
) -> tuple[list[Label], list[list[Any]]]:
    """Rows as JSON objects column → value: the column names and the values by column."""
    for loc, row in zip(locs, rows, strict=True):
        expect(row, dict, "a JSON object (one row)", loc)
        check_names(list(row), columns, required, loc)
    names: list[Label] = list(columns) if columns is not None else []
    if columns is None:
        names = list(_same_keys(rows, locs, "row"))
    return names, [[row[name] for row in rows] for name in names]


def take_apart(
    value: Any,
    orient: str,
    columns: Sequence[str] | None,
    required: Sequence[str],
    positional: bool,
) -> Cells:
    if orient == "records":
        expect(value, list, "a JSON array of rows (orient 'records')", ("body",))
        names, cells = _objects(value, [("body", r) for r in range(len(value))], columns, required)
        return Cells(names, cells, len(value), lambda r, c: ("body", r, names[c]))
    if orient == "index":
        expect(value, dict, "a JSON object label → row (orient 'index')", ("body",))
        keys = list(value)
        rows = [value[k] for k in keys]
        names, cells = _objects(rows, [("body", k) for k in keys], columns, required)
        return Cells(
            names, cells, len(keys), lambda r, c: ("body", keys[r], names[c]), index_from_keys(keys)
        )
    if orient == "columns":
        return _columns(value, columns, required)
    if orient == "split":
        return _split(value, columns)
    if orient == "values":
        return _values(value, columns, positional)
    return _table(value, columns, required)


def _columns(value: Any, columns: Sequence[str] | None, required: Sequence[str]) -> Cells:
    what = "a JSON object column → {label → value} (orient 'columns')"
    expect(value, dict, what, ("body",))
    check_names(list(value), columns, required, ("body",))
    names: list[Label] = list(columns) if columns is not None else list(value)
    for name in names:
        expect(value[name], dict, "a JSON object label → value", ("body", name))
    inner = [value[name] for name in names]
    keys = _same_keys(inner, [("body", n) for n in names], "column")
    cells = [[column[key] for key in keys] for column in inner]
    return Cells(
        names, cells, len(keys), lambda r, c: ("body", names[c], keys[r]), index_from_keys(keys)
    )


def _rows_of(rows: Any, width: int | None, loc: Loc) -> list[list[Any]]:
    expect(rows, list, "a JSON array of rows", loc)
    for position, row in enumerate(rows):
        expect(row, list, "a JSON array (one row)", (*loc, position))
        if width is None:
            width = len(row)
        if len(row) != width:
            raise UnprocessableContent(
                f"row {position} has {len(row)} values; expected {width}, one per column",
                loc=(*loc, position),
                kind="ragged_table",
            )
    checked: list[list[Any]] = rows
    return checked


def _by_column(rows: list[list[Any]], width: int) -> list[list[Any]]:
    return [[row[c] for row in rows] for c in range(width)]


def _values(value: Any, columns: Sequence[str] | None, positional: bool) -> Cells:
    width = None if columns is None else len(columns)
    rows = _rows_of(value, width, ("body",))
    width = len(rows[0]) if rows else (width or 0)
    names: list[Label] = list(columns) if positional and columns else list(range(width))
    return Cells(names, _by_column(rows, width), len(rows), lambda r, c: ("body", r, c))


def _members(value: Any, required: Sequence[str], allowed: Sequence[str], orient: str) -> None:
    for member in required:
        if member not in value:
            raise UnprocessableContent(f"missing member {member!r}", kind="missing_member")
    extra = sorted(set(value) - set(allowed))
    if extra:
        raise UnprocessableContent(
            f"unexpected member {extra[0]!r}; orient {orient!r} has {_names_text(allowed)}",
            loc=("body", extra[0]),
            kind="unexpected_member",
        )


def _split(value: Any, columns: Sequence[str] | None) -> Cells:
    expect(value, dict, "a JSON object with columns, index, data (orient 'split')", ("body",))
    _members(value, ("columns", "data"), ("columns", "index", "data"), "split")
    names = value["columns"]
    expect(names, list, "a JSON array of column names", ("body", "columns"))
    for position, name in enumerate(names):
        expect(name, str, "a column name (string)", ("body", "columns", position))
    if len(set(names)) != len(names):
        raise UnprocessableContent(
            "the column names repeat a name", loc=("body", "columns"), kind="duplicate_column"
        )
    if columns is not None and names != list(columns):
        raise UnprocessableContent(
            f"expected columns {list(columns)}, received {names}",
            loc=("body", "columns"),
            kind="unexpected_column",
        )
    rows = _rows_of(value["data"], len(names), ("body", "data"))
    index = index_labels(value, len(rows), "rows")
    return Cells(
        names,
        _by_column(rows, len(names)),
        len(rows),
        lambda r, c: ("body", "data", r, c),
        index,
    )


def index_labels(value: dict[str, Any], count: int, what: str) -> list[Label] | None:
    """Orient split's optional member 'index': one label for each of ``count`` ``what``."""
    if "index" not in value:
        return None
    labels = value["index"]
    expect(labels, list, "a JSON array of index labels", ("body", "index"))
    index = [label_value(v, ("body", "index", p)) for p, v in enumerate(labels)]
    if len(index) != count:
        raise UnprocessableContent(
            f"the index has {len(index)} labels for {count} {what}",
            loc=("body", "index"),
            kind="ragged_table",
        )
    return index


def _table(value: Any, columns: Sequence[str] | None, required: Sequence[str]) -> Cells:
    expect(value, dict, "a JSON object with schema and data (orient 'table')", ("body",))
    _members(value, ("schema", "data"), ("schema", "data"), "table")
    _table_schema(value["schema"])
    rows = value["data"]
    expect(rows, list, "a JSON array of rows", ("body", "data"))
    locs: list[Loc] = [("body", "data", r) for r in range(len(rows))]
    labels: list[Label] = []
    for loc, row in zip(locs, rows, strict=True):
        expect(row, dict, "a JSON object (one row)", loc)
        if "index" not in row:
            raise UnprocessableContent("the row has no 'index'", loc=loc, kind="missing_column")
        labels.append(label_value(row["index"], (*loc, "index")))
    data = [{k: v for k, v in row.items() if k != "index"} for row in rows]
    names, cells = _objects(data, locs, columns, required)
    return Cells(names, cells, len(rows), lambda r, c: ("body", "data", r, names[c]), labels)


def _table_schema(schema: Any) -> None:
    """The ``schema`` member's form, as the document declares it (its content is a hint)."""
    base: Loc = ("body", "schema")
    expect(schema, dict, "a JSON object (a Table Schema)", base)
    if "fields" not in schema:
        raise UnprocessableContent("missing member 'fields'", loc=base, kind="missing_member")
    expect(schema["fields"], list, "a JSON array of fields", (*base, "fields"))
    for position, item in enumerate(schema["fields"]):
        where: Loc = (*base, "fields", position)
        expect(item, dict, "a JSON object (a field)", where)
        for member in ("name", "type"):
            if member not in item:
                raise UnprocessableContent(
                    f"missing member {member!r}", loc=where, kind="missing_member"
                )
            expect(item[member], str, "a string", (*where, member))
    if "primaryKey" in schema:
        keys = schema["primaryKey"]
        expect(keys, list, "a JSON array of field names", (*base, "primaryKey"))
        for position, key in enumerate(keys):
            expect(key, str, "a field name (string)", (*base, "primaryKey", position))
    if "pandas_version" in schema:
        expect(schema["pandas_version"], str, "a string", (*base, "pandas_version"))
