"""asynclocks._probe: what the extension learns from the running interpreter
at import time. Each result is checked against what the interpreter does with
other objects than the probe's own."""

from __future__ import annotations

import asyncio
import math
import threading

import pytest
from asynclocks import _probe


def _await_error(obj: object) -> str:
    async def body() -> None:
        await obj  # type: ignore[misc]

    c = body()
    try:
        with pytest.raises(TypeError) as info:
            c.send(None)
    finally:
        c.close()
    return str(info.value)


class NotAwaitable:
    pass


class Plain:
    pass


class AwaitsPlain:
    def __await__(self):
        return Plain()


def test_await_templates_give_the_interpreters_messages():
    """fmt(template, ...) with other types is what `await x` says for them."""
    not_aw, non_iter, _coro = _probe.AWAIT_MSGS
    assert not_aw is not None and non_iter is not None
    t = NotAwaitable
    assert _probe.fmt(not_aw, t, t.__name__, None, None) == _await_error(t())
    a, r = AwaitsPlain, Plain
    assert _probe.fmt(non_iter, a, a.__name__, r, r.__name__) == _await_error(a())


def test_barrier_message():
    barrier = getattr(asyncio, "Barrier", None)
    if barrier is None:
        assert _probe.BARRIER_MSG is None
        return
    with pytest.raises(ValueError) as info:
        barrier(0)
    assert _probe.BARRIER_MSG == str(info.value)


def test_nan_timeout():
    try:
        threading.Event().wait(math.nan)
    except ValueError:
        raises = True
    else:
        raises = False
    assert _probe.NAN_TIMEOUT_RAISES is raises
