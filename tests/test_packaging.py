"""The built distribution works on its own: sdist → wheel → a fresh venv → ``dosirak gen``.

The package-dir mapping (codegen/, runtime/, templates/ → dosirak.*) and the package data
(templates, the ReDoc bundle) must survive packaging; the dev install cannot show that.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import IRIS_TARGET, ROOT

pytestmark = pytest.mark.slow

GENERATED = [
    "openapi.json",
    "server/__init__.py",
    "server/models.py",
    "server/routes.py",
    "server/validators.py",
]
# Left out of the copy the build starts from: what a fresh clone would not have.
TOP_LEVEL_JUNK = {".git", ".venv", "venv", "build", "dist", ".cache", ".whl", "node_modules"}
ANYWHERE_JUNK = shutil.ignore_patterns("__pycache__", "*.egg-info", ".*_cache")


def ignored(directory: str, names: list[str]) -> set[str]:
    junk = set(ANYWHERE_JUNK(directory, names))
    if Path(directory) == ROOT:
        junk |= TOP_LEVEL_JUNK & set(names)
    return junk


def run(*args: str | Path, cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def clean_env(home: Path) -> dict[str, str]:
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSAFEPATH"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["DOSIRAK_HOME"] = str(home)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@dataclass(frozen=True)
class Installed:
    sdist: Path
    wheel: Path
    venv: Path
    python: Path
    dosirak: Path
    env: dict[str, str]
    workdir: Path


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The project built (sdist, then a wheel from it) and installed into a fresh venv."""
    work = tmp_path_factory.mktemp("packaging")
    env = clean_env(work / "dosirak-home")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=ignored, symlinks=True)
    dist = work / "dist"
    run(sys.executable, "-m", "build", "--outdir", dist, source, cwd=work, env=env)
    (sdist,) = dist.glob("dosirak-*.tar.gz")
    (wheel,) = dist.glob("dosirak-*.whl")

    target = work / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(target)
    python = target / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", wheel, cwd=work, env=env)
    return Installed(sdist, wheel, target, python, target / "bin" / "dosirak", env, work)


def test_wheel_holds_the_packages_and_their_data(installed: Installed) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    templates = sorted(p.name for p in (ROOT / "templates").glob("*.jinja"))
    assert templates, "no templates in the checkout"
    expected = {f"dosirak/templates/{name}" for name in templates} | {
        "dosirak/py.typed",
        "dosirak/_cli.py",
        "dosirak/io/__init__.py",
        "dosirak/codegen/__init__.py",
        "dosirak/runtime/__init__.py",
        "dosirak/templates/__init__.py",
        "dosirak/runtime/static/redoc/redoc.standalone.js",
    }
    assert expected <= names, sorted(expected - names)
    assert not any(n.startswith(("tests/", "samples/", "codegen/", "runtime/")) for n in names)


def test_wheel_holds_every_module_of_the_checkout(installed: Installed) -> None:
    """Each module under the four folders is in the wheel (a new subpackage needs its own
    entry in pyproject's ``packages`` and ``package-dir``), and nothing else is."""
    folders = {"dosirak": "dosirak", "codegen": "dosirak/codegen"}
    folders |= {"runtime": "dosirak/runtime", "templates": "dosirak/templates"}
    expected = {
        f"{inside}/{path.relative_to(ROOT / folder).as_posix()}"
        for folder, inside in folders.items()
        for path in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    in_wheel = {n for n in zipfile.ZipFile(installed.wheel).namelist() if n.endswith(".py")}
    assert sorted(expected - in_wheel) == [], "modules of the checkout missing from the wheel"
    assert sorted(in_wheel - expected) == [], "modules in the wheel that the checkout lacks"


def test_sdist_holds_the_package_data(installed: Installed) -> None:
    with tarfile.open(installed.sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    assert "templates/routes.py.jinja" in names
    assert "runtime/static/redoc/redoc.standalone.js" in names
    assert "README.md" in names


def test_installed_package_imports_from_the_venv(installed: Installed) -> None:
    script = (
        "import importlib.resources as r, dosirak, dosirak.codegen, dosirak.runtime, "
        "dosirak.templates\n"
        "print(dosirak.__file__)\n"
        "print(r.files('dosirak.templates').joinpath('routes.py.jinja'))\n"
        "print(r.files('dosirak.runtime').joinpath('static/redoc/redoc.standalone.js'))\n"
    )
    out = run(installed.python, "-c", script, cwd=installed.workdir, env=installed.env)
    paths = [Path(line) for line in out.splitlines()]
    assert len(paths) == 3, out
    for path in paths:
        assert path.is_file(), path
        assert path.is_relative_to(installed.venv), f"{path} is not from the installed wheel"


def test_installed_dosirak_generates_what_the_dev_install_does(installed: Installed) -> None:
    work = installed.workdir
    shutil.rmtree(work / "out", ignore_errors=True)
    run(installed.dosirak, "gen", IRIS_TARGET, "-o", work / "out", cwd=work, env=installed.env)
    for name in GENERATED:
        assert (work / "out" / name).is_file(), name

    dev_out = work / "dev-out"
    run(
        sys.executable,
        "-m",
        "dosirak",
        "gen",
        IRIS_TARGET,
        "-o",
        dev_out,
        cwd=work,
        env=installed.env,
    )
    for name in GENERATED:
        assert (work / "out" / name).read_bytes() == (dev_out / name).read_bytes(), name
