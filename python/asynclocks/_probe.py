"""What the running interpreter and stdlib do where patch releases differ.

``asynclocks._core`` imports this module once, when it is first imported, and
reads the results below, so that it matches the running interpreter rather
than a table of versions:

- ``BARRIER_MSG``: what ``asyncio.Barrier(0)`` says (``None`` before 3.11);
- ``AWAIT_MSGS``: the TypeErrors of ``await x`` where ``x`` is not awaitable,
  where ``x.__await__()`` returned a non-iterator and where it returned a
  coroutine, as templates: the probe types' names become markers that
  :func:`fmt` replaces with the names of the actual types (``None`` where
  no TypeError was raised);
- ``THROW_DONE_FIRST`` / ``THROW_RUNNING_FIRST``: whether ``throw()`` into a
  finished / running coroutine reports that state before it checks its
  argument (3.15);
- ``NAN_TIMEOUT_RAISES``: whether ``threading.Event().wait(nan)`` raises
  ValueError (3.14+) rather than returning False.
"""

from __future__ import annotations

import asyncio.locks
import threading
from collections.abc import Coroutine, Iterator

# Not `typing.TYPE_CHECKING`: importing typing costs import time where asyncio
# does not import it (3.15).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "AWAIT_MSGS",
    "BARRIER_MSG",
    "NAN_TIMEOUT_RAISES",
    "THROW_DONE_FIRST",
    "THROW_RUNNING_FIRST",
    "fmt",
]


def _qual(t: type) -> str:
    """The type's name as the interpreter's messages write it in full."""
    n: str | None = getattr(t, "__fully_qualified_name__", None)
    if n is None:
        m = t.__module__
        n = t.__qualname__ if m in ("builtins", "__main__") else m + "." + t.__qualname__
    return n


def _marks(types: list[type]) -> Iterator[tuple[str, str]]:
    """(name, marker) pairs: each way a message may name each probe type."""
    for i, t in enumerate(types):
        yield _qual(t), f"\0F{i}\0"
        yield t.__qualname__, f"\0Q{i}\0"
        yield t.__name__, f"\0T{i}\0"


def fmt(msg: str, t0: type | None, n0: str | None, t1: type | None, n1: str | None) -> str:
    """Fill template ``msg`` with the names of types t0 and t1 (tp_name n0, n1)."""
    for i, (t, n) in enumerate(((t0, n0), (t1, n1))):
        if t is not None and n is not None:
            msg = msg.replace(f"\0F{i}\0", _qual(t))
            msg = msg.replace(f"\0Q{i}\0", t.__qualname__)
            msg = msg.replace(f"\0T{i}\0", n)
    return msg


def _probe_type(name: str, ns: dict[str, Any]) -> type:
    t = type(name, (), ns)
    t.__module__ = "_alprobe_m"
    t.__qualname__ = "_alprobe_q." + name
    return t


async def _await(x: Any) -> None:
    await x


async def _empty() -> None:
    pass


def _await_msg(obj: object, types: list[type]) -> str | None:
    """The TypeError message of ``await obj``, as a template, or None."""
    c = _await(obj)
    try:
        c.send(None)
    except TypeError as e:
        msg = str(e)
    else:
        return None
    finally:
        c.close()
    for name, mark in _marks(types):
        msg = msg.replace(name, mark)
    return msg


def _await_msgs() -> tuple[str | None, str | None, str | None]:
    r = _probe_type("ALPROBER", {})
    na = _probe_type("ALPROBEN", {})
    ni = _probe_type("ALPROBEI", {"__await__": lambda self: r()})
    co = _empty()
    cc = _probe_type("ALPROBEC", {"__await__": lambda self: co})
    msgs = (_await_msg(na(), [na]), _await_msg(ni(), [ni, r]), _await_msg(cc(), [cc]))
    co.close()
    return msgs


def _throw_done_first() -> bool:
    done = _empty()
    done.close()
    try:
        done.throw(1)  # type: ignore[call-overload]
    except RuntimeError:
        return True
    except TypeError:
        return False
    return False


def _throw_running_first() -> bool:
    box: list[Coroutine[Any, Any, bool]] = []

    async def selfthrow() -> bool:
        try:
            box[0].throw(1)  # type: ignore[call-overload]
        except ValueError:
            return True
        except TypeError:
            return False
        return False

    c = selfthrow()
    box.append(c)
    running_first = False
    try:
        c.send(None)
    except StopIteration as e:
        running_first = bool(e.value)
    box.clear()
    return running_first


def _barrier_msg() -> str | None:
    barrier = getattr(asyncio.locks, "Barrier", None)
    if barrier is None:
        return None
    try:
        barrier(0)
    except ValueError as e:
        return str(e)
    return None


def _nan_timeout_raises() -> bool:
    try:
        threading.Event().wait(float("nan"))
    except ValueError:
        return True
    return False


BARRIER_MSG: str | None = _barrier_msg()
AWAIT_MSGS: tuple[str | None, str | None, str | None] = _await_msgs()
THROW_DONE_FIRST: bool = _throw_done_first()
THROW_RUNNING_FIRST: bool = _throw_running_first()
NAN_TIMEOUT_RAISES: bool = _nan_timeout_raises()
