"""Condition: both implementations must produce the stdlib trace of each scenario."""

from __future__ import annotations

import asyncio

import pytest
from paritylib import ASYNCLOCKS, PY, STDLIB, events_of, exc_id, parity, steps


async def basic(ns, rec):
    cond = ns.Condition()
    rec("locked", cond.locked())
    rec.snap("repr", cond)
    rec.call("notify-unlocked", cond.notify)
    rec.call("notify_all-unlocked", cond.notify_all)
    rec.call("release-unlocked", cond.release)
    coro = cond.wait()  # creating it must not raise
    rec("wait-created", asyncio.iscoroutine(coro))
    await rec.acall("wait-unlocked", coro)
    await rec.acall("wait_for-unlocked", cond.wait_for(lambda: False))
    await rec.acall("acquire", cond.acquire())
    rec("locked", cond.locked())
    rec.snap("repr", cond)
    rec.call("notify", cond.notify)
    rec.call("notify-2", cond.notify, 2)
    rec.call("notify_all", cond.notify_all)
    await rec.acall("wait_for-true", cond.wait_for(lambda: 42))
    rec.call("release", cond.release)
    rec("locked", cond.locked())


def test_basic(impl, any_flavour):
    ev = parity(basic, impl, any_flavour)
    assert ev[2] == (
        "notify-unlocked",
        "raise",
        "builtins.RuntimeError",
        "cannot notify on un-acquired lock",
    )
    assert ev[3] == (
        "notify_all-unlocked",
        "raise",
        "builtins.RuntimeError",
        "cannot notify on un-acquired lock",
    )
    assert ev[4] == ("release-unlocked", "raise", "builtins.RuntimeError", "Lock is not acquired.")
    assert ev[6] == (
        "wait-unlocked",
        "raise",
        "builtins.RuntimeError",
        "cannot wait on un-acquired lock",
    )
    assert ("wait_for-true", "ok", 42) in ev
    assert ev[-1] == ("locked", False)


async def wait_notify(ns, rec):
    cond = ns.Condition()

    async def waiter(i):
        async with cond:
            r = await cond.wait()
            rec("woke", i, r, cond.locked())
        return i

    for i in range(5):
        rec.spawn(f"w{i}", waiter(i))
    await steps()
    rec.snap("waiting", cond)
    async with cond:
        cond.notify()
        rec.snap("notified-1", cond)
    await steps(2)
    async with cond:
        cond.notify(2)
    await steps(3)
    rec.snap("after-2", cond)
    async with cond:
        cond.notify(0)
        cond.notify(-1)
    await steps(2)
    rec.snap("after-0", cond)
    async with cond:
        cond.notify_all()
    for _ in range(6):
        rec.snap("step", cond)
        await steps()


def test_wait_notify_fifo(impl, flavour):
    ev = parity(wait_notify, impl, flavour)
    assert [e[0] for e in events_of(ev, "woke")] == [0, 1, 2, 3, 4]
    assert all(e[1:] == (True, True) for e in events_of(ev, "woke"))
    assert ("waiting", "unlocked, waiters:5") in ev
    assert ("after-0", "unlocked, waiters:2") in ev


async def wait_for(ns, rec):
    cond = ns.Condition()
    box = {"v": 0, "calls": 0}

    def pred():
        box["calls"] += 1
        return box["v"] >= 3 and ["value", box["v"]]

    async def waiter():
        async with cond:
            r = await cond.wait_for(pred)
            rec("got", r, cond.locked(), box["calls"])
            return r

    rec.spawn("w", waiter())
    for _ in range(4):
        await steps()
        async with cond:
            box["v"] += 1
            cond.notify()
        rec("bumped", box["v"], box["calls"])
    await steps(3)


def test_wait_for_returns_predicate_value(impl, flavour):
    ev = parity(wait_for, impl, flavour)
    assert ("w", "return", ["value", 3]) in ev


async def wait_for_predicate_raises(ns, rec):
    cond = ns.Condition()
    calls = []

    def pred():
        calls.append(1)
        if len(calls) == 2:
            raise ZeroDivisionError("pred")
        return False

    async def waiter():
        async with cond:
            try:
                await cond.wait_for(pred)
            finally:
                rec("finally-locked", cond.locked())

    rec.spawn("w", waiter())
    await steps()
    async with cond:
        cond.notify()
    await steps(3)
    rec("locked", cond.locked(), len(calls))


