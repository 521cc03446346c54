"""`dosirak serve --reload`: editing the service file changes what is served."""

from __future__ import annotations

import contextlib
import textwrap
import time
from pathlib import Path

import httpx

from .conftest import start_server, stop_server

SERVICE = textwrap.dedent(
    """
    import dosirak
    from dosirak.io import Text

    svc = dosirak.Service("reloading")


    @svc.api(input=Text(), output=Text())
    def greet(name: str) -> str:
        return "{greeting}, " + name
    """
)


def test_reload_picks_up_an_edit(tmp_path: Path) -> None:
    service = tmp_path / "service.py"
    service.write_text(SERVICE.format(greeting="hello"))
    served = start_server(f"{service}:svc", tmp_path, "--reload")
    try:
        url = f"{served.base_url}/greet"
        headers = {"content-type": "text/plain"}
        assert httpx.post(url, content="ada", headers=headers).text == "hello, ada"
        deadline = time.monotonic() + 30
        answer = ""
        while time.monotonic() < deadline:
            # Written again until seen: uvicorn's reloader starts watching a quarter of a
            # second after it started the server, which can be ready (and edited) before.
            service.write_text(SERVICE.format(greeting="annyeong"))
            with contextlib.suppress(httpx.TransportError):  # the worker is restarting
                answer = httpx.post(url, content="ada", headers=headers, timeout=2).text
            if answer == "annyeong, ada":
                break
            time.sleep(0.2)
        assert answer == "annyeong, ada", served.log()
    finally:
        stop_server(served)
