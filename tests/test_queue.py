"""Queue, LifoQueue, PriorityQueue: both implementations must give the stdlib's trace.

Every scenario runs once on asyncio's classes and once on asynclocks' (the
``queue_impl`` fixture; skipped while asynclocks has no queues) and the traces
are compared: results, exceptions and their messages, ``str()`` and ``repr()``
(addresses dropped), ``qsize()/empty()/full()/maxsize`` and the private
attributes (``_queue`` type and contents, the waiting futures in ``_getters``
and ``_putters``, ``_unfinished_tasks``, ``_finished``, ``_maxsize``,
``_is_shutdown``) after every step. The expectations are the running
interpreter's stdlib: nothing here is hard-coded per version.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import gc
import heapq
import importlib.util
import inspect
import itertools
import pathlib
import pickle
import subprocess
import sys
import typing
import weakref
from functools import partial
from unittest import mock

import asynclocks
import pytest
from paritylib import (
    HAS_SHUTDOWN,
    STDLIB,
    attempt,
    events_of,
    exc_id,
    look,
    new_loop,
    norm,
    parity,
    steps,
    value_id,
)

HERE = pathlib.Path(__file__).resolve().parent
ITEMS = [5, 1, 4, 2, 3, 0, 7, 6, 9, 8]
needs_shutdown = pytest.mark.skipif(not HAS_SHUTDOWN, reason="Queue.shutdown() is 3.13+")


def make(ns, kind, *args, **kwargs):
    return getattr(ns, kind)(*args, **kwargs)


def qparity(scenario, ns, flavour="asyncio"):
    """parity() of ``scenario``, whose tasks still waiting at its end are then
    cancelled in the order they were started (the trace stays deterministic)."""

    async def wrapped(ns, rec):
        try:
            await scenario(ns, rec)
        finally:
            for name, task in rec.tasks.items():
                if not task.done():
                    rec("left-waiting", name)
                    task.cancel()
                    await steps()

    return parity(wrapped, ns, flavour)


def snap(rec, label, *queues):
    rec(label, *[look(q) for q in queues])


async def _getter(rec, q, name):
    v = await q.get()
    rec(name, "got", value_id(v))
    return v


async def _putter(rec, q, name, item):
    await q.put(item)
    rec(name, "put", value_id(item))
    return item


# --------------------------------------------------------------------------
# the classes themselves


def test_namespace_gives_the_queues(impl, kind):
    """The fixture's asynclocks side is asynclocks' own class (or absent), never asyncio's."""
    cls = getattr(impl, kind)
    if impl is STDLIB:
        assert cls.__module__ == "asyncio.queues"
    elif cls is None:
        pytest.skip("asynclocks has no queues")
    else:
        assert cls is getattr(asynclocks, kind)
        assert issubclass(cls, getattr(STDLIB, kind))
        # the C class, or asyncio's own in the fallback
        assert (cls is getattr(STDLIB, kind)) == (asynclocks.IMPLEMENTATION == "stdlib")


def test_exceptions_are_asyncios(queue_impl):
    for name in ("QueueEmpty", "QueueFull") + (("QueueShutDown",) if HAS_SHUTDOWN else ()):
        exported = getattr(asynclocks, name, None)
        if exported is not None:
            assert exported is getattr(STDLIB, name), name


async def classes(ns, rec, kind):
    cls = getattr(ns, kind)
    rec("name", cls.__name__, cls.__qualname__)
    kinds = ("Queue", "LifoQueue", "PriorityQueue")
    rec("subclass", [issubclass(cls, getattr(ns, k)) for k in kinds])
    q = cls()
    rec("isinstance", [isinstance(q, getattr(ns, k)) for k in kinds])
    rec("std-isinstance", isinstance(q, getattr(STDLIB, kind)), isinstance(q, STDLIB.Queue))
    alias = cls[int]
    rec("alias", typing.get_origin(alias) is cls, typing.get_args(alias), type(alias).__name__)
    rec("alias-instance", type(alias()) is cls)
    rec.call("alias-two", lambda: typing.get_args(cls[int, str]))
    rec("hashable", hash(q) == hash(q), q == q, q != cls())
    rec("weakref", weakref.ref(q)() is q)
    # The instance dict's public names (asynclocks keeps the private state in
    # the object itself: vars(q) lacks the _-names, a documented difference).
    q.custom = 1
    rec("dict", sorted(k for k in vars(q) if not k.startswith("_")))


def test_classes(queue_impl, kind):
    ev = qparity(partial(classes, kind=kind), queue_impl)
    assert ev[0][1] == kind
    assert ("alias-instance", True) in ev


async def constructor(ns, rec, kind):
    cls = getattr(ns, kind)
    for label, args, kwargs in [
        ("none", (), {}),
        ("pos", (3,), {}),
        ("kw", (), {"maxsize": 3}),
        ("two", (1, 2), {}),
        ("bad-kw", (), {"size": 1}),
        ("loop", (), {"loop": None}),
        ("maxsize-and-loop", (1,), {"loop": None}),
    ]:
        q = rec.call(f"new-{label}", cls, *args, **kwargs)
        if q is not None:
            snap(rec, f"look-{label}", q)
    q = cls(2)
    rec.call("reinit", q.__init__, 5)
    snap(rec, "after-reinit", q)


def test_constructor(queue_impl, kind):
    qparity(partial(constructor, kind=kind), queue_impl)


# --------------------------------------------------------------------------
# non-blocking operations, maxsize, qsize/empty/full, repr


async def nowait_fill(ns, rec, kind, maxsize):
    q = rec.call("new", make, ns, kind, maxsize)
    if q is None:
        return
    snap(rec, "new", q)
    for i in range(5):
        rec.call(f"put{i}", q.put_nowait, ITEMS[i])
        snap(rec, f"after-put{i}", q)
    for i in range(6):
        rec.call(f"get{i}", q.get_nowait)
        snap(rec, f"after-get{i}", q)
    for i in range(6):
        rec.call(f"task_done{i}", q.task_done)
        snap(rec, f"after-task_done{i}", q)
    await rec.acall("join", q.join())
    if not q.full():  # (or raises: a maxsize that does not compare)
        await rec.acall("put", q.put(ITEMS[0]))
    if not q.empty():
        await rec.acall("get", q.get())
    snap(rec, "end", q)