def test_wait_for_predicate_raises(impl, flavour):
    ev = parity(wait_for_predicate_raises, impl, flavour)
    assert ("finally-locked", True) in ev
    assert ("w", "raise", "builtins.ZeroDivisionError", "pred") in ev


async def cancel_reacquires(ns, rec):
    cond = ns.Condition()

    async def waiter(i):
        async with cond:
            try:
                await cond.wait()
                rec("woke", i)
            except asyncio.CancelledError as exc:
                rec("cancelled", i, cond.locked(), str(exc))
                raise

    ts = [rec.spawn(f"w{i}", waiter(i)) for i in range(3)]
    await steps()
    await cond.acquire()
    ts[0].cancel("first")
    await steps(2)
    rec("w0-done-while-lock-held", ts[0].done())
    rec.snap("held", cond)
    cond.release()
    await steps(3)
    rec.snap("after-release", cond)
    async with cond:
        cond.notify_all()
    await steps(6)
    rec.snap("end", cond)


def test_cancel_reacquires_lock(impl, flavour):
    ev = parity(cancel_reacquires, impl, flavour)
    assert ("w0-done-while-lock-held", False) in ev
    assert events_of(ev, "cancelled")[0][:2] == (0, True)
    assert [e[0] for e in events_of(ev, "woke")] == [1, 2]


async def notified_then_cancelled(ns, rec):
    cond = ns.Condition()

    async def waiter(i):
        async with cond:
            try:
                await cond.wait()
                rec("woke", i)
            except asyncio.CancelledError:
                rec("cancelled", i, cond.locked())
                raise

    ts = [rec.spawn(f"w{i}", waiter(i)) for i in range(3)]
    await steps()
    async with cond:
        cond.notify(1)
        ts[0].cancel()  # notified, then cancelled before running
    for _ in range(8):
        rec.snap("step", cond)
        await steps()
    async with cond:
        cond.notify_all()
    await steps(8)


def test_notified_then_cancelled(impl, flavour):
    # 3.13+ passes the notification on; older versions do not: follow the stdlib
    ev = parity(notified_then_cancelled, impl, flavour)
    assert ("w0", "raise", "asyncio.CancelledError", "") in ev


async def cancel_during_reacquire(ns, rec):
    cond = ns.Condition()

    async def waiter():
        async with cond:
            try:
                await cond.wait()
                rec("woke")
            except asyncio.CancelledError as exc:
                rec("cancelled", cond.locked(), str(exc))
                raise

    t = rec.spawn("w", waiter())
    await steps()
    await cond.acquire()
    cond.notify()
    await steps(2)  # waiter now blocks re-acquiring the lock
    t.cancel("one")
    await steps(2)
    t.cancel("two")
    await steps(2)
    rec.snap("held", cond)
    rec("done-while-held", t.done())
    cond.release()
    await steps(4)
    rec.snap("end", cond)


def test_cancel_while_reacquiring(impl, flavour):
    ev = parity(cancel_during_reacquire, impl, flavour)
    assert ("done-while-held", False) in ev
    assert events_of(ev, "cancelled")[0][0] is True


async def wait_for_timeout(ns, rec):
    cond = ns.Condition()
    async with cond:
        await rec.acall("timeout", asyncio.wait_for(cond.wait(), 0.001), message=False)
        rec("locked-after-timeout", cond.locked())
        rec.snap("state", cond)
        await rec.acall(
            "wait_for-timeout",
            asyncio.wait_for(cond.wait_for(lambda: False), 0.001),
            message=False,
        )
        rec("locked-after-timeout", cond.locked())


def test_wait_for_timeout(impl, flavour):
    ev = parity(wait_for_timeout, impl, flavour)
    assert ev[1] == ("locked-after-timeout", True)
    assert ev[-1] == ("locked-after-timeout", True)


async def timeout_cm(ns, rec):
    cond = ns.Condition()
    async with cond:
        try:
            async with asyncio.timeout(0.001):
                await cond.wait()
        except TimeoutError:
            rec("timeout", cond.locked())
        rec.snap("state", cond)


