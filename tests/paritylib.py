"""Shared helpers for the asynclocks behaviour-parity tests.

Every scenario is an ``async def scenario(ns, rec)`` coroutine function that
uses the primitives of the namespace ``ns`` (either the stdlib classes or the
asynclocks ones) and records what happens into ``rec`` (a :class:`Rec`).
:func:`parity` runs a scenario once per implementation, each on a fresh event
loop of the requested flavour, and asserts that both traces are equal.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
import types

import asynclocks

PY = sys.version_info[:2]
HAS_BARRIER = PY >= (3, 11)
HAS_SHUTDOWN = PY >= (3, 13)  # Queue.shutdown(), QueueShutDown
QUEUE_KINDS = ["Queue", "LifoQueue", "PriorityQueue"]

try:  # pragma: no cover - depends on the environment
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None


def _namespace(name, mod):
    return types.SimpleNamespace(
        name=name,
        Lock=mod.Lock,
        Event=mod.Event,
        Condition=mod.Condition,
        Semaphore=mod.Semaphore,
        BoundedSemaphore=mod.BoundedSemaphore,
        Barrier=getattr(mod, "Barrier", None) if HAS_BARRIER else None,
        BrokenBarrierError=getattr(mod, "BrokenBarrierError", None),
        # The queues: None on the asynclocks side while it has none (the queue
        # tests skip then); the exceptions are asyncio's own on both sides.
        Queue=getattr(mod, "Queue", None),
        LifoQueue=getattr(mod, "LifoQueue", None),
        PriorityQueue=getattr(mod, "PriorityQueue", None),
        QueueEmpty=asyncio.QueueEmpty,
        QueueFull=asyncio.QueueFull,
        QueueShutDown=getattr(asyncio, "QueueShutDown", None),
    )


STDLIB = _namespace("stdlib", asyncio)
ASYNCLOCKS = _namespace("asynclocks", asynclocks)
IMPLS = {"stdlib": STDLIB, "asynclocks": ASYNCLOCKS}

LOOP_FLAVOURS = ["asyncio"] + (["uvloop"] if uvloop is not None else [])
EAGER_FLAVOURS = ["eager"] if PY >= (3, 12) else []
ALL_FLAVOURS = LOOP_FLAVOURS + EAGER_FLAVOURS

HYPOTHESIS_EXAMPLES = int(os.environ.get("ASYNCLOCKS_HYPOTHESIS_EXAMPLES", "200"))


# --------------------------------------------------------------------------
# event loops


def new_loop(flavour: str) -> asyncio.AbstractEventLoop:
    if flavour == "uvloop":
        loop = uvloop.new_event_loop()
    elif flavour in ("asyncio", "eager"):
        loop = asyncio.new_event_loop()
    else:  # pragma: no cover
        raise ValueError(flavour)
    if flavour == "eager":
        loop.set_task_factory(asyncio.eager_task_factory)
    return loop


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is left on ``loop`` (bounded: never hangs) and close it."""
    try:
        for _ in range(50):
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            if not pending:
                break
            for t in pending:
                t.cancel()
            loop.run_until_complete(asyncio.sleep(0))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()


WATCHDOG_SECONDS = 20.0


def run(flavour: str, corofn, *args):
    """Run ``corofn(*args)`` to completion on a fresh loop of ``flavour``.

    A scenario that hangs is cancelled after WATCHDOG_SECONDS (its trace then
    ends with that cancellation, and differs from a trace that did not hang).
    """
    loop = new_loop(flavour)
    try:
        task = loop.create_task(corofn(*args))
        watchdog = loop.call_later(WATCHDOG_SECONDS, task.cancel, "parity watchdog: hung")
        try:
            return loop.run_until_complete(task)
        finally:
            watchdog.cancel()
    finally:
        _finish(loop)


# --------------------------------------------------------------------------
# normalisation

_OBJ_RE = re.compile(r"<(?:[\w.]+\.)?(\w+) object at 0x[0-9a-fA-F]+")
_STATE_RE = re.compile(r"\[([^\[\]]*)\]>$")
_AT_RE = re.compile(r" at 0x[0-9a-fA-F]+")  # the queues' repr: <Queue at 0x... maxsize=0>


def norm(text: str) -> str:
    """Drop module prefixes and addresses from reprs embedded in ``text``."""
    return _AT_RE.sub(" at 0x", _OBJ_RE.sub(r"<\1 object", text))