MAXSIZES = [0, -1, 1, 3, 5, 2.5, True, None, "3", 2**64, -(2**70)]


@pytest.mark.parametrize("maxsize", MAXSIZES, ids=repr)
def test_nowait_fill(queue_impl, kind, maxsize):
    ev = qparity(partial(nowait_fill, kind=kind, maxsize=maxsize), queue_impl)
    if maxsize == 3:
        assert ("put3", "raise", "asyncio.queues.QueueFull", "") in ev


async def maxsize_attribute(ns, rec, kind):
    q = make(ns, kind, 2)
    rec.call("set", setattr, q, "maxsize", 5)
    rec.call("del", delattr, q, "maxsize")
    rec("maxsize", q.maxsize)
    q._maxsize = 1
    rec("after-_maxsize", q.maxsize, q.full())
    q.put_nowait(1)
    rec("full", q.full())
    rec.call("put", q.put_nowait, 2)
    q._maxsize = 0
    rec.call("put-unbounded", q.put_nowait, 3)
    snap(rec, "end", q)
    rec("class-attr", type(type(q).maxsize).__name__)
    rec.call("class-get", lambda: type(q).maxsize.__get__(q))


def test_maxsize_read_only(queue_impl, kind):
    ev = qparity(partial(maxsize_attribute, kind=kind), queue_impl)
    assert ev[0][1] == "raise" and ev[0][2] == "builtins.AttributeError"


async def orders(ns, rec, kind):
    q = make(ns, kind)
    for v in ITEMS:
        q.put_nowait(v)
    rec("order", [q.get_nowait() for _ in ITEMS])
    if kind == "PriorityQueue":
        for v in [(2, "b"), (1, "z"), (2, "a"), (0, "q")]:
            q.put_nowait(v)
        rec("tuples", [q.get_nowait() for _ in range(4)])


def test_retrieval_order(queue_impl, kind):
    ev = qparity(partial(orders, kind=kind), queue_impl)
    expected = {
        "Queue": ITEMS,
        "LifoQueue": ITEMS[::-1],
        "PriorityQueue": sorted(ITEMS),
    }[kind]
    assert ev[0] == ("order", expected)


async def lazy(ns, rec, kind):
    import asyncio

    q = make(ns, kind, 1)
    coro = q.put(1)
    # (type(coro) is not types.CoroutineType for asynclocks: documented)
    rec("iscoroutine", asyncio.iscoroutine(coro), inspect.isawaitable(coro))
    snap(rec, "after-call", q)
    coro.close()
    snap(rec, "after-close", q)
    coro = q.get()
    q.put_nowait(7)
    rec("late-await", await coro)
    snap(rec, "end", q)


def test_methods_are_lazy(queue_impl, kind, any_flavour):
    qparity(partial(lazy, kind=kind), queue_impl, any_flavour)


# --------------------------------------------------------------------------
# waiting getters and putters


async def getters_order(ns, rec, kind, batch):
    q = make(ns, kind)
    for i in range(4):
        rec.spawn(f"g{i}", _getter(rec, q, f"g{i}"))
    await steps()
    snap(rec, "waiting", q)
    for v in ITEMS[:4]:
        q.put_nowait(v)
        snap(rec, f"put{v}", q)
        if not batch:
            await steps()
            snap(rec, f"stepped{v}", q)
    await steps(2)
    snap(rec, "end", q)


@pytest.mark.parametrize("batch", [False, True])
def test_getters_woken_in_order(queue_impl, kind, any_flavour, batch):
    ev = qparity(partial(getters_order, kind=kind, batch=batch), queue_impl, any_flavour)
    assert events_of(ev, "g0")[0][0] == "got"


async def putters_order(ns, rec, kind, batch):
    q = make(ns, kind, 1)
    q.put_nowait(ITEMS[0])
    for i in range(4):
        rec.spawn(f"p{i}", _putter(rec, q, f"p{i}", ITEMS[i + 1]))
    await steps()
    snap(rec, "waiting", q)
    for i in range(5):
        rec.call(f"get{i}", q.get_nowait)
        snap(rec, f"got{i}", q)
        if not batch:
            await steps()
            snap(rec, f"stepped{i}", q)
    await steps(2)
    snap(rec, "end", q)


@pytest.mark.parametrize("batch", [False, True])
def test_putters_woken_in_order(queue_impl, kind, any_flavour, batch):
    qparity(partial(putters_order, kind=kind, batch=batch), queue_impl, any_flavour)


async def item_taken(ns, rec, kind):
    """A woken getter finds the item gone: it waits again, behind later getters."""
    q = make(ns, kind)
    for i in range(3):
        rec.spawn(f"g{i}", _getter(rec, q, f"g{i}"))
    await steps()
    q.put_nowait(1)  # wakes g0
    snap(rec, "woken", q)
    rec.call("taken", q.get_nowait)
    snap(rec, "taken", q)
    await steps()
    snap(rec, "g0-waits-again", q)
    for v in (2, 3, 4):
        q.put_nowait(v)
        await steps()
        snap(rec, f"put{v}", q)


def test_woken_getter_finds_item_taken(queue_impl, kind, any_flavour):
    ev = qparity(partial(item_taken, kind=kind), queue_impl, any_flavour)
    got = [(e[0], e[1:]) for e in ev if e[0] in ("g0", "g1", "g2") and e[1] == "got"]
    assert [g[0] for g in got] == ["g1", "g2", "g0"]


async def slot_taken(ns, rec, kind):
    """A woken putter finds the slot refilled: it waits again, behind later putters."""
    q = make(ns, kind, 1)
    q.put_nowait(0)
    for i in range(3):
        rec.spawn(f"p{i}", _putter(rec, q, f"p{i}", 10 + i))
    await steps()
    rec.call("get", q.get_nowait)  # wakes p0
    snap(rec, "woken", q)
    rec.call("refill", q.put_nowait, 99)
    snap(rec, "refilled", q)
    await steps()
    snap(rec, "p0-waits-again", q)
    for i in range(4):
        rec.call(f"get{i}", q.get_nowait)
        await steps()
        snap(rec, f"got{i}", q)


def test_woken_putter_finds_slot_taken(queue_impl, kind, any_flavour):
    ev = qparity(partial(slot_taken, kind=kind), queue_impl, any_flavour)
    assert [e[0] for e in ev if e[0] in ("p0", "p1", "p2") and e[1] == "put"] == ["p1", "p2", "p0"]


