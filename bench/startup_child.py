"""`dosirak serve` of the bench's service, noting when each phase of its start ends.

Run by bench/startup_timeline.py: ``python startup_child.py STARTED_AT OUT PORT``, with
STARTED_AT the parent's ``time.time()`` just before it started this process; the marks go
to the JSON file OUT once the app is ready. It imports only what a start imports anyway.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

TARGET = f"{Path(__file__).resolve().parent / 'services' / 'dosirak_service.py'}:svc"


def _child(started_at: float, out: str, port: int) -> None:
    """The server: ``dosirak serve`` with marks at the end of each phase."""
    marks: list[tuple[str, float]] = []
    spent: dict[str, float] = {}
    passes = [0, 0.0]
    began = [0.0]

    def mark(name: str) -> None:
        marks.append((name, time.time() - started_at))

    def on_pass(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            passes[0] += 1
            passes[1] += time.perf_counter() - began[0]

    gc.callbacks.append(on_pass)
    mark("interpreter up")
    import dosirak

    mark("import dosirak (with numpy, pydantic, starlette)")
    import dosirak.runtime._app
    import dosirak.runtime._cache
    import dosirak.runtime._collector
    import dosirak.runtime.server

    import dosirak._loader
    from dosirak._serve import main

    mark("import uvicorn and the server module")

    def timed(module: Any, name: str, label: str) -> None:
        function = getattr(module, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - start

        setattr(module, name, call)

    timed(dosirak._loader, "load_service", "import the service file")
    timed(dosirak.runtime._cache, "generate_cached", "find the generated code (document hash)")
    timed(dosirak.runtime._app, "load_generated", "load the generated code")
    create_app = dosirak.runtime.server.create_app

    def create() -> Any:
        try:
            return create_app()
        finally:
            mark("app built")

    dosirak.runtime.server.create_app = create
    ready = dosirak.runtime._collector.ready

    def on_ready() -> None:
        mark("runners started, collector resumed")
        Path(out).write_text(
            json.dumps({"marks": marks, "spent": spent, "passes": passes[0], "gc": passes[1]})
        )
        ready()

    dosirak.runtime._collector.ready = on_ready
    sys.argv = ["dosirak", "serve", TARGET, "--port", str(port), "--no-access-log"]
    sys.argv += ["--log-level", "warning"]
    main()


if __name__ == "__main__":
    _child(float(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
