"""The model store: tags and versions, save/get/latest, list, delete, corrupt entries,
atomic and concurrent saves (several processes), export/import archives, lazy imports."""

from __future__ import annotations

import io
import os
import pickle
import signal
import subprocess
import sys
import tarfile
import textwrap
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

import dosirak
from dosirak import models
from dosirak.models import (
    CorruptModel,
    InvalidTag,
    Model,
    ModelAlreadyExists,
    ModelNotFound,
    ModelSignature,
    Tag,
    UnsafeArchive,
    UnsafeModelWarning,
    WrongFramework,
)
from dosirak.models._tag import new_version

from ._model_helpers import Doubler, run_python, store_env
from ._model_helpers import home as home
from .conftest import ROOT

pytestmark = pytest.mark.usefixtures("home")  # every test gets an empty store


def save(name: str = "doubler", **kwargs: object) -> Model:
    return dosirak.picklable_model.save_model(name, Doubler(), **kwargs)  # type: ignore[arg-type]


# --- tags and versions --------------------------------------------------------------------


def test_versions_sort_by_creation_and_never_repeat() -> None:
    versions = [new_version() for _ in range(2000)]
    assert len(set(versions)) == len(versions)
    assert versions == sorted(versions)
    assert all(Tag("m", v).version == v for v in versions[:10])  # valid tag versions


def test_versions_of_different_processes_are_distinct() -> None:
    code = "from dosirak.models._tag import new_version; print(new_version())"
    runs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    versions = [p.communicate(timeout=60)[0].strip() for p in runs]
    assert len(set(versions)) == 4, versions


@pytest.mark.parametrize(
    ("text", "name", "version"),
    [
        ("iris_clf", "iris_clf", None),
        ("iris_clf:latest", "iris_clf", None),
        ("iris-clf.v2:1k15hnm93vd-mspza", "iris-clf.v2", "1k15hnm93vd-mspza"),
    ],
)
def test_tags_parse(text: str, name: str, version: str | None) -> None:
    tag = Tag.parse(text)
    assert (tag.name, tag.version) == (name, version)
    assert str(tag) == (text if ":" in text else f"{text}:latest")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Iris", "lowercase"),
        ("../etc", "name must be"),
        ("iris:", "nothing after ':'"),
        ("iris:a:b", "more than one ':'"),
        ("iris:../x", "version must be"),
        ("", "name must be"),
        ("x" * 64, "1 to 63"),
    ],
)
def test_bad_tags_say_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidTag, match="invalid model tag") as caught:
        models.get(text)
    assert reason in caught.value.reason
    assert caught.value.tag == text


# --- save, get, latest, list, delete -------------------------------------------------------


def test_save_records_the_model(home: Path) -> None:
    model = save(labels={"team": "ml"}, metadata={"accuracy": 0.97, "classes": ["a", "b"]})
    assert model.path == home / "models" / "doubler" / model.version
    assert (model.path / "model.yaml").is_file()
    assert (model.path / "saved_model.pkl").is_file()
    info = model.info
    assert info.framework == "picklable_model"
    assert dict(info.signatures) == {"__call__": ModelSignature(batchable=False, batch_dim=0)}
    assert info.labels == {"team": "ml"}
    assert info.metadata == {"accuracy": 0.97, "classes": ["a", "b"]}
    assert info.dosirak_version == dosirak.__version__
    assert info.python_version == ".".join(map(str, sys.version_info[:3]))
    assert info.created_at.tzinfo is not None
    assert models.get(str(model.tag)) == model
    assert list(home.glob("models/doubler/.*")) == []  # no staging folder left behind


def test_latest_is_the_newest_version() -> None:
    first, second, third = save(), save(), save()
    assert first.version < second.version < third.version
    assert models.get("doubler:latest") == third
    assert models.get("doubler") == third
    assert models.get(f"doubler:{first.version}") == first
    assert models.list() == [first, second, third]
    assert models.list("doubler") == [first, second, third]
    assert models.delete("doubler") == third.tag
    assert models.get("doubler:latest") == second


def test_list_sorts_by_name_then_version() -> None:
    b1, a1, b2 = save("b"), save("a"), save("b")
    assert models.list() == [a1, b1, b2]
    assert models.list("a") == [a1]
    assert models.list("nothing") == []


