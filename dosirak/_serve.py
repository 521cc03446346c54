"""`dosirak serve`: its settings, what it does with them, and its start-up path without typer.

Serving starts with ``dosirak serve service.py:svc [options]``; typer (with the copy of
click it carries) costs about 50 ms of that start-up before the service is even imported.
So the command's entry (`main`) reads ``serve`` words it fully understands itself and hands
anything else (``--help``, an unknown or malformed option, other commands) to typer, whose
``serve`` command (``dosirak._cli``) takes the same options and runs the same `serve`.
``tests/test_serve_args.py`` checks that the two read every option alike.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ServeError", "ServeSettings", "main", "read_serve_argv", "serve"]


@dataclass(frozen=True)
class ServeSettings:
    """What ``dosirak serve`` was asked, with the command's defaults."""

    target: str
    host: str = "127.0.0.1"
    port: int = 3000
    reload: bool = False
    generated: Path | None = None
    max_body_size: str = "100M"
    max_parts: int = 64
    max_part_size: str = "16M"
    log_level: str = "info"
    access_log: bool = True
    timeout: float = 60.0
    production: bool = False
    ray: bool = False
    workers: int = 1


class ServeError(Exception):
    """``dosirak serve`` cannot serve: ``message`` for the user, ``exit_code`` for the shell."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def _say(message: str) -> None:
    print(message, flush=True)  # before uvicorn's own lines, even into a pipe


def serve(settings: ServeSettings, echo: Callable[[str], object] = _say) -> None:
    """Build the service's app (failing here with a `ServeError` rather than inside
    uvicorn) and serve it until stopped."""
    from dosirak.runtime import _collector

    _collector.pause_until_ready()  # the app's lifespan resumes it once ready
    try:
        _serve(settings, echo)
    finally:
        _collector.resume()  # start-up failed, or the server has stopped


def _serve(settings: ServeSettings, echo: Callable[[str], object]) -> None:
    from dosirak.runtime.codecs import Limits

    try:
        limits = Limits(
            max_body_bytes=_size(settings.max_body_size),
            max_parts=settings.max_parts,
            max_part_bytes=_size(settings.max_part_size),
        )
    except ValueError as exc:
        raise ServeError(str(exc)) from None
    if not settings.timeout > 0:
        raise ServeError(f"--timeout must be a positive number of seconds, not {settings.timeout}")
    from dosirak.codegen import GenerationError
    from dosirak.runtime.server import check_processes, configure, create_app
    from dosirak.runtime.server import serve as run_server

    from ._loader import TargetError

    try:
        check_processes(settings.workers, reload=settings.reload)
    except ValueError as exc:
        raise ServeError(str(exc)) from None
    target = settings.target
    generated = None if settings.generated is None else str(settings.generated)
    configure(
        target,
        generated_dir=generated,
        limits=limits,
        request_timeout_s=settings.timeout,
        production=settings.production,
        ray=settings.ray,
    )
    try:
        app = create_app()
    except TargetError as exc:
        raise ServeError(str(exc)) from None
    except (GenerationError, FileNotFoundError, RuntimeError, LookupError) as exc:
        raise ServeError(str(exc), 1) from None
    except (ImportError, SyntaxError) as exc:
        raise ServeError(f"the handlers of {target} do not import: {exc}", 1) from None
    echo(f"serving {target} on http://{settings.host}:{settings.port} (Swagger UI at /docs)")
    run_server(
        target,
        host=settings.host,
        port=settings.port,
        reload=settings.reload,
        generated_dir=generated,
        limits=limits,
        log_level=settings.log_level,
        access_log=settings.access_log,
        request_timeout_s=settings.timeout,
        production=settings.production,
        ray=settings.ray,
        workers=settings.workers,
        app=app,
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


# Each option's command-line name to its setting; flags take ``--no-NAME`` too.
_FIELDS = {f.name: f for f in dataclasses.fields(ServeSettings) if f.name != "target"}
_OPTIONS = {"--" + name.replace("_", "-"): name for name in _FIELDS}
_CONVERT: dict[str, Callable[[str], object]] = {
    "str": str,
    "int": int,
    "float": float,
    "Path | None": Path,
}


def read_serve_argv(argv: Sequence[str]) -> ServeSettings | None:
    """The settings of ``serve TARGET [--option value | --option=value | --flag]...``.

    None for anything else, to be read by typer, which explains what is wrong:

    >>> settings = read_serve_argv(["serve", "svc.py:svc", "--port", "8000", "--no-access-log"])
    >>> settings.port, settings.access_log, settings.host
    (8000, False, '127.0.0.1')
    >>> read_serve_argv(["serve", "--help"]) is None
    True
    """
    if len(argv) < 2 or argv[0] != "serve":
        return None
    target: str | None = None
    values: dict[str, object] = {}
    words = iter(argv[1:])
    for word in words:
        if not word.startswith("-"):
            if target is not None:
                return None  # a second argument: typer's error
            target = word
            continue
        name, has_value, value = word.partition("=")
        field = _OPTIONS.get(name)
        if field is None and name.startswith("--no-") and not has_value:
            flag = _OPTIONS.get("--" + name.removeprefix("--no-"))
            if flag is None or _FIELDS[flag].type != "bool":
                return None
            values[flag] = False
            continue
        if field is None:
            return None  # --help, -h, --, unknown options
        if _FIELDS[field].type == "bool":
            if has_value:
                return None
            values[field] = True
            continue
        if not has_value:
            value = next(words, "")
            if not value or value.startswith("-"):
                return None  # a missing value (or one typer may read otherwise)
        convert = _CONVERT.get(str(_FIELDS[field].type))
        if convert is None:
            return None  # a setting of a type not read here: typer reads it
        try:
            values[field] = convert(value)
        except ValueError:
            return None
    if target is None:
        return None
    return ServeSettings(target, **values)  # type: ignore[arg-type]


def main() -> None:
    """The ``dosirak`` command: ``serve`` read here when it can be, the rest by typer."""
    settings = read_serve_argv(sys.argv[1:])
    if settings is None:
        from ._cli import main as typer_main

        typer_main()
        return
    try:
        serve(settings)
    except ServeError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        sys.exit(exc.exit_code)
