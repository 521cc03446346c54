"""The ``dosirak`` command: gen, spec, serve."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from ._version import __version__

app = typer.Typer(
    name="dosirak",
    help="Serve machine-learning models from an OpenAPI contract.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

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
        if target.startswith(("http://", "https://")):
            return _fetch_document(target), target
        if target.endswith(_DOCUMENT_SUFFIXES) and ":" not in target:
            return load_document(target), target
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
) -> None:
    """Generate openapi.json, the server package and its client from a service or a
    document; `dosirak gen client DOCUMENT_OR_URL -o DIR` generates a client alone, from
    any OpenAPI 3.0 or 3.1 document."""
    from dosirak.codegen import GenerationError, generate, write_files

    client_only = target == "client" and document_or_url is not None
    if document_or_url is not None and not client_only:
        raise _fail(f"unexpected argument {document_or_url!r}; did you mean `gen client`?")
    document, source = _document_for(
        document_or_url if client_only and document_or_url is not None else target
    )
    try:
        generated = generate(
            document,
            source=source,
            target="client" if client_only else "server",
            skip_unsupported=skip_unsupported,
        )
    except GenerationError as exc:
        raise _fail(str(exc), 1) from None
    for warning in generated.warnings:
        typer.echo(str(warning), err=True)
    changed = write_files(generated.files, out)
    typer.echo(f"generated {len(generated.files)} files in {out} ({len(changed)} changed)")
    for path in changed:
        typer.echo(f"  wrote {path}")


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
    target: Annotated[str, typer.Argument(help="service.py:svc or package.module:svc")],
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
) -> None:
    """Serve the service with Swagger UI at /docs."""
    from dosirak.runtime.codecs import Limits

    try:
        limits = Limits(
            max_body_bytes=_size(max_body_size),
            max_parts=max_parts,
            max_part_bytes=_size(max_part_size),
        )
    except ValueError as exc:
        raise _fail(str(exc)) from None
    from dosirak.codegen import GenerationError

    from ._loader import TargetError, load_service

    try:  # fail here, with a clear message, rather than inside uvicorn
        from dosirak.runtime import app_for_service

        app_for_service(load_service(target), generated_dir=generated, limits=limits)
    except TargetError as exc:
        raise _fail(str(exc)) from None
    except (GenerationError, FileNotFoundError, RuntimeError) as exc:
        raise _fail(str(exc), 1) from None
    from dosirak.runtime.server import serve as run_server

    typer.echo(f"serving {target} on http://{host}:{port} (Swagger UI at /docs)")
    run_server(
        target,
        host=host,
        port=port,
        reload=reload,
        generated_dir=None if generated is None else str(generated),
        limits=limits,
        log_level=log_level,
        access_log=access_log,
    )


def _size(text: str) -> int:
    """Bytes from ``1048576``, ``512K``, ``100M`` or ``1G`` (powers of 1024)."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    value = text.strip().upper().removesuffix("B").removesuffix("I")
    factor = units.get(value[-1:], 1)
    number = value[:-1] if value[-1:] in units else value
    if not number.isdigit() or int(number) <= 0:
        raise ValueError(f"size {text!r} is not a positive number of bytes (like 100M)")
    return int(number) * factor


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