def test_missing_models_name_what_exists(home: Path) -> None:
    with pytest.raises(ModelNotFound, match="'nope:latest' is not in the model store"):
        models.get("nope")
    model = save()
    with pytest.raises(ModelNotFound, match="the store has doubler") as caught:
        models.get("nope:latest")
    assert caught.value.store == home / "models"
    with pytest.raises(ModelNotFound, match=f"the store has doubler:{model.version}"):
        models.get("doubler:0000000000-aaaaa")
    models.delete(model.tag)
    with pytest.raises(ModelNotFound):
        models.delete(model.tag)
    with pytest.raises(ModelNotFound):
        models.get("doubler")


def test_bad_save_arguments_are_refused_before_writing(home: Path) -> None:
    with pytest.raises(ValueError, match="does not have"):
        save(signatures={"predict": {"batchable": True}})
    with pytest.raises(ValueError, match="unknown keys"):
        save(signatures={"__call__": {"batchable": True, "dim": 0}})
    with pytest.raises(TypeError, match="'batch_dim' must be an integer or a pair"):
        save(signatures={"__call__": {"batchable": True, "batch_dim": "0"}})
    with pytest.raises(TypeError, match="labels"):
        save(labels={"n": 1})
    with pytest.raises(TypeError, match="metadata: only strings"):
        save(metadata={"obj": object()})
    with pytest.raises(InvalidTag):
        save("Not A Name")
    with pytest.raises(ValueError, match="none of the methods"):
        dosirak.picklable_model.save_model("x", 42)
    assert models.list() == []
    assert list((home / "models").glob("*/*")) == []


def test_a_failing_save_leaves_nothing(home: Path) -> None:
    class Unpicklable:
        def __call__(self) -> None: ...

        def __reduce__(self) -> str:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        dosirak.picklable_model.save_model("broken", Unpicklable())
    assert list((home / "models" / "broken").iterdir()) == []
    with pytest.raises(ModelNotFound):
        models.get("broken")


