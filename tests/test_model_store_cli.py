"""``dosirak models list|get|delete|export|import``, run as ``python -m dosirak``."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ._model_helpers import run_python, store_env


def dosirak(*args: str, home: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in store_env(home).items() if k not in {"FORCE_COLOR", "PY_COLORS"}}
    env.update(NO_COLOR="1", TERM="dumb", COLUMNS="200")
    return subprocess.run(
        [sys.executable, "-m", "dosirak", *args],
        cwd=home.parent,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A store with two versions of `doubler` and one of `tripler`, saved by a script."""
    home = tmp_path_factory.mktemp("cli") / "home"
    code = textwrap.dedent(
        """
        import dosirak
        from tests._model_helpers import Doubler
        for name in ("doubler", "tripler", "doubler"):
            model = dosirak.picklable_model.save_model(name, Doubler(), labels={"n": name})
            print(model.tag)
        """
    )
    result = run_python(code, home)
    assert result.returncode == 0, result.stderr
    return home, result.stdout.split()


def test_list_is_a_table(saved: tuple[Path, list[str]]) -> None:
    home, (d1, t1, d2) = saved
    result = dosirak("models", "list", home=home)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["TAG", "FRAMEWORK", "SIZE", "CREATED"]
    assert [line.split()[:2] for line in lines[1:]] == [
        [d1, "picklable_model"],
        [d2, "picklable_model"],
        [t1, "picklable_model"],
    ]
    assert all(line.rstrip().endswith("UTC") for line in lines[1:])


def test_list_and_get_as_json(saved: tuple[Path, list[str]]) -> None:
    home, (d1, _, d2) = saved
    listed = json.loads(dosirak("models", "list", "doubler", "--json", home=home).stdout)
    assert [m["tag"] for m in listed] == [d1, d2]
    got = dosirak("models", "get", "doubler", "--json", home=home)
    assert got.returncode == 0, got.stderr
    info = json.loads(got.stdout)
    assert info == listed[1]
    assert info["framework"] == "picklable_model"
    assert info["labels"] == {"n": "doubler"}
    assert info["signatures"] == {"__call__": {"batchable": False, "batch_dim": 0}}
    assert Path(info["path"]) == home / "models" / "doubler" / d2.split(":")[1]
    assert info["size_bytes"] > 0


def test_get_prints_yaml(saved: tuple[Path, list[str]]) -> None:
    home, (d1, _, _) = saved
    result = dosirak("models", "get", d1, home=home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"tag: {d1}\npath: ")
    assert "framework: picklable_model" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["get", "nothing"], "error: model 'nothing:latest' is not in the model store"),
        (["get", "Bad Tag"], "error: invalid model tag 'Bad Tag'"),
        (["delete", "-y", "nothing:v1"], "error: model 'nothing:v1' is not in the model store"),
        (["export", "nothing", "x.tar.gz"], "error: model 'nothing:latest' is not in"),
        (["import", "missing.tar.gz"], "error: no archive at missing.tar.gz"),
    ],
)
def test_errors_are_one_line_and_exit_1(
    saved: tuple[Path, list[str]], args: list[str], message: str
) -> None:
    home, _ = saved
    result = dosirak("models", *args, home=home)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_export_delete_import(tmp_path: Path, saved: tuple[Path, list[str]]) -> None:
    source, (_, t1, _) = saved
    archive = tmp_path / "tripler.zip"
    exported = dosirak("models", "export", "tripler", str(archive), home=source)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.strip() == f"exported {t1} to {archive}"
    other = tmp_path / "other-home"
    imported = dosirak("models", "import", str(archive), home=other)
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith(f"imported {t1} into {other / 'models' / 'tripler'}")
    again = dosirak("models", "import", str(archive), home=other)
    assert again.returncode == 1
    assert "is already in the store" in again.stderr
    refused = dosirak("models", "delete", "tripler", home=other, stdin="n\n")
    assert refused.returncode == 1
    assert "nothing deleted" in refused.stderr
    deleted = dosirak("models", "delete", "tripler", home=other, stdin="y\n")
    assert deleted.returncode == 0, deleted.stderr
    assert f"deleted {t1}" in deleted.stdout
    assert dosirak("models", "list", home=other).stdout.strip() == (
        f"no models in {other / 'models'}"
    )


def test_list_shows_corrupt_entries_and_exits_1(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "models" / "broken" / "v1").mkdir(parents=True)
    result = dosirak("models", "list", home=home)
    assert result.returncode == 1
    assert "broken:v1" in result.stdout
    assert "CORRUPT: model.yaml is missing" in result.stdout
    assert "error: model 'broken:v1' at" in result.stderr
    as_json = json.loads(dosirak("models", "list", "--json", home=home).stdout)
    assert as_json == [
        {
            "tag": "broken:v1",
            "path": str(home / "models" / "broken" / "v1"),
            "error": "model.yaml is missing",
        }
    ]
    deleted = dosirak("models", "delete", "--yes", "broken:v1", home=home)
    assert deleted.returncode == 0, deleted.stderr
    assert dosirak("models", "list", home=home).returncode == 0


def test_help_lists_the_subcommands(tmp_path: Path) -> None:
    result = dosirak("models", "--help", home=tmp_path / "home")
    assert result.returncode == 0
    for command in ("list", "get", "delete", "export", "import"):
        assert f" {command} " in result.stdout
