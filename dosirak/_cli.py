"""The ``dosirak`` command: gen, spec, serve, diff, models."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from ._cli_models import app as _models_app
from ._version import __version__

app = typer.Typer(
    name="dosirak",
    help="Serve machine-learning models from an OpenAPI contract.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(_models_app, name="models")

_DOCUMENT_SUFFIXES = (".json", ".yaml", ".yml")


class DocumentFormat(str, Enum):
    json = "json"
    yaml = "yaml"


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _document_for(target: str) -> tuple[dict[str, Any], str]:
    """The document of a service target or a document file, and a name for messages."""
    from dosirak.codegen import GenerationError, build_document, load_document

    from ._loader import TargetError, load_service

    try:
        if _is_document(target):
            is_url = target.startswith(("http://", "https://"))
            return (_fetch_document(target) if is_url else load_document(target)), target
        service = load_service(target)
        return build_document(service), f"service {service.name!r}"
    except TargetError as exc:
        raise _fail(str(exc)) from None
    except GenerationError as exc:
        raise _fail(str(exc), 1) from None


def _fetch_document(url: str) -> dict[str, Any]:
    import httpx
    import yaml

    try:
        response = httpx.get(url, timeout=30, follow_redirects=True)
        response.raise_for_status()
        document = yaml.safe_load(response.text)
    except (httpx.HTTPError, yaml.YAMLError) as exc:
        raise _fail(f"cannot read an OpenAPI document from {url}: {exc}") from None
    if not isinstance(document, dict):
        raise _fail(f"{url} does not hold an OpenAPI document")
    return document


@app.command()
def gen(
    target: Annotated[
        str,
        typer.Argument(help="service.py:svc, package.module:svc, an OpenAPI document, or `client`"),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Directory to write into.")],
    document_or_url: Annotated[
        str | None,
        typer.Argument(help="With `gen client`: the OpenAPI document, a file or a URL."),
    ] = None,
    skip_unsupported: Annotated[
        bool,
        typer.Option(help="Leave out what cannot be generated, listing it, instead of stopping."),
    ] = False,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Write nothing; exit 1 listing the files of OUT that are stale, 0 when "
            "all are up to date (handlers.py excluded). For CI.",
        ),
    ] = False,
) -> None:
    """Generate openapi.json, the server package and its client from a service or a
    document. From a document (spec-first) it also writes handlers.py, one stub per
    operation, once: regenerating never overwrites it, and stubs of new operations go to
    handlers_new.py; `dosirak serve OUT` serves it. `dosirak gen client DOCUMENT_OR_URL -o
    DIR` generates a client alone, from any OpenAPI 3.0 or 3.1 document."""
    from dosirak.codegen import GenerationError, InvalidDocumentError, generate, write_files
    from dosirak.codegen._spec_first import spec_first_files, stale_files, write_handlers

    client_only = target == "client" and document_or_url is not None
    if document_or_url is not None and not client_only:
        raise _fail(f"unexpected argument {document_or_url!r}; did you mean `gen client`?")
    source_target = document_or_url if client_only and document_or_url is not None else target
    spec_first = not client_only and _is_document(target)
    try:
        document, source = _document_for(source_target)
    except typer.Exit as exc:
        # With --check, 1 means "stale": a document that cannot be read is 2.
        raise typer.Exit(2 if check else exc.exit_code) from None
    try:
        generated = generate(
            document,
            source=source,
            target="client" if client_only else "server",
            skip_unsupported=skip_unsupported,
        )
    except InvalidDocumentError as exc:
        raise _fail(str(exc), 2) from None
    except GenerationError as exc:
        raise _fail(str(exc), 2 if check else 1) from None
    for problem in [*generated.warnings, *generated.notes]:
        typer.echo(str(problem), err=True)
    files = spec_first_files(generated) if spec_first else generated.files
    if check:
        stale = stale_files(files, out)
        if stale:
            typer.echo(f"{out} is stale ({len(stale)} files); regenerate with `dosirak gen`:")
            for line in stale:
                typer.echo(f"  {line}")
            raise typer.Exit(1)
        typer.echo(f"{out} is up to date ({len(files)} generated files)")
        return
    changed = write_files(files, out)
    typer.echo(f"generated {len(files)} files in {out} ({len(changed)} changed)")
    for path in changed:
        typer.echo(f"  wrote {path}")
    if spec_first:
        _say_handlers(write_handlers(generated, out), out)


def _is_document(target: str) -> bool:
    """Whether ``target`` names a document (a file or a URL) rather than a service."""
    if target.startswith(("http://", "https://")):
        return True
    return target.endswith(_DOCUMENT_SUFFIXES) and ":" not in target


def _say_handlers(report: Any, out: Path) -> None:
    if report.created:
        typer.echo(f"  wrote {out / 'handlers.py'}: fill in each stub (they answer 501 until then)")
    if report.unreadable:
        typer.echo(f"warning: {report.unreadable}; no stubs of new operations written", err=True)
    if report.new:
        typer.echo(
            f"handlers.py lacks {len(report.new)} operation(s) the document has: "
            f"{', '.join(report.new)}; their stubs are in {out / 'handlers_new.py'} "
            "(served from there until you move them into handlers.py)"
        )
    if report.dropped:
        typer.echo(
            f"handlers.py has functions for operations the document no longer has: "
            f"{', '.join(report.dropped)}; delete them or rename them to match"
        )


@app.command()
def spec(
    target: Annotated[str, typer.Argument(help="service.py:svc or package.module:svc")],
    format: Annotated[DocumentFormat, typer.Option("--format", "-f")] = DocumentFormat.json,
) -> None:
    """Print the service's OpenAPI document."""
    document, _ = _document_for(target)
    if format is DocumentFormat.yaml:
        import yaml

        typer.echo(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), nl=False)
    else:
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