@pytest.mark.skipif(PY < (3, 11), reason="asyncio.timeout is 3.11+")
def test_asyncio_timeout(impl, flavour):
    ev = parity(timeout_cm, impl, flavour)
    assert ev == [("timeout", True), ("state", "locked")]


async def taskgroup(ns, rec):
    cond = ns.Condition()

    async def waiter(i):
        async with cond:
            try:
                await cond.wait()
            except asyncio.CancelledError:
                rec("cancelled", i, cond.locked())
                raise

    async def failer():
        await steps(2)
        raise KeyError("fail")

    try:
        async with asyncio.TaskGroup() as tg:
            # a single waiter: TaskGroup cancels its tasks in set order
            tg.create_task(waiter(0))
            tg.create_task(failer())
    except BaseException as exc:  # noqa: BLE001
        rec("group", type(exc).__name__, [repr(e) for e in exc.exceptions])
    rec.snap("after", cond)


@pytest.mark.skipif(PY < (3, 11), reason="TaskGroup is 3.11+")
def test_taskgroup(impl, any_flavour):
    ev = parity(taskgroup, impl, any_flavour)
    assert ("group", "ExceptionGroup", ["KeyError('fail')"]) in ev
    assert events_of(ev, "cancelled") == [(0, True)]
    assert ev[-1] == ("after", "unlocked")


async def explicit_lock(ns, rec):
    lock = ns.Lock()
    cond = ns.Condition(lock)
    cond2 = ns.Condition(lock=lock)
    await lock.acquire()
    rec("cond-locked", cond.locked(), cond2.locked())
    rec.snap("reprs", cond, cond2, lock)
    lock.release()
    await cond.acquire()
    rec("lock-locked", lock.locked(), cond2.locked())
    cond2.release()
    rec("lock-locked", lock.locked())

    async def waiter():
        async with cond:
            rec("waited", await cond.wait())

    t = rec.spawn("w", waiter())
    await steps()
    async with cond2:
        cond2.notify()  # different condition: nobody is woken
    await steps(2)
    rec("done-after-cond2", t.done())
    async with lock:
        cond.notify()
    await steps(3)


def test_explicit_and_shared_lock(impl, flavour):
    ev = parity(explicit_lock, impl, flavour)
    assert ev[0] == ("cond-locked", True, True)
    assert ("done-after-cond2", False) in ev
    assert ("waited", True) in ev


@pytest.mark.parametrize(
    "cond_ns, lock_ns",
    [(ASYNCLOCKS, STDLIB), (STDLIB, ASYNCLOCKS), (ASYNCLOCKS, ASYNCLOCKS)],
    ids=[
        "asynclocks.Condition(asyncio.Lock())",
        "asyncio.Condition(asynclocks.Lock())",
        "asynclocks.Condition(asynclocks.Lock())",
    ],
)
def test_mixed_condition_and_lock(cond_ns, lock_ns, flavour):
    async def scenario(ns, rec):
        # ``ns`` only selects what the trace is compared against: the stdlib
        # trace uses stdlib classes for both roles
        c_cls = cond_ns.Condition if ns is not STDLIB else STDLIB.Condition
        l_cls = lock_ns.Lock if ns is not STDLIB else STDLIB.Lock
        lock = l_cls()
        cond = c_cls(lock)
        box = []

        async def waiter(i):
            async with cond:
                r = await cond.wait_for(lambda: box)
                rec("woke", i, list(r), lock.locked())

        for i in range(3):
            rec.spawn(f"w{i}", waiter(i))
        await steps()
        rec.snap("waiting", cond, lock)
        async with cond:
            box.append("x")
            cond.notify(2)
            rec.snap("notified", cond, lock)
        await steps(4)
        async with lock:
            cond.notify_all()
        await steps(4)
        rec.snap("end", cond, lock)

    ns = type(ASYNCLOCKS)(**vars(ASYNCLOCKS))
    ns.name = f"{cond_ns.name}.Condition({lock_ns.name}.Lock())"
    ev = parity(scenario, ns, flavour)
    assert [e[0] for e in events_of(ev, "woke")] == [0, 1, 2]
    assert ev[-1] == ("end", "unlocked", "unlocked")


