"""Event: both implementations must produce the stdlib trace of each scenario."""

from __future__ import annotations

import asyncio

from paritylib import events_of, parity, steps


async def basic(ns, rec):
    ev = ns.Event()
    rec("is_set", ev.is_set())
    rec.snap("repr", ev)
    rec.call("set", ev.set)
    rec("is_set", ev.is_set())
    rec.snap("repr", ev)
    rec.call("set-again", ev.set)
    await rec.acall("wait-set", ev.wait())
    rec.call("clear", ev.clear)
    rec.call("clear-again", ev.clear)
    rec("is_set", ev.is_set())
    rec.snap("repr", ev)


def test_basic(impl, any_flavour):
    ev = parity(basic, impl, any_flavour)
    assert ev == [
        ("is_set", False),
        ("repr", "unset"),
        ("set", "ok", None),
        ("is_set", True),
        ("repr", "set"),
        ("set-again", "ok", None),
        ("wait-set", "ok", True),
        ("clear", "ok", None),
        ("clear-again", "ok", None),
        ("is_set", False),
        ("repr", "unset"),
    ]


async def wait_on_set_does_not_yield(ns, rec):
    ev = ns.Event()
    ev.set()

    async def other():
        rec("other-ran")

    asyncio.ensure_future(other())
    rec("wait", await ev.wait())
    rec("after-wait")
    await steps()
    rec("after-step")


def test_wait_on_set_event_does_not_suspend(impl, flavour):
    ev = parity(wait_on_set_does_not_yield, impl, flavour)
    assert ev == [("wait", True), ("after-wait",), ("other-ran",), ("after-step",)]


async def lazy_wait(ns, rec):
    ev = ns.Event()
    coro = ev.wait()
    rec("iscoroutine", asyncio.iscoroutine(coro))
    rec.snap("after-call", ev)
    coro.close()
    t = asyncio.ensure_future(ev.wait())
    rec.snap("after-create", ev)
    await steps()
    rec.snap("after-step", ev)
    ev.set()
    rec.snap("after-set", ev)
    await steps()
    rec("result", t.result())
    rec.snap("end", ev)


def test_wait_is_lazy(impl, any_flavour):
    ev = parity(lazy_wait, impl, any_flavour)
    assert ev[0] == ("iscoroutine", True)
    assert ev[1] == ("after-call", "unset")
    assert ("after-step", "unset, waiters:1") in ev
    assert ("result", True) in ev


async def wake_all(ns, rec):
    ev = ns.Event()

    async def waiter(i):
        r = await ev.wait()
        rec("woke", i, r, ev.is_set())
        return r

    for i in range(4):
        rec.spawn(f"w{i}", waiter(i))
    await steps()
    rec.snap("waiting", ev)
    ev.set()
    ev.clear()  # waiters already released must still wake up
    rec.snap("set-cleared", ev)
    await steps()
    rec.snap("after", ev)
    late = rec.spawn("late", ev.wait())
    await steps()
    rec("late-done", late.done())
    ev.set()
    await steps()


def test_set_wakes_all_in_fifo_order(impl, flavour):
    ev = parity(wake_all, impl, flavour)
    assert [e[0] for e in events_of(ev, "woke")] == [0, 1, 2, 3]
    assert ("waiting", "unset, waiters:4") in ev
    assert ("late", "return", True) in ev


async def cancellation(ns, rec):
    ev = ns.Event()
    ts = [rec.spawn(f"w{i}", ev.wait()) for i in range(3)]
    await steps()
    ts[0].cancel()
    rec.snap("cancel-requested", ev)
    await steps()
    rec.snap("cancelled", ev)
    ev.set()
    ts[1].cancel()  # set already resolved it: still cancelled
    await steps()
    rec("states", [(t.cancelled(), t.done()) for t in ts])
    rec.snap("end", ev)


def test_cancellation(impl, flavour):
    ev = parity(cancellation, impl, flavour)
    assert ("w0", "raise", "asyncio.CancelledError", "") in ev
    assert ("w2", "return", True) in ev


async def wait_for_timeout(ns, rec):
    ev = ns.Event()
    await rec.acall("timeout", asyncio.wait_for(ev.wait(), 0.001), message=False)
    rec.snap("after", ev)
    ev.set()
    rec("ok", await asyncio.wait_for(ev.wait(), 1))


def test_wait_for_timeout(impl, flavour):
    ev = parity(wait_for_timeout, impl, flavour)
    assert ev[0][:2] == ("timeout", "raise")
    assert ev[1:] == [("after", "unset"), ("ok", True)]


async def gather_waits(ns, rec):
    ev = ns.Event()
    g = asyncio.gather(ev.wait(), ev.wait(), ev.wait())
    await steps()
    rec.snap("waiting", ev)
    ev.set()
    rec("gather", await g)


def test_gather(impl, any_flavour):
    ev = parity(gather_waits, impl, any_flavour)
    assert ev == [("waiting", "unset, waiters:3"), ("gather", [True, True, True])]


async def shadowed_future_methods(ns, rec):
    """A waiter future whose instance attributes shadow done() and
    set_result(): set() must call those, as `fut.done()` in Python does."""
    ev = ns.Event()
    loop = asyncio.get_running_loop()
    made = []
    real_create = loop.create_future

    def create_future():
        fut = real_create()
        made.append(fut)
        if len(made) == 1:
            fut.done = lambda: rec("shadow-done") or False

            def set_result(value, fut=fut):
                rec("shadow-set_result", value)
                type(fut).set_result(fut, value)

            fut.set_result = set_result
        return fut

    loop.create_future = create_future
    try:
        tasks = [asyncio.ensure_future(ev.wait()) for _ in range(2)]
        await steps()
        rec.call("set", ev.set)
        await steps()
        rec("results", [t.result() for t in tasks])
    finally:
        del loop.create_future


def test_set_calls_shadowed_future_methods(impl):
    ev = parity(shadowed_future_methods, impl, "asyncio")
    assert ev == [
        ("shadow-done",),
        ("shadow-set_result", True),
        ("set", "ok", None),
        ("results", [True, True]),
    ]


async def set_skips_cancelled_waiter(ns, rec):
    """set() right after a waiter's cancellation, before the waiter ran: its
    future is done (cancelled) and still queued; set() skips it."""
    ev = ns.Event()
    ts = [rec.spawn(f"w{i}", ev.wait()) for i in range(3)]
    await steps()
    rec("cancel", ts[1].cancel())
    rec.call("set", ev.set)
    rec.snap("after-set", ev)
    await steps()
    rec("states", [(t.cancelled(), t.done()) for t in ts])
    rec.snap("end", ev)


def test_set_skips_a_cancelled_waiter_still_queued(impl, flavour):
    ev = parity(set_skips_cancelled_waiter, impl, flavour)
    assert ("set", "ok", None) in ev
    assert ("states", [(False, True), (True, True), (False, True)]) in ev
