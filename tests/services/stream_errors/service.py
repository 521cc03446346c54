"""Test-only: streams that fail, before and after their first item."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import dosirak
from dosirak.io import Text

svc = dosirak.Service("stream_errors")


@svc.api(input=Text(), output=Text())
def fails_midway(text: str) -> Iterator[str]:
    yield "first"
    raise RuntimeError("the model broke after one word")


@svc.api(input=Text(), output=Text())
async def fails_at_once(text: str) -> AsyncIterator[str]:
    raise RuntimeError("the model broke before any word")
    yield "never"


@svc.api(input=Text(), output=Text())
def yields_bytes(text: str) -> Iterator[str]:
    yield "fine"
    yield b"not text"  # type: ignore[misc]


@svc.api(input=Text(), output=Text())
def empty(text: str) -> Iterator[str]:
    yield from ()
