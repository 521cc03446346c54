"""The cyclic garbage collector around start-up (dosirak/__init__.py, runtime/_collector.py).

Importing dosirak pauses collection and moves what the import made to the oldest
generation; `dosirak serve` pauses it until the app is ready, then freezes what start-up
made and collects again. Checked in fresh interpreters (this process's collector state is
shared with every other test) and in a real served process.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dosirak.runtime import _collector

from .conftest import start_server, stop_server


def _run(code: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


# Counts the collections while dosirak is imported, except while Python compiles a source
# file (no bytecode cache, as under PYTHONDONTWRITEBYTECODE): that is not dosirak's import.
IMPORT_PROBE = """
    import gc, json, sys
    passes = []

    def compiling():
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_name == "source_to_code":
                return True
            frame = frame.f_back
        return False

    def count(phase, info):
        if phase == "start" and not compiling():
            passes.append(info)

    gc.callbacks.append(count)
    {before}
    gc.collect()  # none due while the import system looks for dosirak
    passes.clear()
    import dosirak
    young = gc.get_count()[0]
    print(json.dumps({{
        "enabled": gc.isenabled(),
        "frozen": gc.get_freeze_count(),
        "passes": len(passes),
        "young": young,
    }}))
"""


def test_importing_dosirak_collects_nothing_and_leaves_the_collector_as_it_was() -> None:
    state = _run(IMPORT_PROBE.format(before=""))
    assert state["enabled"] is True
    assert state["frozen"] == 0  # nothing stays frozen: moved to the oldest generation
    assert state["passes"] == 0
    assert isinstance(state["young"], int) and state["young"] < 700  # no big young walk due


def test_a_collector_stopped_before_the_import_stays_stopped() -> None:
    state = _run(IMPORT_PROBE.format(before="gc.disable()"))
    assert state["enabled"] is False
    assert state["passes"] == 0


def test_objects_frozen_before_the_import_stay_frozen() -> None:
    # A pre-fork server freezes what its children share; importing dosirak keeps them so.
    state = _run(IMPORT_PROBE.format(before="kept = [[i] for i in range(1000)]; gc.freeze()"))
    assert isinstance(state["frozen"], int) and state["frozen"] >= 1000


def test_what_an_import_leaves_as_garbage_is_still_collected() -> None:
    state = _run(
        """
        import gc, json, weakref

        class Node:
            pass

        gc.disable()
        cycle = Node()
        cycle.me = cycle
        alive = weakref.ref(cycle)
        del cycle
        gc.enable()
        import dosirak  # moves the cycle to the oldest generation with everything else
        gc.collect()
        print(json.dumps({"collected": alive() is None}))
        """
    )
    assert state["collected"] is True


@pytest.fixture
def collector_restored() -> Iterator[None]:
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    yield
    _collector.resume()
    if enabled:
        gc.enable()
    if not frozen:
        gc.unfreeze()


@pytest.mark.usefixtures("collector_restored")
def test_pause_until_ready_then_ready_freezes_and_collects_again() -> None:
    gc.enable()
    gc.unfreeze()  # nothing frozen yet: what is frozen after, `ready` froze
    _collector.pause_until_ready()
    assert not gc.isenabled()
    made = [[i] for i in range(100)]
    _collector.ready()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made)


@pytest.mark.usefixtures("collector_restored")
def test_resume_without_ready_collects_again_without_freezing() -> None:
    gc.enable()
    gc.unfreeze()
    _collector.pause_until_ready()
    _collector.resume()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    _collector.resume()  # twice: nothing more
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_restored")
def test_a_collector_stopped_by_someone_else_is_not_started() -> None:
    gc.disable()
    _collector.pause_until_ready()
    _collector.ready()
    assert not gc.isenabled()


SERVICE = """
import gc

import dosirak
from dosirak.io import Json

svc = dosirak.Service("collector")


@svc.api(input=Json(), output=Json())
def state(_: object) -> dict[str, object]:
    return {"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}
"""


def test_a_served_process_collects_and_has_frozen_its_start_up(tmp_path: Path) -> None:
    service = tmp_path / "service.py"
    service.write_text(SERVICE)
    served = start_server(f"{service}:svc", tmp_path)
    try:
        answer = httpx.post(f"{served.base_url}/state", json={}, timeout=10)
    finally:
        stop_server(served)
    assert answer.status_code == 200, answer.text
    assert answer.json()["enabled"] is True
    assert answer.json()["frozen"] > 10_000  # modules, the service, the app


def test_a_serve_that_fails_to_start_leaves_the_collector_running() -> None:
    state = _run(
        """
        import gc, json
        from dosirak._serve import ServeError, ServeSettings, serve

        try:
            serve(ServeSettings("no_such_file.py:svc"), echo=lambda _: None)
        except ServeError:
            pass
        print(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}))
        """
    )
    assert state == {"enabled": True, "frozen": 0}
