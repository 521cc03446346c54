"""`dosirak serve` read without typer (dosirak._serve) reads every option as typer's command."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from dosirak import _serve
from dosirak._cli import app
from dosirak._serve import ServeSettings, read_serve_argv

ALL_OPTIONS = [
    *("--host", "0.0.0.0", "--port", "8123", "--reload", "--generated", "build/x"),
    *("--max-body-size", "2M", "--max-parts", "3", "--max-part-size", "512K"),
    *("--log-level", "warning", "--no-access-log", "--timeout", "2.5", "--production"),
    *("--ray", "--workers", "3"),
]
READ_ALIKE = [
    ["serve", "svc.py:svc"],
    ["serve", "svc.py:svc", *ALL_OPTIONS],
    ["serve", "--port", "9", "pkg.module:svc"],  # options before the target
    ["serve", "svc.py:svc", "--port=9", "--host=::1", "--timeout=7"],
    ["serve", "svc.py:svc", "--port", "9", "--port", "10"],  # the last one counts
    ["serve", "svc.py:svc", "--reload", "--no-reload", "--access-log"],
    ["serve", "svc.py:svc", "--host="],
    ["serve", "svc.py:svc", "--max-body-size", "not a size"],  # refused later, by serve
]
LEFT_TO_TYPER = [
    ["serve"],
    ["serve", "--help"],
    ["serve", "svc.py:svc", "-h"],
    ["serve", "a.py:svc", "b.py:svc"],
    ["serve", "svc.py:svc", "--port", "x"],
    ["serve", "svc.py:svc", "--port"],
    ["serve", "svc.py:svc", "--port", "--reload"],
    ["serve", "svc.py:svc", "--bogus", "1"],
    ["serve", "svc.py:svc", "--reload=1"],
    ["serve", "svc.py:svc", "--no-port"],
    ["serve", "svc.py:svc", "--", "--port"],
    ["gen", "svc.py:svc"],
    ["--version"],
    [],
]


def _typer_serve() -> Any:
    """typer's click command (typer carries its own click: typed Any here)."""
    group: Any = typer.main.get_command(app)
    return group.commands["serve"]


def test_typers_serve_command_has_the_settings_and_their_defaults() -> None:
    fields = {f.name: f for f in dataclasses.fields(ServeSettings)}
    params = {param.name: param for param in _typer_serve().params}
    assert set(params) == set(fields)
    assert params["target"].param_type_name == "argument"
    for name, param in params.items():
        if name == "target":
            continue
        assert param.param_type_name == "option"
        assert param.default == fields[name].default, name
        assert param.opts == ["--" + name.replace("_", "-")], name
        is_flag = fields[name].type == "bool"
        assert param.is_flag == is_flag, name
        if is_flag:
            assert param.secondary_opts == ["--no-" + name.replace("_", "-")], name


def _read_by_typer(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> ServeSettings:
    seen: list[ServeSettings] = []

    def record(settings: ServeSettings, echo: Any = None) -> None:
        seen.append(settings)

    monkeypatch.setattr(_serve, "serve", record)
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == 0, result.output
    (settings,) = seen
    return settings


@pytest.mark.parametrize("argv", READ_ALIKE, ids=" ".join)
def test_read_as_typer_reads_it(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert read_serve_argv(argv) == _read_by_typer(argv, monkeypatch)


def test_every_option_is_read() -> None:
    settings = read_serve_argv(["serve", "svc.py:svc", *ALL_OPTIONS])
    defaults = ServeSettings("svc.py:svc")
    assert settings is not None
    changed = {
        f.name
        for f in dataclasses.fields(settings)
        if getattr(settings, f.name) != getattr(defaults, f.name)
    }
    assert changed == {f.name for f in dataclasses.fields(settings)} - {"target"}
    assert settings.generated == Path("build/x")


@pytest.mark.parametrize("argv", LEFT_TO_TYPER, ids=lambda argv: " ".join(argv) or "nothing")
def test_anything_else_is_left_to_typer(argv: list[str]) -> None:
    assert read_serve_argv(argv) is None


def test_the_command_without_typer_says_what_is_wrong(tmp_path: Path) -> None:
    service = Path(__file__).parent.parent / "samples" / "iris" / "service.py"
    probe = (
        "import sys; sys.argv = ['dosirak', 'serve', sys.argv[1], '--timeout', '0']\n"
        "from dosirak._serve import main\n"
        "try:\n    main()\n"
        "finally:\n    print(sorted(m for m in ('typer', 'click') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, f"{service}:svc"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --timeout must be a positive number of seconds, not 0.0"
    assert result.stdout.strip() == "[]"  # neither typer nor click was imported