def test_a_killed_save_is_never_visible(home: Path) -> None:
    """A process killed in the middle of writing leaves only a hidden staging folder."""
    code = textwrap.dedent(
        """
        import time, dosirak

        class Slow:
            def __call__(self): ...
            def __reduce__(self):
                print("writing", flush=True)
                time.sleep(60)
                return (Slow, ())

        dosirak.picklable_model.save_model("slow", Slow())
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], env=store_env(home), stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "writing"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stdout.close()
    leftovers = list((home / "models" / "slow").iterdir())
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".partial-")
    assert models.list() == []
    with pytest.raises(ModelNotFound):
        models.get("slow:latest")


def test_concurrent_saves_in_several_processes(home: Path) -> None:
    """Four processes save one name 15 times each while a fifth reads `latest` again and
    again: every save lands as its own complete version, and the reader never sees a
    half-written one."""
    writer = textwrap.dedent(
        """
        import sys, time
        import dosirak
        from tests._model_helpers import Doubler
        time.sleep(max(0.0, float(sys.argv[1]) - time.time()))
        for i in range(15):
            dosirak.picklable_model.save_model("shared", Doubler(), metadata={"i": i})
        """
    )
    reader = textwrap.dedent(
        """
        import sys, time, warnings
        import dosirak
        from dosirak.models import ModelNotFound
        warnings.simplefilter("ignore")
        start, seen, listed = float(sys.argv[1]), set(), 0
        time.sleep(max(0.0, start - time.time()))
        while time.time() < start + 100 and listed < 60:
            try:
                model = dosirak.models.get("shared:latest")
            except ModelNotFound:
                continue
            assert model.load_model()([1.0]) == [2.0]
            seen.add(model.version)
            listed = len(dosirak.models.list("shared"))  # never a CorruptModel
        print(len(seen))
        """
    )
    start = str(time.time() + 3)  # every process has imported dosirak by then
    processes = [
        subprocess.Popen([sys.executable, "-c", writer, start], env=store_env(home), cwd=ROOT)
        for _ in range(4)
    ]
    read = subprocess.Popen(
        [sys.executable, "-c", reader, start], env=store_env(home), cwd=ROOT, stdout=subprocess.PIPE
    )
    for process in processes:
        assert process.wait(timeout=120) == 0
    out, _ = read.communicate(timeout=120)
    assert read.returncode == 0
    assert int(out) >= 1
    saved = models.list("shared")
    assert len(saved) == 60
    assert len({m.version for m in saved}) == 60
    assert sorted(m.version for m in saved) == [m.version for m in saved]
    assert [p.name for p in (home / "models" / "shared").iterdir() if p.name.startswith(".")] == []
    assert models.get("shared:latest") == saved[-1]


def test_stale_staging_folders_are_swept(home: Path) -> None:
    """What a killed save left behind goes at a later save, once a day old."""
    save()
    folder = home / "models" / "doubler"
    old, fresh = folder / ".partial-old-1", folder / ".partial-new-2"
    for staging in (old, fresh):
        staging.mkdir()
        (staging / "saved_model.pkl").write_bytes(b"half")
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    save()
    assert not old.exists()
    assert fresh.exists()  # maybe a save in progress in another process


def test_listing_reads_each_folder_once(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("b", "a", "b"):
        save(name)
    listed: list[Path] = []
    iterdir = Path.iterdir

    def counted(self: Path) -> Iterator[Path]:
        listed.append(self)
        return iterdir(self)

    monkeypatch.setattr(Path, "iterdir", counted)
    assert [m.name for m in models.list()] == ["a", "b", "b"]
    assert sorted(listed) == [home / "models", home / "models" / "a", home / "models" / "b"]


def test_metadata_is_checked_on_save_not_on_every_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether YAML can store the metadata is known once model.yaml is written: reading
    it back does not dump it again."""
    save(metadata={"accuracy": 0.97, "classes": ["a", "b"], "nested": {"k": None}})
    dumps: list[object] = []
    safe_dump = yaml.safe_dump

    def counted(data: object, *args: object, **kwargs: object) -> object:
        dumps.append(data)
        return safe_dump(data, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(yaml, "safe_dump", counted)
    assert models.get("doubler").info.metadata["nested"] == {"k": None}
    assert len(models.list()) == 1
    assert dumps == []
    save(metadata={"accuracy": 0.98})
    assert len(dumps) == 1  # the model.yaml of the new version
    with pytest.raises(TypeError, match="metadata: only strings"):
        save(metadata={"obj": object()})
    assert len(models.list()) == 2


# --- corrupt entries -----------------------------------------------------------------------


def _rewrite(path: Path, **fields: object) -> None:
    """Change fields of a saved model's model.yaml, as a hand edit would."""
    document = yaml.safe_load((path / "model.yaml").read_text())
    (path / "model.yaml").write_text(yaml.safe_dump({**document, **fields}))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda p: _rewrite(p, labels={"n": 1}), "labels: 'n': 1: keys and values must be"),
        (lambda p: _rewrite(p, metadata=[1, 2]), "metadata: expected a mapping"),
        (lambda p: _rewrite(p, metadata={1: "a"}), "metadata: expected a mapping"),
        (lambda p: (p / "model.yaml").unlink(), "model.yaml is missing"),
        (lambda p: (p / "model.yaml").write_text("name: [unclosed"), "not valid YAML"),
        (lambda p: (p / "model.yaml").write_text("- a list"), "does not hold a mapping"),
        (lambda p: (p / "model.yaml").write_text("name: doubler\n"), "lacks version"),
        (lambda p: (p / "model.yaml").write_bytes(b"\xff\xfe"), "cannot be read"),
    ],
)
def test_a_corrupt_entry_is_a_clear_error(damage: object, reason: str) -> None:
    model = save()
    damage(model.path)  # type: ignore[operator]
    for tag in (str(model.tag), "doubler:latest"):
        with pytest.raises(CorruptModel, match=reason) as caught:
            models.get(tag)
        assert caught.value.tag == str(model.tag)
        assert caught.value.path == model.path
        assert "dosirak models delete" in str(caught.value)
    with pytest.raises(CorruptModel):
        models.list()
    assert models.delete(model.tag) == model.tag  # a corrupt entry can still be removed
    assert models.list() == []


def test_a_model_folder_renamed_by_hand_is_corrupt() -> None:
    model = save()
    moved = model.path.with_name("0000000000-aaaaa")
    model.path.rename(moved)
    with pytest.raises(CorruptModel, match=r"names doubler:.*not the folder it is in"):
        models.get("doubler:0000000000-aaaaa")