async def producer_consumer(ns, rec, kind, maxsize):
    q = make(ns, kind, maxsize)

    async def producer(n):
        for i in range(6):
            await q.put((i, n))
            rec("produced", n, i)
        return n

    async def consumer(n):
        got = []
        for _ in range(4):
            got.append(await q.get())
            q.task_done()
            await steps(n)
        return got

    for n in range(2):
        rec.spawn(f"prod{n}", producer(n))
    for n in range(3):
        rec.spawn(f"cons{n}", consumer(n))
    rec.spawn("join", q.join())
    for i in range(40):
        await steps()
        snap(rec, f"step{i}", q)


@pytest.mark.parametrize("maxsize", [0, 1, 2])
def test_producers_consumers(queue_impl, kind, any_flavour, maxsize):
    ev = qparity(partial(producer_consumer, kind=kind, maxsize=maxsize), queue_impl, any_flavour)
    assert ("join", "return", None) in ev


# --------------------------------------------------------------------------
# cancellation


GET_POINTS = ["before-start", "waiting", "after-wake", "after-wake-two-items", "after-wake-taken"]


async def cancel_getter(ns, rec, kind, point, msg):
    q = make(ns, kind)
    tasks = [rec.spawn(f"g{i}", _getter(rec, q, f"g{i}")) for i in range(3)]

    def cancel():
        rec("cancel", tasks[0].cancel() if msg is None else tasks[0].cancel(msg))

    if point == "before-start":
        cancel()
    await steps()
    snap(rec, "waiting", q)
    if point == "waiting":
        cancel()
        snap(rec, "cancelled", q)
    elif point == "after-wake":
        q.put_nowait(1)
        cancel()
        snap(rec, "cancelled", q)
    elif point == "after-wake-two-items":
        q.put_nowait(1)
        q.put_nowait(2)
        cancel()
        snap(rec, "cancelled", q)
    elif point == "after-wake-taken":
        q.put_nowait(1)
        cancel()
        rec.call("taken", q.get_nowait)
        snap(rec, "cancelled", q)
    await steps()
    snap(rec, "stepped", q)
    for v in (7, 8, 9):
        q.put_nowait(v)
        await steps()
        snap(rec, f"put{v}", q)
    rec("states", [(t.done(), t.cancelled()) for t in tasks])


@pytest.mark.parametrize("msg", [None, "bye"])
@pytest.mark.parametrize("point", GET_POINTS)
def test_cancel_getter(queue_impl, kind, any_flavour, point, msg):
    ev = qparity(partial(cancel_getter, kind=kind, point=point, msg=msg), queue_impl, any_flavour)
    if point != "before-start":  # (else the task never ran: nothing recorded)
        assert events_of(ev, "g0")[0][0] == "raise"


PUT_POINTS = ["before-start", "waiting", "after-wake", "after-wake-two-slots", "after-wake-taken"]


async def cancel_putter(ns, rec, kind, point, msg):
    q = make(ns, kind, 2)
    q.put_nowait(0)
    q.put_nowait(1)
    tasks = [rec.spawn(f"p{i}", _putter(rec, q, f"p{i}", 10 + i)) for i in range(3)]

    def cancel():
        rec("cancel", tasks[0].cancel() if msg is None else tasks[0].cancel(msg))

    if point == "before-start":
        cancel()
    await steps()
    snap(rec, "waiting", q)
    if point == "waiting":
        cancel()
    elif point == "after-wake":
        rec.call("get", q.get_nowait)
        cancel()
    elif point == "after-wake-two-slots":
        rec.call("get", q.get_nowait)
        rec.call("get", q.get_nowait)
        cancel()
    elif point == "after-wake-taken":
        rec.call("get", q.get_nowait)
        cancel()
        rec.call("refill", q.put_nowait, 99)
    snap(rec, "cancelled", q)
    await steps()
    snap(rec, "stepped", q)
    for i in range(5):
        rec.call(f"get{i}", q.get_nowait)
        await steps()
        snap(rec, f"got{i}", q)
    rec("states", [(t.done(), t.cancelled()) for t in tasks])


@pytest.mark.parametrize("msg", [None, "bye"])
@pytest.mark.parametrize("point", PUT_POINTS)
def test_cancel_putter(queue_impl, kind, any_flavour, point, msg):
    ev = qparity(partial(cancel_putter, kind=kind, point=point, msg=msg), queue_impl, any_flavour)
    if point != "before-start":
        assert events_of(ev, "p0")[0][0] == "raise"


async def cancel_join(ns, rec, kind):
    q = make(ns, kind)
    q.put_nowait(1)
    joins = [rec.spawn(f"j{i}", q.join()) for i in range(3)]
    await steps()
    rec("cancel", joins[1].cancel())
    await steps()
    snap(rec, "cancelled", q)
    q.get_nowait()
    q.task_done()
    snap(rec, "done", q)
    joins[2].cancel()  # woken, then cancelled before it runs
    await steps(2)
    rec("states", [(t.done(), t.cancelled()) for t in joins])


def test_cancel_join(queue_impl, kind, any_flavour):
    qparity(partial(cancel_join, kind=kind), queue_impl, any_flavour)


async def timeouts(ns, rec, kind):
    q = make(ns, kind, 1)
    import asyncio

    await rec.acall("get-wait_for", asyncio.wait_for(q.get(), 0.001), message=False)
    snap(rec, "after-get", q)
    q.put_nowait(1)
    await rec.acall("put-wait_for", asyncio.wait_for(q.put(2), 0.001), message=False)
    snap(rec, "after-put", q)
    await rec.acall("join-wait_for", asyncio.wait_for(q.join(), 0.001), message=False)
    rec("get-in-time", await asyncio.wait_for(q.get(), 10))
    snap(rec, "end", q)
    if sys.version_info >= (3, 11):
        # asyncio.timeout(): the cancellation is turned into TimeoutError and
        # the waiter leaves the queue; a getter behind it still gets the item
        behind = rec.spawn("behind", _getter(rec, q, "behind"))
        for delay in (0, -1, 0.001):

            async def timed(delay=delay):
                async with asyncio.timeout(delay):
                    return await q.get()

            await rec.acall(f"timeout{delay}", timed(), message=False)
            snap(rec, f"timeout{delay}", q)
        q.put_nowait(3)
        await steps(2)
        rec("behind", behind.done())