async def repr_states(ns, rec):
    cond = ns.Condition()
    rec.snap("idle", cond)
    ts = [asyncio.ensure_future(_wait(cond)) for _ in range(2)]
    await steps()
    rec.snap("waiting", cond)
    await cond.acquire()
    rec.snap("locked-waiting", cond)
    cond.notify()
    rec.snap("notified", cond)
    cond.release()
    await steps()
    rec.snap("one-left", cond)
    ts[1].cancel()
    await steps(3)
    rec.snap("end", cond)


async def _wait(cond):
    async with cond:
        await cond.wait()


def test_repr(impl, flavour):
    ev = parity(repr_states, impl, flavour)
    assert ev[:3] == [
        ("idle", "unlocked"),
        ("waiting", "unlocked, waiters:2"),
        ("locked-waiting", "locked, waiters:2"),
    ]


async def odd_notify_arguments(ns, rec):
    cond = ns.Condition()
    async with cond:
        rec.call("notify-float-nowaiters", cond.notify, 1.5, message=False)
        rec.call("notify-str-nowaiters", cond.notify, "x", message=False)
        rec.call("notify-kw", cond.notify, n=1, message=False)

    async def waiter(i):
        async with cond:
            await cond.wait()
            rec("woke", i)

    for i in range(3):
        rec.spawn(f"w{i}", waiter(i))
    await steps()
    async with cond:
        rec.call("notify-float", cond.notify, 1.5, message=False)
        rec.call("notify-str", cond.notify, "x", message=False)
        rec.call("notify-true", cond.notify, True, message=False)
    await steps(4)
    async with cond:
        cond.notify_all()
    await steps(4)


def test_notify_argument_types(impl, flavour):
    ev = parity(odd_notify_arguments, impl, flavour)
    assert ("notify-kw", "ok", None) in ev


async def wait_for_non_callable(ns, rec):
    cond = ns.Condition()
    async with cond:
        await rec.acall("wait_for-non-callable", cond.wait_for(5), message=False)
        rec("locked", cond.locked())
    await rec.acall("wait_for-non-callable-unlocked", cond.wait_for(5), message=False)


def test_wait_for_non_callable(impl, flavour):
    ev = parity(wait_for_non_callable, impl, flavour)
    assert ev[0] == ("wait_for-non-callable", "raise", "builtins.TypeError")


async def close_suspended_wait(ns, rec):
    """close() (or dropping the last reference) of a Condition.wait() driven by
    hand: its clean-up re-acquires the lock; when another task holds it, the
    re-acquire has to suspend, which close() reports as a RuntimeError."""
    import gc
    import sys

    cond = ns.Condition()
    unraisable = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = lambda u: unraisable.append(exc_id(u.exc_value))
    try:
        # lock free when closed: the clean-up re-acquires it at once
        await cond.acquire()
        w = cond.wait()
        rec.call("send", w.send, None)
        rec.snap("waiting", cond)
        rec.call("close-lock-free", w.close)
        rec("locked-after-close", cond.locked())
        cond.release()

        # lock held by another task when closed
        await cond.acquire()
        w = cond.wait()
        rec.call("send", w.send, None)
        rec.spawn("holder", cond.acquire())
        await steps()
        rec.snap("held", cond)
        rec.call("close-lock-held", w.close)
        rec.snap("after-close", cond)
        cond.release()
        await steps(3)
        rec.snap("released", cond)

        rec.call("close-again", w.close)
        rec.snap("closed", cond)

        # dropped while another task holds the lock: finalized, reported
        cond = ns.Condition()
        await cond.acquire()
        w = cond.wait()
        rec.call("send", w.send, None)
        rec.spawn("holder2", cond.acquire())
        await steps()
        rec.snap("held2", cond)
        del w
        gc.collect()
        rec("unraisable", unraisable)
    finally:
        sys.unraisablehook = old_hook


def test_close_suspended_wait(impl, flavour):
    ev = parity(close_suspended_wait, impl, flavour)
    assert ("close-lock-free", "raise", "builtins.RuntimeError") not in [e[:3] for e in ev]
    assert ("locked-after-close", True) in ev
    ignored = ("builtins.RuntimeError", "coroutine ignored GeneratorExit")
    assert ("close-lock-held", "raise", *ignored) in ev
    assert ("unraisable", [ignored]) in ev
