"""``dosirak models``: list, get, delete, export and import models of the local store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from dosirak.models import Model

app = typer.Typer(
    name="models",
    help="Manage the local model store ($DOSIRAK_HOME/models, default ~/.dosirak/models).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _human(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def _as_dict(model: Model) -> dict[str, Any]:
    return {
        "tag": str(model.tag),
        "path": str(model.path),
        "size_bytes": _size(model.path),
        **model.info.to_dict(model.name, model.version),
    }


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


@app.command("list")
def list_models(
    name: Annotated[str | None, typer.Argument(help="Only the versions of this model.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List saved models, newest version last; corrupt entries are shown and exit 1."""
    from dosirak.models import CorruptModel, ModelStoreError
    from dosirak.models._store import default_store

    store = default_store()
    try:
        entries = list(store.scan(name))
    except ModelStoreError as exc:
        raise _fail(str(exc)) from None
    corrupt = [e for e in entries if isinstance(e, CorruptModel)]
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {"tag": e.tag, "path": str(e.path), "error": e.reason}
                    if isinstance(e, CorruptModel)
                    else _as_dict(e)
                    for e in entries
                ],
                indent=2,
            )
        )
    elif not entries:
        typer.echo(f"no models in {store.root}")
    else:
        rows = [["TAG", "FRAMEWORK", "SIZE", "CREATED"]]
        for e in entries:
            if isinstance(e, CorruptModel):
                rows.append([e.tag, "-", "-", f"CORRUPT: {e.reason}"])
            else:
                created = e.info.created_at.strftime("%Y-%m-%d %H:%M:%S %Z")
                rows.append([str(e.tag), e.info.framework, _human(_size(e.path)), created])
        typer.echo(_table(rows))
    for e in corrupt:
        typer.echo(f"error: {e}", err=True)
    if corrupt:
        raise typer.Exit(1)


@app.command("get")
def get_model(
    tag: Annotated[str, typer.Argument(help="name:version, name:latest or name.")],
    as_json: JsonOption = False,
) -> None:
    """Show one model: tag, path, size, framework, signatures, labels, metadata."""
    import dosirak.models

    try:
        model = dosirak.models.get(tag)
    except dosirak.models.ModelStoreError as exc:
        raise _fail(str(exc)) from None
    info = _as_dict(model)
    if as_json:
        typer.echo(json.dumps(info, indent=2))
        return
    import yaml

    typer.echo(yaml.safe_dump(info, sort_keys=False, allow_unicode=True), nl=False)


@app.command("delete")
def delete_models(
    tags: Annotated[list[str], typer.Argument(help="name:version (name alone: the latest).")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete model versions (corrupt ones too)."""
    from dosirak.models import ModelStoreError
    from dosirak.models._store import default_store

    store = default_store()
    try:
        resolved = [store.resolve(tag)[0] for tag in tags]
    except ModelStoreError as exc:
        raise _fail(str(exc)) from None
    listed = ", ".join(str(t) for t in resolved)
    if not yes and not typer.confirm(f"delete {listed}?"):
        raise _fail("nothing deleted")
    for tag in resolved:
        try:
            store.delete(tag)
        except ModelStoreError as exc:
            raise _fail(str(exc)) from None
        typer.echo(f"deleted {tag}")


@app.command("export")
def export_model(
    tag: Annotated[str, typer.Argument(help="name:version, name:latest or name.")],
    path: Annotated[
        Path, typer.Argument(help="Archive to write: .zip or .tar.gz (a folder: named after it).")
    ],
) -> None:
    """Write a model to one archive file."""
    import dosirak.models

    try:
        model = dosirak.models.get(tag)  # "latest" resolved once, for the message too
        written = dosirak.models.export_model(model, path)
    except (dosirak.models.ModelStoreError, OSError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"exported {model.tag} to {written}")


@app.command("import")
def import_model(
    path: Annotated[Path, typer.Argument(help="An archive written by `dosirak models export`.")],
) -> None:
    """Add an exported model to the store, under its original tag."""
    import dosirak.models

    try:
        model = dosirak.models.import_model(path)
    except (dosirak.models.ModelStoreError, OSError) as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"imported {model.tag} into {model.path}")