def test_timeouts(queue_impl, kind):
    qparity(partial(timeouts, kind=kind), queue_impl)


# --------------------------------------------------------------------------
# task_done() / join()


async def join_scenario(ns, rec, kind):
    q = make(ns, kind)
    await rec.acall("join-empty", q.join())
    rec.call("task_done-empty", q.task_done)
    for v in ITEMS[:3]:
        q.put_nowait(v)
    joins = [rec.spawn(f"j{i}", q.join()) for i in range(2)]
    await steps()
    snap(rec, "joining", q)
    for i in range(3):
        rec.call(f"get{i}", q.get_nowait)
        await steps()
        snap(rec, f"got{i}", q)
    for i in range(4):
        rec.call(f"task_done{i}", q.task_done)
        snap(rec, f"task_done{i}", q)
        await steps()
        rec("joins", [t.done() for t in joins])
    q.put_nowait(1)
    rec.spawn("j-late", q.join())
    await steps()
    snap(rec, "late", q)
    q.task_done()  # the item is still in the queue: join returns anyway
    await steps()
    snap(rec, "end", q)


def test_task_done_and_join(queue_impl, kind, any_flavour):
    ev = qparity(partial(join_scenario, kind=kind), queue_impl, any_flavour)
    assert events_of(ev, "task_done-empty")[0][:2] == ("raise", "builtins.ValueError")


# --------------------------------------------------------------------------
# shutdown (3.13+)


async def shutdown_scenario(ns, rec, kind, immediate, items):
    full = make(ns, kind, 2)
    empty = make(ns, kind)
    for v in ITEMS[:items]:
        full.put_nowait(v)
    putters = [rec.spawn(f"p{i}", _putter(rec, full, f"p{i}", 10 + i)) for i in range(2)]
    getters = [rec.spawn(f"g{i}", _getter(rec, empty, f"g{i}")) for i in range(2)]
    joins = [rec.spawn(f"j{i}", q.join()) for i, q in enumerate((full, full))]
    await steps()
    snap(rec, "before", full, empty)
    rec.call("shutdown-full", full.shutdown, immediate)
    rec.call("shutdown-empty", empty.shutdown, immediate)
    snap(rec, "shut", full, empty)
    await steps()
    snap(rec, "stepped", full, empty)
    rec.call("shutdown-again", full.shutdown, not immediate)
    for label, q in (("full", full), ("empty", empty)):
        rec.call(f"{label}-put_nowait", q.put_nowait, 1)
        await rec.acall(f"{label}-put", q.put(1))
        for i in range(3):
            rec.call(f"{label}-get_nowait{i}", q.get_nowait)
        await rec.acall(f"{label}-get", q.get())
        for i in range(4):
            rec.call(f"{label}-task_done{i}", q.task_done)
            snap(rec, f"{label}-task_done{i}", q)
        await rec.acall(f"{label}-join", q.join())
    await steps()
    rec("states", [(t.done(), t.cancelled()) for t in putters + getters + joins])


@needs_shutdown
@pytest.mark.parametrize("items", [0, 1, 2])
@pytest.mark.parametrize("immediate", [False, True])
def test_shutdown(queue_impl, kind, any_flavour, immediate, items):
    ev = parity(
        partial(shutdown_scenario, kind=kind, immediate=immediate, items=items),
        queue_impl,
        any_flavour,
    )
    assert events_of(ev, "g0")[0][:2] == ("raise", "asyncio.queues.QueueShutDown")


async def shutdown_while_woken(ns, rec, kind, immediate):
    q = make(ns, kind)
    getters = [rec.spawn(f"g{i}", _getter(rec, q, f"g{i}")) for i in range(3)]
    await steps()
    q.put_nowait(1)  # g0 woken, has not run yet
    q.shutdown(immediate)
    snap(rec, "shut", q)
    getters[1].cancel()
    await steps(2)
    snap(rec, "end", q)
    p = make(ns, kind, 1)
    p.put_nowait(0)
    putters = [rec.spawn(f"p{i}", _putter(rec, p, f"p{i}", i)) for i in range(2)]
    await steps()
    p.get_nowait()  # p0 woken
    p.shutdown(immediate)
    putters[1].cancel()
    await steps(2)
    snap(rec, "p-end", p)
    rec("states", [(t.done(), t.cancelled()) for t in getters + putters])


@needs_shutdown
@pytest.mark.parametrize("immediate", [False, True])
def test_shutdown_with_woken_waiters(queue_impl, kind, any_flavour, immediate):
    qparity(partial(shutdown_while_woken, kind=kind, immediate=immediate), queue_impl, any_flavour)


@needs_shutdown
def test_shutdown_arguments(queue_impl, kind):
    async def scen(ns, rec):
        q = make(ns, kind)
        q.put_nowait(1)
        rec.call("kw", q.shutdown, immediate=0)
        snap(rec, "kw", q)
        rec.call("two", q.shutdown, True, True)
        rec.call("bad-kw", q.shutdown, now=True)
        q2 = make(ns, kind)
        q2.put_nowait(1)
        rec.call("truthy", q2.shutdown, [1])
        snap(rec, "truthy", q2)

    qparity(scen, queue_impl)


# --------------------------------------------------------------------------
# loops


def _two_loops(ns, kind, op):
    """Wait on the queue in one loop, then use it in another: the trace."""
    import asyncio

    trace = []
    q = make(ns, kind, 1)
    q.put_nowait(0)  # full, and one unfinished task: put() and join() wait
    ops = {
        "get": lambda: q.get(),
        "put": lambda: q.put(1),
        "join": lambda: q.join(),
    }

    async def first():
        if op == "get":
            q.get_nowait()
        task = asyncio.ensure_future(ops[op]())
        await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            trace.append("cancelled")

    async def second():
        order = [op] + [o for o in ("get", "put", "join") if o != op]
        for label in order:
            try:
                trace.append((label, "ok", value_id(await asyncio.wait_for(ops[label](), 0.01))))
            except BaseException as exc:  # noqa: BLE001
                timeout = isinstance(exc, asyncio.TimeoutError)
                trace.append((label, "raise", *exc_id(exc, message=not timeout)))
            if label == "get" and op != "get":
                q.put_nowait(0)
        trace.append(("nowait", attempt(q.get_nowait), attempt(lambda: q.put_nowait(3))))
        trace.append(look(q))

    for coro in (first, second):
        loop = new_loop("asyncio")
        try:
            loop.run_until_complete(coro())
        finally:
            loop.close()
    return trace