@app.command()
def serve(
    target: Annotated[
        str,
        typer.Argument(
            help="service.py:svc, package.module:svc, or a directory `dosirak gen DOCUMENT` wrote"
        ),
    ],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 3000,
    reload: Annotated[bool, typer.Option(help="Restart when the service's files change.")] = False,
    generated: Annotated[
        Path | None,
        typer.Option(help="Serve this already generated directory instead of the cache."),
    ] = None,
    max_body_size: Annotated[
        str, typer.Option(help="Largest request body (bytes, or with K, M, G: 100M); else 413.")
    ] = "100M",
    max_parts: Annotated[int, typer.Option(help="Most parts in a multipart body.")] = 64,
    max_part_size: Annotated[
        str, typer.Option(help="Largest multipart part other than a file (as --max-body-size).")
    ] = "16M",
    log_level: Annotated[
        str, typer.Option(help="uvicorn's log level: critical, error, warning, info, debug.")
    ] = "info",
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
    timeout: Annotated[
        float, typer.Option(help="Seconds a request may take; a runner's queue answers 504 after.")
    ] = 60.0,
    production: Annotated[
        bool, typer.Option(help="Run every runner in worker processes (workers= each, else 1).")
    ] = False,
    ray: Annotated[
        bool,
        typer.Option(help="Run every runner in Ray actors (on $RAY_ADDRESS, else a local Ray)."),
    ] = False,
    workers: Annotated[
        int, typer.Option(help="API server processes sharing the port (each with its runners).")
    ] = 1,
) -> None:
    """Serve the service with Swagger UI at /docs."""
    # The same settings `dosirak._serve.main` reads without typer for a quicker start.
    from ._serve import ServeError, ServeSettings
    from ._serve import serve as run

    settings = ServeSettings(
        target,
        host=host,
        port=port,
        reload=reload,
        generated=generated,
        max_body_size=max_body_size,
        max_parts=max_parts,
        max_part_size=max_part_size,
        log_level=log_level,
        access_log=access_log,
        timeout=timeout,
        production=production,
        ray=ray,
        workers=workers,
    )
    try:
        run(settings, echo=typer.echo)
    except ServeError as exc:
        raise _fail(exc.message, exc.exit_code) from None


class DiffFormat(str, Enum):
    text = "text"
    json = "json"


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="The old document: a file, a URL or service.py:svc")],
    new: Annotated[str, typer.Argument(help="The new document, in any of the same forms.")],
    format: Annotated[
        DiffFormat,
        typer.Option("--format", "-f", help="text for people, json for tools (a stable schema)."),
    ] = DiffFormat.text,
) -> None:
    """List the changes from OLD to NEW, breaking ones first.

    Exit status: 1 when anything breaks old clients, 0 otherwise, 2 when a document
    cannot be read or is invalid."""
    from dosirak.codegen import GenerationError, diff_documents

    old_document = _diff_input(old)
    new_document = _diff_input(new)
    try:
        report = diff_documents(old_document, new_document)
    except GenerationError as exc:  # a $ref that cannot be followed
        lines = ["the documents cannot be compared:", *map(str, exc.problems)]
        raise _fail("\n".join(lines)) from None
    if format is DiffFormat.json:
        typer.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        typer.echo(report.to_text(), nl=False)
    raise typer.Exit(1 if report.breaking else 0)


def _diff_input(target: str) -> dict[str, Any]:
    """A valid document for `diff`; anything unusable exits 2 (1 means "breaks")."""
    from dosirak.codegen import InvalidDocumentError, validate_document

    try:
        document, source = _document_for(target)
    except typer.Exit:  # the message is out already; only the status differs
        raise typer.Exit(2) from None
    if not _is_document(target):
        return document  # a service's document: build_document has validated it
    try:
        validate_document(document, source=source)
    except InvalidDocumentError as exc:
        # Each finding is one shortened line already (codegen/_validate.py).
        findings = "; ".join(f"{p.reason} (at {p.location})" for p in exc.problems)
        raise _fail(f"{source} is not a valid OpenAPI document: {findings}") from None
    return document


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dosirak {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """dosirak: OpenAPI-first serving for machine-learning models."""


def main() -> None:
    app()