def state(obj) -> str:
    """The bracketed part of ``repr(obj)``, e.g. ``'locked, waiters:1'``."""
    r = repr(obj)
    m = _STATE_RE.search(r)
    assert m is not None, r
    return m.group(1)


def exc_id(exc: BaseException, message: bool = True):
    t = type(exc)
    name = f"{t.__module__}.{t.__qualname__}"
    if t.__module__ == "asyncio.exceptions":
        name = f"asyncio.{t.__qualname__}"
    if not message:
        return (name,)
    return (name, norm(str(exc)))


def value_id(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)):
        return type(value)(value_id(v) for v in value)
    return "<object>"


# --------------------------------------------------------------------------
# recording


class Rec:
    """Collects a trace of events."""

    def __init__(self):
        self.events: list = []
        self.tasks: dict = {}

    def __call__(self, *event):
        self.events.append(event)

    def call(self, label, fn, *args, message=True, **kwargs):
        """Call ``fn`` and record its return value or exception."""
        try:
            result = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - we record everything
            self(label, "raise", *exc_id(exc, message))
            return None
        self(label, "ok", value_id(result))
        return result

    async def acall(self, label, awaitable, message=True):
        """Await ``awaitable`` and record its result or exception."""
        try:
            result = await awaitable
        except BaseException as exc:  # noqa: BLE001
            self(label, "raise", *exc_id(exc, message))
            return None
        self(label, "ok", value_id(result))
        return result

    def spawn(self, name, awaitable, message=True) -> asyncio.Task:
        """Start a task that records how ``awaitable`` ends."""

        async def runner():
            try:
                result = await awaitable
            except asyncio.CancelledError as exc:
                self(name, "raise", *exc_id(exc, message))
                raise
            except BaseException as exc:  # noqa: BLE001
                self(name, "raise", *exc_id(exc, message))
                return None
            self(name, "return", value_id(result))
            return result

        task = asyncio.ensure_future(runner())
        task.add_done_callback(lambda _t: _close_quietly(awaitable))
        self.tasks[name] = task
        return task

    def snap(self, label, *objs):
        """Record the bracketed repr state of ``objs``."""
        self(label, *[state(o) for o in objs])


def _close_quietly(awaitable) -> None:
    """Close a coroutine that a task cancelled before its start never awaited."""
    close = getattr(awaitable, "close", None)
    if close is not None:
        try:
            close()
        except BaseException:  # noqa: BLE001, S110 - nothing to do about it here
            pass


async def steps(n: int = 1) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def drain(rec: Rec, limit: int = 100) -> None:
    """Let the loop run until all recorded tasks are done (bounded)."""
    for _ in range(limit):
        if all(t.done() for t in rec.tasks.values()):
            return
        await asyncio.sleep(0)
    rec("drain-limit", sorted(n for n, t in rec.tasks.items() if not t.done()))


def trace(scenario, ns, flavour: str = "asyncio") -> list:
    async def main():
        rec = Rec()
        try:
            await scenario(ns, rec)
        except BaseException as exc:  # noqa: BLE001
            rec("scenario", "raise", *exc_id(exc))
        await drain(rec)
        return rec.events

    return run(flavour, main)


def parity(scenario, ns, flavour: str = "asyncio") -> list:
    """Assert the trace of ``scenario`` on ``ns`` equals the stdlib's; return it."""
    expected = trace(scenario, STDLIB, flavour)
    actual = trace(scenario, ns, flavour)
    if actual != expected:
        raise AssertionError(
            f"{ns.name} trace differs from stdlib (Python {PY[0]}.{PY[1]}, {flavour})\n"
            + describe_difference(expected, actual)
        )
    return actual


def describe_difference(expected: list, actual: list) -> str:
    """Both traces, one event a line, from a little before the first difference."""
    first = next(
        (i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b),
        min(len(expected), len(actual)),
    )
    start = max(0, first - 3)
    lines = [f"first difference at event {first} (showing from {start}):"]
    for title, events in (("stdlib", expected), ("asynclocks", actual)):
        lines.append(f"  {title} ({len(events)} events):")
        for i, event in enumerate(events[start : start + 12], start):
            mark = ">>" if i == first else "  "
            lines.append(f"  {mark} {i:3d} {event!r}")
    return "\n".join(lines)


def events_of(events, label):
    return [e[1:] for e in events if e and e[0] == label]