@pytest.mark.parametrize("op", ["get", "put", "join"])
def test_queue_used_from_two_loops(queue_impl, kind, op):
    expected = _two_loops(STDLIB, kind, op)
    assert _two_loops(queue_impl, kind, op) == expected
    assert expected[1][:3] == (op, "raise", "builtins.RuntimeError"), expected


# --------------------------------------------------------------------------
# PriorityQueue with items that do not compare


async def not_comparable(ns, rec):
    q = ns.PriorityQueue()
    q.put_nowait(1)
    rec.call("put-str", q.put_nowait, "a")
    snap(rec, "after-str", q)
    rec.call("put-int", q.put_nowait, 0)
    snap(rec, "after-int", q)
    for i in range(4):
        rec.call(f"get{i}", q.get_nowait)
        snap(rec, f"get{i}", q)
    # a waiting getter and a put that raises
    t = rec.spawn("g", _getter(rec, q, "g"))
    await steps()
    q._queue.append(3)
    rec.call("put-bad", q.put_nowait, object())
    snap(rec, "put-bad", q)
    await steps()
    snap(rec, "stepped", q)
    t.cancel()
    # bounded: await put() raising
    b = ns.PriorityQueue(2)
    b.put_nowait((1, "x"))
    await rec.acall("put-await", b.put((1, object())))
    snap(rec, "bounded", b)
    await rec.acall("get-await", b.get())
    await rec.acall("get-await2", b.get())
    snap(rec, "end", b)
    # heappop that compares and raises
    h = ns.PriorityQueue()
    for v in (1, 2, 3):
        h.put_nowait(v)
    h._queue.append("x")
    rec.call("pop-bad", h.get_nowait)
    snap(rec, "pop-bad", h)
    rec.call("pop-bad2", h.get_nowait)
    snap(rec, "pop-bad2", h)


def test_priority_queue_non_comparable_items(queue_impl, any_flavour):
    ev = qparity(not_comparable, queue_impl, any_flavour)
    assert events_of(ev, "put-str")[0][:2] == ("raise", "builtins.TypeError")


# --------------------------------------------------------------------------
# private attributes


async def private_reads(ns, rec, kind):
    q = make(ns, kind, 3)
    first = q._queue
    rec("types", type(q._queue).__name__, type(q._getters).__name__, type(q._putters).__name__)
    rec("finished", type(q._finished) is ns.Event, isinstance(q._finished, STDLIB.Event))
    rec("finished-set", q._finished.is_set())
    getters = q._getters
    for v in ITEMS[:3]:
        q.put_nowait(v)
        rec("same", q._queue is first, q._getters is getters, list(q._queue))
    rec.spawn("p", _putter(rec, q, "p", 42))
    await steps()
    rec("putters", len(q._putters), [type(f).__name__ for f in q._putters])
    rec("putter-loop", q._putters[0].get_loop() is __import__("asyncio").get_running_loop())
    q.get_nowait()
    await steps()
    rec("same-after-wait", q._queue is first, list(first))
    while not q.empty():
        q.get_nowait()
    rec.spawn("g", _getter(rec, q, "g"))
    await steps()
    rec("getters", len(q._getters), q._getters is getters)
    q.put_nowait(1)
    await steps()
    rec("loop", getattr(q, "_loop", "absent") is __import__("asyncio").get_running_loop())
    snap(rec, "end", q)


def test_private_attributes_read(queue_impl, kind, any_flavour):
    ev = qparity(partial(private_reads, kind=kind), queue_impl, any_flavour)
    assert ("finished", True, True) in ev


async def private_writes(ns, rec, kind):
    import asyncio

    q = make(ns, kind, 3)
    for v in ITEMS[:3]:
        q.put_nowait(v)
    rec.spawn("p", _putter(rec, q, "p", 42))
    await steps()
    q._queue.clear()  # no putter is woken by that
    snap(rec, "cleared", q)
    await steps()
    snap(rec, "cleared-stepped", q)
    rec.call("get-after-clear", q.get_nowait)
    await steps()
    snap(rec, "putter-woken", q)
    # items added behind the queue's back
    if isinstance(q._queue, list):
        q._queue.append(77)
    else:
        q._queue.appendleft(77)
    snap(rec, "appended", q)
    rec.call("get-appended", q.get_nowait)
    # a new container
    q._queue = collections.deque([9, 8]) if kind == "Queue" else [8, 9]
    snap(rec, "replaced", q)
    rec.call("put-replaced", q.put_nowait, 3)
    rec.call("get-replaced", q.get_nowait)
    snap(rec, "replaced-used", q)
    # the unfinished count
    q._unfinished_tasks = 0
    rec.call("task_done-zero", q.task_done)
    await rec.acall("join-zero", q.join())
    q._unfinished_tasks = 2
    snap(rec, "tasks2", q)
    await rec.acall("join-finished-set", asyncio.wait_for(q.join(), 0.001), message=False)
    q._finished.clear()
    j = rec.spawn("j", q.join())
    await steps()
    q.task_done()
    q.task_done()
    await steps()
    rec("join-done", j.done())
    # maxsize
    q._maxsize = 1
    snap(rec, "maxsize1", q)
    rec.call("put-maxsize1", q.put_nowait, 1)
    q._maxsize = 0
    rec.call("put-maxsize0", q.put_nowait, 1)
    # waiting getters taken out of _getters: put_nowait does not wake them
    while not q.empty():
        q.get_nowait()
    g = rec.spawn("g", _getter(rec, q, "g"))
    await steps()
    removed = list(q._getters)
    q._getters.clear()
    q.put_nowait(5)
    await steps()
    rec("g-done", g.done())
    removed[0].set_result(None)
    await steps()
    rec("g-done-after", g.done())
    snap(rec, "end", q)
    if HAS_SHUTDOWN:
        q._is_shutdown = True
        rec.call("put-shut", q.put_nowait, 1)
        snap(rec, "shut", q)
        q._is_shutdown = False
        rec.call("put-unshut", q.put_nowait, 1)
        snap(rec, "unshut", q)
    q.custom = "x"
    rec("custom", q.custom, "custom" in vars(q))