def test_a_missing_model_file_is_corrupt() -> None:
    model = save()
    (model.path / "saved_model.pkl").unlink()
    with pytest.raises(CorruptModel, match=r"'saved_model.pkl' is missing"):
        dosirak.picklable_model.load_model(model)


# --- loading ------------------------------------------------------------------------------


def test_loading_a_pickle_warns_and_needs_the_store() -> None:
    model = save(custom_objects={"scale": 3})
    with pytest.warns(UnsafeModelWarning, match="runs code stored in them"):
        loaded = dosirak.picklable_model.load_model("doubler:latest")
    assert loaded([1.5]) == [3.0]
    with pytest.warns(UnsafeModelWarning):
        assert model.custom_objects == {"scale": 3}
    with pytest.raises(InvalidTag):  # a path is not a tag: nothing outside the store
        dosirak.picklable_model.load_model(str(model.path / "saved_model.pkl"))
    with pytest.raises(InvalidTag, match="a tag is a string"):
        dosirak.picklable_model.load_model(model.path / "saved_model.pkl")  # type: ignore[arg-type]


def test_a_framework_module_refuses_another_frameworks_model() -> None:
    save()
    with pytest.raises(WrongFramework, match="saved with framework 'picklable_model'"):
        dosirak.sklearn.get("doubler")
    with pytest.raises(WrongFramework, match="not 'sklearn'"):
        dosirak.sklearn.get_runnable("doubler")


def test_a_framework_module_builds_runnables_of_its_class() -> None:
    model = save()
    assert dosirak.picklable_model.get(model.tag) == model
    cls = dosirak.picklable_model.get_runnable("doubler:latest")
    assert cls is model.to_runnable()
    assert issubclass(cls, dosirak.picklable_model.PicklableRunnable)
    assert cls.model == model
    assert sorted(cls.runnable_methods()) == ["__call__"]


def test_generic_save_model_picks_the_framework_module() -> None:
    model = models.save_model("doubler", Doubler(), framework="picklable_model")
    assert model.info.framework == "picklable_model"
    with pytest.raises(models.ModelStoreError, match="unknown model framework 'onnx'"):
        models.save_model("doubler", Doubler(), framework="onnx")


# --- runners -------------------------------------------------------------------------------


def test_picklable_model_runner_follows_the_signatures() -> None:
    model = save(
        signatures={"__call__": {"batchable": True, "batch_dim": 0}, "halve": {}},
    )
    runner = model.to_runner(max_batch_size=32, max_latency_ms=5)
    assert runner.name == "doubler"
    assert runner.max_batch_size == 32 and runner.max_latency_ms == 5
    assert runner.methods["__call__"].config.batchable is True
    assert runner.methods["halve"].config.batchable is False
    with pytest.warns(UnsafeModelWarning):
        runner.init_local()
    assert runner.run([1.0, 2.0]) == [2.0, 4.0]
    assert runner.halve.run([4.0]) == [2.0]
    runner.shutdown()


@pytest.mark.parametrize(
    ("cpu", "threads"), [(4, 4), ("2", 2), (0.5, 1), (2.5, 2), ("500m", 1), ("2500m", 2)]
)
def test_cpu_resources_become_threads(cpu: object, threads: int) -> None:
    runner = save().to_runner(resources={"cpu": cpu})
    assert runner.init_params == {"threads": threads}
    assert runner.resources == {"cpu": cpu}


@pytest.mark.parametrize("cpu", ["lots", 0, "-1", None, True, "m", "0m", "nan", float("inf")])
def test_bad_cpu_resources_are_refused(cpu: object) -> None:
    with pytest.raises(ValueError, match=r"runner 'doubler': resources cpu="):
        save().to_runner(resources={"cpu": cpu})


def test_runnable_classes_pickle_by_reference() -> None:
    """A worker process can receive the runnable class: it is rebuilt from the store."""
    model = save()
    cls = model.to_runnable()
    assert model.to_runnable() is cls
    assert pickle.loads(pickle.dumps(cls)) is cls
    code = textwrap.dedent(
        f"""
        import pickle, sys, warnings
        warnings.simplefilter("ignore")
        cls = pickle.loads({pickle.dumps(cls)!r})
        print(cls.model.tag, sorted(cls.runnable_methods()), cls()([2.0]))
        """
    )
    result = run_python(code, models.store_path().parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(model.tag), "['__call__']", "[4.0]"]


