"""The cyclic garbage collector while a server starts: paused, then told what lives on.

Start-up (imports, the service, its models) makes hundreds of thousands of objects that
live as long as the server and next to no garbage: collecting meanwhile only walks them
again and again (~100 passes, about a twentieth of a start). `dosirak serve` pauses the
collector until the app is ready; `ready` then freezes what start-up made (later passes
skip it, also under load) and collects again.

Example::

    pause_until_ready()
    app = create_app()          # ... uvicorn starts, the app's lifespan calls:
    ready()
"""

from __future__ import annotations

import gc

__all__ = ["pause_until_ready", "ready", "resume"]

_paused = False  # paused here, to be resumed here (a collector paused by others stays so)


def pause_until_ready() -> None:
    """Stop collecting until `ready` or `resume` (nothing to do if already stopped)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Collect again if `pause_until_ready` stopped it (start-up ended some other way)."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()


def ready() -> None:
    """Start-up is over: what exists now lives on (frozen), and collection resumes."""
    gc.freeze()
    resume()