def test_private_attributes_written(queue_impl, kind, any_flavour):
    qparity(partial(private_writes, kind=kind), queue_impl, any_flavour)


async def private_deleted(ns, rec, kind):
    for name in ("_queue", "_getters", "_putters", "_unfinished_tasks", "_finished", "_maxsize"):
        q = make(ns, kind, 1)
        rec.call(f"del-{name}", delattr, q, name)
        for op, fn in [
            ("str", lambda q=q: str(q)),
            ("qsize", q.qsize),
            ("empty", q.empty),
            ("full", q.full),
            ("maxsize", lambda q=q: q.maxsize),
            ("put_nowait", lambda q=q: q.put_nowait(1)),
            ("get_nowait", q.get_nowait),
            ("task_done", q.task_done),
        ]:
            rec(name, op, attempt(fn))
        await rec.acall(f"{name}-join", q.join())
        q = make(ns, kind, 1)
        setattr(q, name, None)
        rec(
            name,
            "None",
            attempt(lambda q=q: norm(repr(q))),
            attempt(lambda q=q: q.put_nowait(1)),
        )


def test_private_attributes_deleted(queue_impl, kind):
    qparity(partial(private_deleted, kind=kind), queue_impl)


# --------------------------------------------------------------------------
# subclasses


def _subclasses(ns, rec):
    class Dedup(ns.Queue):
        """Each item once while it is queued."""

        def _init(self, maxsize):
            self._queue = {}

        def _put(self, item):
            self._queue[item] = None

        def _get(self):
            item = next(iter(self._queue))
            del self._queue[item]
            return item

    class Sized(ns.Queue):
        """Bounded by the total length of the queued strings."""

        def _init(self, maxsize):
            super()._init(maxsize)
            self.nbytes = 0

        def _put(self, item):
            super()._put(item)
            self.nbytes += len(item)

        def _get(self):
            item = super()._get()
            self.nbytes -= len(item)
            return item

        def qsize(self):
            return self.nbytes

    class Longest(ns.PriorityQueue):
        """Longest item first, ties in arrival order."""

        def _init(self, maxsize):
            super()._init(maxsize)
            self.counter = itertools.count()

        def _put(self, item):
            heapq.heappush(self._queue, (-len(item), next(self.counter), item))

        def _get(self):
            return heapq.heappop(self._queue)[2]

    class FullAtTwo(ns.LifoQueue):
        def full(self):
            return len(self._queue) >= 2

    class NeverEmpty(ns.Queue):
        def empty(self):
            return False

    class Logged(ns.Queue):
        def put_nowait(self, item):
            rec("log-put_nowait", item)
            return super().put_nowait(item)

        def get_nowait(self):
            item = super().get_nowait()
            rec("log-get_nowait", item)
            return item

    class Formatted(ns.LifoQueue):
        def _format(self):
            return super()._format() + " formatted"

    class Named(ns.PriorityQueue):
        def __init__(self, name, maxsize=0):
            super().__init__(maxsize)
            self.name = name

    class Plain(ns.Queue):
        pass

    class PlainLifo(ns.LifoQueue):
        pass

    class WakeLogged(ns.Queue):
        def _wakeup_next(self, waiters):
            rec("log-wakeup", len(waiters))
            return super()._wakeup_next(waiters)

    return {
        "Dedup": (Dedup, (0,)),
        "Dedup2": (Dedup, (2,)),
        "Sized": (Sized, (6,)),
        "Longest": (Longest, (3,)),
        "FullAtTwo": (FullAtTwo, (0,)),
        "NeverEmpty": (NeverEmpty, (0,)),
        "Logged": (Logged, (2,)),
        "Formatted": (Formatted, (2,)),
        "Named": (Named, ("n", 2)),
        "Plain": (Plain, (2,)),
        "PlainLifo": (PlainLifo, (2,)),
        "WakeLogged": (WakeLogged, (2,)),
    }


SUBCLASSES = [
    "Dedup",
    "Dedup2",
    "Sized",
    "Longest",
    "FullAtTwo",
    "NeverEmpty",
    "Logged",
    "Formatted",
    "Named",
    "Plain",
    "PlainLifo",
    "WakeLogged",
]


async def subclass_scenario(ns, rec, name):
    cls, args = _subclasses(ns, rec)[name]
    q = cls(*args)
    snap(rec, "new", q)
    items = ["ab", "c", "ab", "defg", "h"]
    for i, v in enumerate(items[:3]):
        rec.call(f"put_nowait{i}", q.put_nowait, v)
        snap(rec, f"put_nowait{i}", q)
    getters = []
    if name != "NeverEmpty":
        while True:
            r = rec.call("drain", q.get_nowait)
            if r is None:
                break
        getters = [rec.spawn(f"g{i}", _getter(rec, q, f"g{i}")) for i in range(2)]
        await steps()
        snap(rec, "getters", q)
    putters = [rec.spawn(f"p{i}", _putter(rec, q, f"p{i}", v)) for i, v in enumerate(items)]
    for i in range(8):
        await steps()
        snap(rec, f"step{i}", q)
        if name != "NeverEmpty":
            rec.call(f"get{i}", q.get_nowait)
    await rec.acall("get", q.get()) if not q.empty() and name != "NeverEmpty" else None
    for t in getters + putters:
        t.cancel()
    await steps()
    rec("states", [(t.done(), t.cancelled()) for t in getters + putters])
    snap(rec, "end", q)


@pytest.mark.parametrize("name", SUBCLASSES)
def test_subclass(queue_impl, name, any_flavour):
    ev = qparity(partial(subclass_scenario, name=name), queue_impl, any_flavour)
    if name == "Logged":
        assert events_of(ev, "log-put_nowait")
    if name == "WakeLogged":
        assert events_of(ev, "log-wakeup")


def test_subclass_without_init(queue_impl, kind):
    async def scen(ns, rec):
        class NoInit(getattr(ns, kind)):
            def __init__(self):
                pass

        q = NoInit()
        for op, fn in [
            ("repr", lambda: norm(repr(q))),
            ("qsize", q.qsize),
            ("maxsize", lambda: q.maxsize),
            ("put_nowait", lambda: q.put_nowait(1)),
            ("get_nowait", q.get_nowait),
            ("task_done", q.task_done),
        ]:
            rec(op, attempt(fn))
        await rec.acall("join", q.join())
        await rec.acall("put", q.put(1))

    qparity(scen, queue_impl)