# --- export and import ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
def test_export_import_round_trip(tmp_path: Path, home: Path, suffix: str) -> None:
    model = save(labels={"team": "ml"}, custom_objects={"k": 1})
    archive = models.export_model("doubler:latest", tmp_path / f"doubler{suffix}")
    assert archive == tmp_path / f"doubler{suffix}"
    with pytest.raises(ModelAlreadyExists, match="already in the store"):
        models.import_model(archive)
    models.delete(model.tag)
    imported = models.import_model(archive)
    assert imported == model  # same tag, path, and everything model.yaml records
    with pytest.warns(UnsafeModelWarning):
        assert dosirak.picklable_model.load_model(imported)([1.0]) == [2.0]
    assert [p.name for p in (home / "models").iterdir() if p.name.startswith(".")] == []


def test_export_into_a_folder_names_the_file(tmp_path: Path) -> None:
    model = save()
    archive = models.export_model("doubler", tmp_path)
    assert archive == tmp_path / f"doubler-{model.version}.tar.gz"
    assert tarfile.is_tarfile(archive)


def _tar(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
    return path


def _model_yaml() -> bytes:
    model = save()
    data = (model.path / "model.yaml").read_bytes()
    models.delete(model.tag)
    return data


@pytest.mark.parametrize(
    ("member", "why"),
    [("/etc/evil", "outside the model"), ("../evil", "outside the model"), ("a/../../e", "")],
)
def test_import_refuses_members_that_escape(home: Path, member: str, why: str) -> None:
    archive = _tar(home.parent / "evil.tar.gz", {"model.yaml": _model_yaml(), member: b"x"})
    with pytest.raises(UnsafeArchive, match=f"member .* would be written {why}"):
        models.import_model(archive)
    assert models.list() == []
    # nothing was written beside the staging folder (which is removed again)
    assert not (home / "models" / "evil").exists() and not (home / "models" / "e").exists()
    assert not Path("/etc/evil").exists()


def test_import_refuses_links_and_zip_traversal(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "link.tar.gz", {"model.yaml": _model_yaml()}, {"x": "/etc/passwd"})
    with pytest.raises(UnsafeArchive, match="is a link or device"):
        models.import_model(archive)
    zipped = tmp_path / "evil.zip"
    with zipfile.ZipFile(zipped, "w") as out:
        out.writestr("model.yaml", _model_yaml())
        out.writestr("../../evil", b"x")
    with pytest.raises(UnsafeArchive, match="outside the model"):
        models.import_model(zipped)
    assert models.list() == []


def test_import_refuses_what_is_not_a_model_export(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(UnsafeArchive, match=r"not a .tar.gz or .zip model export"):
        models.import_model(text)
    with pytest.raises(UnsafeArchive, match=r"no model.yaml"):
        models.import_model(_tar(tmp_path / "empty.tar.gz", {"other": b"x"}))
    bad = _tar(tmp_path / "bad.tar.gz", {"model.yaml": b"name: ../x\nversion: v\n"})
    with pytest.raises(UnsafeArchive, match=r"model.yaml is invalid"):
        models.import_model(bad)
    with pytest.raises(FileNotFoundError):
        models.import_model(tmp_path / "missing.tar.gz")


# --- lazy imports --------------------------------------------------------------------------


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_dosirak_loads_no_framework() -> None:
    result = _python(
        """
        import sys, dosirak
        heavy = ("sklearn", "torch", "joblib", "dosirak.models")
        print(sorted(m for m in heavy if m in sys.modules))
        dosirak.models, dosirak.picklable_model
        print("torch" in sys.modules, "sklearn" in sys.modules)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["[]", "False False"]


@pytest.mark.parametrize(
    ("blocked", "module", "extra"),
    [
        ("sklearn", "sklearn", "sklearn"),
        ("joblib", "sklearn", "sklearn"),
        ("torch", "pytorch", "pytorch"),
    ],
)
def test_a_missing_framework_names_the_extra(blocked: str, module: str, extra: str) -> None:
    result = _python(
        f"""
        import sys
        sys.modules[{blocked!r}] = None  # as if it were not installed
        import dosirak
        dosirak.{module}.get("iris_clf:latest")
        """
    )
    assert result.returncode == 1
    assert f"pip install 'dosirak[{extra}]'" in result.stderr.splitlines()[-1]