# --------------------------------------------------------------------------
# instance attributes, mock, introspection


async def patched(ns, rec, kind):
    q = make(ns, kind, 1)

    async def fake_get():
        return "fake"

    q.get = fake_get
    rec("patched-get", await q.get())
    del q.get
    q.put_nowait(1)
    rec("real-get", await q.get())
    with mock.patch.object(q, "get", new=mock.AsyncMock(return_value=42)) as m:
        rec("mock-get", await q.get(), m.await_count)
    await rec.acall("unpatched-put", q.put(3))
    rec("unpatched-get", await q.get())
    with mock.patch.object(q, "put_nowait") as m:
        await rec.acall("put-through-mock", q.put(5))
        rec("put_nowait-mock", m.call_count, [c.args for c in m.call_args_list])
    snap(rec, "after-put-mock", q)
    with mock.patch.object(q, "get_nowait", return_value="mocked") as m:
        q._queue.append(1)
        await rec.acall("get-through-mock", q.get())
        rec("get_nowait-mock", m.call_count)
    snap(rec, "after-get-mock", q)
    with mock.patch.object(q, "full", return_value=False):
        rec.call("put-full-mocked", q.put_nowait, 9)
    snap(rec, "after-full-mock", q)
    auto = mock.create_autospec(getattr(ns, kind), instance=True)
    rec("autospec", inspect.iscoroutinefunction(auto.get), inspect.iscoroutinefunction(auto.put))
    await rec.acall("autospec-get", auto.get())
    rec.call("autospec-put_nowait", auto.put_nowait, 1)
    # (autospec's argument check of the plain methods: stdlib only, a documented
    # difference)


def test_instance_attributes_and_mock(queue_impl, kind):
    qparity(partial(patched, kind=kind), queue_impl)


def _sig(obj):
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError) as exc:
        return ("no signature", type(exc).__name__)


# (not __init__: asynclocks' is (self, /, *args, **kwargs), a documented
# difference; the classes' own signatures are compared)
METHODS = [
    "get",
    "put",
    "join",
    "get_nowait",
    "put_nowait",
    "task_done",
    "qsize",
    "empty",
    "full",
    "_init",
    "_get",
    "_put",
    "_format",
    "_wakeup_next",
    "__repr__",
    "__str__",
] + (["shutdown"] if HAS_SHUTDOWN else [])


async def introspection(ns, rec, kind):
    import asyncio

    cls = getattr(ns, kind)
    q = cls()
    sig = inspect.signature(cls)
    # On 3.10 the stdlib's shows the removed ``loop`` keyword, asynclocks' does
    # not (documented): compare without it.
    sig = sig.replace(parameters=[p for p in sig.parameters.values() if p.name != "loop"])
    rec("class-sig", str(sig))
    for name in METHODS:
        meth = getattr(cls, name)
        bound = getattr(q, name)
        rec(
            name,
            inspect.iscoroutinefunction(meth),
            inspect.iscoroutinefunction(bound),
            norm(str(_sig(meth))),
            norm(str(_sig(bound))),
            getattr(meth, "__name__", None),
            getattr(meth, "__qualname__", "").rsplit(".", 1)[-1],
            bound.__self__ is q,
            callable(meth),
        )
    rec("maxsize-property", isinstance(inspect.getattr_static(cls, "maxsize"), property))
    rec("class-getitem", type(inspect.getattr_static(cls, "__class_getitem__")).__name__)
    coro = q.join()
    rec("join-call", asyncio.iscoroutine(coro), inspect.isawaitable(coro))
    await coro


def test_introspection(queue_impl, kind):
    ev = qparity(partial(introspection, kind=kind), queue_impl)
    assert events_of(ev, "get")[0][:2] == (True, True)


# --------------------------------------------------------------------------
# pickle, copy, weakref, gc


async def pickling(ns, rec, kind):
    q = make(ns, kind, 3)
    q.put_nowait(2)
    q.put_nowait(1)
    for proto in range(pickle.HIGHEST_PROTOCOL + 1):
        data = rec.call(f"dumps{proto}", pickle.dumps, q, proto)
        if data is not None:
            q2 = rec.call(f"loads{proto}", pickle.loads, data)
            if q2 is not None:
                snap(rec, f"loaded{proto}", q2)
                rec(f"type{proto}", type(q2) is type(q), q2._queue is not q._queue)
                rec.call(f"use{proto}", lambda q2=q2: (q2.put_nowait(3), q2.get_nowait()))
    c = rec.call("copy", copy.copy, q)
    if c is not None:
        rec("copy-shares", c._queue is q._queue, c._finished is q._finished)
        snap(rec, "copy", c)
    d = rec.call("deepcopy", copy.deepcopy, q)
    if d is not None:
        rec("deepcopy-shares", d._queue is q._queue)
        snap(rec, "deepcopy", d)
    # bound to the loop and with a waiter: now?
    w = make(ns, kind)
    t = rec.spawn("g", _getter(rec, w, "g"))
    await steps()
    rec.call("dumps-waiting", lambda: type(pickle.dumps(w)).__name__)
    rec.call("copy-waiting", lambda: len(copy.copy(w)._getters))
    rec.call("reduce", lambda: type(q.__reduce_ex__(2)).__name__)
    t.cancel()


def test_pickle_and_copy(queue_impl, kind):
    qparity(partial(pickling, kind=kind), queue_impl)


async def weak_and_gc(ns, rec, kind):
    import asyncio

    q = make(ns, kind, 1)
    r = weakref.ref(q)
    ws = weakref.WeakSet([q])
    rec("alive", r() is q, len(ws))
    del q
    gc.collect()
    rec("dead", r() is None, len(ws))
    # a queue dropped with tasks waiting on it
    loop = asyncio.get_running_loop()
    destroyed = []
    old = loop.get_exception_handler()
    loop.set_exception_handler(lambda lp, ctx: destroyed.append(ctx.get("message", "")[:30]))
    try:
        q = make(ns, kind, 1)
        q.put_nowait(object())
        tasks = [asyncio.ensure_future(q.get()), asyncio.ensure_future(q.put(1))]
        e = make(ns, kind)
        tasks.append(asyncio.ensure_future(e.get()))
        tasks.append(asyncio.ensure_future(q.join()))
        await steps(2)
        refs = [weakref.ref(o) for o in (q, e, *tasks)]
        del q, e, tasks
        for _ in range(3):
            gc.collect()
        await steps()
        rec("dropped", [ref() is None for ref in refs], sorted(set(destroyed)))
    finally:
        loop.set_exception_handler(old)


def test_weakref_and_gc(queue_impl, kind):
    qparity(partial(weak_and_gc, kind=kind), queue_impl)


class _Item:
    """A weakly referenceable, orderable item."""

    def __lt__(self, other):
        return id(self) < id(other)


async def got_items_not_kept(ns, rec, kind):
    """What `await q.get()` returned is the caller's only: dropped, it is
    freed at once (no gc), however the awaitable was driven."""
    q = make(ns, kind)
    # awaited at once, result dropped, or kept then dropped
    for label in ("statement", "kept"):
        item = _Item()
        r = weakref.ref(item)
        q.put_nowait(item)
        del item
        if label == "statement":
            await q.get()
        else:
            got = await q.get()
            rec(label, "same", got is r())
            del got
        rec(label, "freed", r() is None)
    # the awaitable held in a variable while awaited, and after
    item = _Item()
    r = weakref.ref(item)
    q.put_nowait(item)
    del item
    aw = q.get()
    got = await aw
    del got
    rec("held awaitable", "freed", r() is None)
    del aw
    rec("held awaitable", "dropped", r() is None)
    # driven by hand: the StopIteration is the caller's, and keeps its value
    # while other gets return other items
    first, second = _Item(), _Item()
    q.put_nowait(first)
    q.put_nowait(second)
    aw = q.get()
    try:
        aw.send(None)
    except StopIteration as exc:
        stop = exc
    rec("by hand", stop.value is first or stop.value is second, stop.args == (stop.value,))
    value = stop.value
    got = await q.get()
    rec("by hand", "still", stop.value is value, got is not value)
    del aw, stop, value, got
    # in a task: the task's result holds it until the task goes
    item = _Item()
    r = weakref.ref(item)
    q.put_nowait(item)
    del item
    t = asyncio.ensure_future(q.get())
    await steps(2)
    rec("task", "result", t.result() is r())
    del t
    rec("task", "freed", r() is None)


def test_got_items_are_not_kept(queue_impl, kind):
    qparity(partial(got_items_not_kept, kind=kind), queue_impl)


# --------------------------------------------------------------------------
# CPython's own queue tests


@pytest.mark.skipif(asynclocks.IMPLEMENTATION != "c", reason="C extension not active")
def test_cpython_queue_tests():
    """CPython's test_asyncio.test_queues, public and private tests, pass with
    asynclocks' three queues in asyncio's place."""
    if getattr(asynclocks, "Queue", None) is None:
        pytest.skip("asynclocks has no queues")
    if importlib.util.find_spec("test.test_asyncio.test_queues") is None:
        pytest.skip("CPython's test package is not installed")
    r = subprocess.run(
        [sys.executable, str(HERE / "cpython_queues.py"), "--strict"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_cpython_queue_tests_control():
    """The runner itself: the same tests pass on asyncio's classes, and there are some."""
    if importlib.util.find_spec("test.test_asyncio.test_queues") is None:
        pytest.skip("CPython's test package is not installed")
    r = subprocess.run(
        [sys.executable, str(HERE / "cpython_queues.py"), "--stdlib", "--strict", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    import json

    counts = json.loads(r.stdout.strip().splitlines()[-1])
    assert counts["public"]["ok"] > 10 and counts["private"]["total"] > 0, counts


# --------------------------------------------------------------------------
# typed uses


def test_typing_queues_mypy():
    """mypy --strict accepts asynclocks' queues where asyncio's are annotated."""
    if getattr(asynclocks, "Queue", None) is None:
        pytest.skip("asynclocks has no queues")
    api = pytest.importorskip("mypy.api")
    out, err, status = api.run(["--strict", str(HERE / "typing_queues.py")])
    assert status == 0, out + err


def test_typing_queues_pyright():
    if getattr(asynclocks, "Queue", None) is None:
        pytest.skip("asynclocks has no queues")
    exe = pathlib.Path(sys.executable).with_name("pyright")
    if not exe.exists():
        pytest.skip("pyright is not installed")
    r = subprocess.run(
        [str(exe), "--pythonpath", sys.executable, str(HERE / "typing_queues.py")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if r.returncode != 0 and "error" not in r.stdout:
        pytest.skip(f"pyright could not run: {r.stdout[-300:]} {r.stderr[-300:]}")
    assert r.returncode == 0, r.stdout + r.stderr


def test_typing_queues_runs():
    """The typed program also runs."""
    if getattr(asynclocks, "Queue", None) is None:
        pytest.skip("asynclocks has no queues")
    r = subprocess.run(
        [sys.executable, str(HERE / "typing_queues.py")], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.split() == ["ok"], r.stdout


@pytest.mark.skipif(sys.version_info < (3, 12), reason="sys.monitoring is 3.12+")
def test_got_items_survive_a_monitoring_tool_keeping_the_exceptions(queue_impl):
    """A tool that keeps the exceptions raised under sys.monitoring (the
    StopIteration an `await` on a C awaitable may raise among them) sees each
    one keep its value, and the awaits still return their items."""
    mon = sys.monitoring
    tool = mon.PROFILER_ID
    if mon.get_tool(tool) is not None:
        pytest.skip("the profiler tool id is in use")
    kept = []

    async def main():
        q = queue_impl.Queue()
        items = [_Item() for _ in range(3)]
        for item in items:
            q.put_nowait(item)
        got = [await q.get() for _ in range(3)]
        return items, got

    mon.use_tool_id(tool, "asynclocks-test")
    try:
        mon.register_callback(tool, mon.events.RAISE, lambda code, off, exc: kept.append(exc))
        mon.set_events(tool, mon.events.RAISE)
        items, got = asyncio.run(main())
    finally:
        mon.set_events(tool, 0)
        mon.register_callback(tool, mon.events.RAISE, None)
        mon.free_tool_id(tool)
    assert got == items
    values = [e.value for e in kept if isinstance(e, StopIteration) and isinstance(e.value, _Item)]
    # the stdlib's coroutines return without raising; where StopIteration is
    # raised, each kept exception holds the item it carried, in order
    assert values in ([], items), values
