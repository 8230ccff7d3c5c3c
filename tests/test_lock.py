"""Lock: both implementations must produce the stdlib trace of each scenario."""

from __future__ import annotations

import asyncio

import pytest
from paritylib import PY, events_of, parity, steps


async def basic(ns, rec):
    lock = ns.Lock()
    rec("locked", lock.locked())
    rec.snap("repr", lock)
    await rec.acall("acquire", lock.acquire())
    rec("locked", lock.locked())
    rec.snap("repr", lock)
    rec.call("release", lock.release)
    rec("locked", lock.locked())
    rec.call("release-again", lock.release)
    rec.snap("repr", lock)


def test_basic(impl, any_flavour):
    ev = parity(basic, impl, any_flavour)
    assert ("acquire", "ok", True) in ev
    assert ("release", "ok", None) in ev
    assert ("release-again", "raise", "builtins.RuntimeError", "Lock is not acquired.") in ev
    assert ev[1] == ("repr", "unlocked") and ev[4] == ("repr", "locked")


async def lazy_acquire(ns, rec):
    lock = ns.Lock()
    coro = lock.acquire()
    rec("iscoroutine", asyncio.iscoroutine(coro))
    rec("locked-after-call", lock.locked())
    coro.close()
    rec("locked-after-close", lock.locked())
    task = asyncio.create_task(lock.acquire())
    rec("locked-after-create_task", lock.locked(), task.done())
    await steps()
    rec("locked-after-step", lock.locked(), task.done(), task.result())
    coro = lock.acquire()
    lock.release()
    rec("await-late-created", await coro, lock.locked())


def test_acquire_is_lazy(impl, any_flavour):
    ev = parity(lazy_acquire, impl, any_flavour)
    assert ev[0] == ("iscoroutine", True)
    assert ev[1] == ("locked-after-call", False)
    assert ev[2] == ("locked-after-close", False)
    if any_flavour != "eager":
        assert ev[3] == ("locked-after-create_task", False, False)
    assert ev[4] == ("locked-after-step", True, True, True)
    assert ev[5] == ("await-late-created", True, True)


async def fifo(ns, rec):
    lock = ns.Lock()
    await lock.acquire()

    async def worker(i):
        await lock.acquire()
        rec("got", i, lock.locked())
        await steps()
        lock.release()
        return i

    for i in range(5):
        rec.spawn(f"w{i}", worker(i))
    await steps(2)
    rec.snap("queued", lock)
    lock.release()
    for _ in range(12):
        rec.snap("step", lock)
        await steps()


def test_fifo(impl, flavour):
    ev = parity(fifo, impl, flavour)
    assert [e[0] for e in events_of(ev, "got")] == [0, 1, 2, 3, 4]
    assert ("queued", "locked, waiters:5") in ev


async def cancel_waiting(ns, rec):
    lock = ns.Lock()
    await lock.acquire()

    async def worker(i):
        await lock.acquire()
        rec("got", i)
        lock.release()

    tasks = [rec.spawn(f"w{i}", worker(i)) for i in range(3)]
    await steps()
    rec.snap("before-cancel", lock)
    rec("cancel", tasks[1].cancel())
    await steps()
    rec.snap("after-cancel", lock)
    lock.release()
    for _ in range(5):
        rec.snap("step", lock)
        await steps()
    rec("cancelled", [t.cancelled() for t in tasks])


def test_cancel_while_waiting(impl, flavour):
    ev = parity(cancel_waiting, impl, flavour)
    assert [e[0] for e in events_of(ev, "got")] == [0, 2]
    assert ("before-cancel", "locked, waiters:3") in ev
    assert ("after-cancel", "locked, waiters:2") in ev


async def cancel_after_wakeup(ns, rec):
    lock = ns.Lock()
    await lock.acquire()

    async def worker(i):
        await lock.acquire()
        rec("got", i)
        await steps()
        lock.release()

    a = rec.spawn("a", worker("a"))
    rec.spawn("b", worker("b"))
    await steps()
    lock.release()  # wakes a
    rec("locked-after-release", lock.locked())
    a.cancel()  # a was woken but is cancelled before it runs: b must get it
    for _ in range(6):
        rec("step", lock.locked())
        rec.snap("state", lock)
        await steps()


def test_cancel_after_wakeup_passes_it_on(impl, flavour):
    ev = parity(cancel_after_wakeup, impl, flavour)
    assert events_of(ev, "got") == [("b",)]
    assert ("a", "raise", "asyncio.CancelledError", "") in ev


async def cancel_all_then_acquire(ns, rec):
    lock = ns.Lock()
    await lock.acquire()
    a = rec.spawn("a", lock.acquire())
    b = rec.spawn("b", lock.acquire())
    await steps()
    a.cancel()
    b.cancel()
    lock.release()
    rec.snap("released", lock)
    # all waiters cancelled: the queue may be jumped (3.12+), or not
    c = rec.spawn("c", lock.acquire())
    await steps()
    rec.snap("after-one-step", lock)
    rec("c-done", c.done())
    await steps(3)
    rec.snap("end", lock)


def test_cancel_all_waiters_then_acquire(impl, flavour):
    ev = parity(cancel_all_then_acquire, impl, flavour)
    assert ("c", "return", True) in ev


async def async_with(ns, rec):
    lock = ns.Lock()
    async with lock as value:
        rec("as", value, lock.locked())
    rec("after", lock.locked())
    try:
        async with lock:
            raise KeyError("boom")
    except KeyError as exc:
        rec("propagated", repr(exc), lock.locked())
    rec("aenter", await lock.__aenter__(), lock.locked())
    rec("aexit", await lock.__aexit__(None, None, None), lock.locked())
    try:
        await lock.__aexit__(None, None, None)
    except RuntimeError as exc:
        rec("aexit-unlocked", str(exc))


def test_async_with(impl, any_flavour):
    ev = parity(async_with, impl, any_flavour)
    assert ev[0] == ("as", None, True)
    assert ev[1] == ("after", False)
    assert ev[2] == ("propagated", "KeyError('boom')", False)
    assert ev[-1] == ("aexit-unlocked", "Lock is not acquired.")


async def release_from_other_task(ns, rec):
    lock = ns.Lock()
    await lock.acquire()

    async def releaser():
        lock.release()
        rec("released-by-other", lock.locked())

    await asyncio.create_task(releaser())
    rec("locked", lock.locked())
    rec("reacquire", await lock.acquire())


def test_release_from_other_task(impl, flavour):
    ev = parity(release_from_other_task, impl, flavour)
    assert ev == [("released-by-other", False), ("locked", False), ("reacquire", True)]


async def wait_for_timeout(ns, rec):
    lock = ns.Lock()
    rec("free", await asyncio.wait_for(lock.acquire(), 1))
    await rec.acall("wait_for", asyncio.wait_for(lock.acquire(), 0.001))
    rec.snap("after-timeout", lock)
    other = rec.spawn("other", lock.acquire())
    await steps()
    lock.release()
    await steps(3)
    rec("other-done", other.done(), lock.locked())


def test_wait_for_timeout(impl, flavour):
    ev = parity(wait_for_timeout, impl, flavour)
    assert ev[0] == ("free", True)
    assert ev[1][:2] == ("wait_for", "raise")
    assert ev[1][2] in ("asyncio.TimeoutError", "builtins.TimeoutError")
    assert ("after-timeout", "locked") in ev
    assert ("other", "return", True) in ev


async def timeout_cm(ns, rec):
    lock = ns.Lock()
    await lock.acquire()
    waiter = rec.spawn("waiter", lock.acquire())
    await steps()
    try:
        async with asyncio.timeout(0.001):
            await lock.acquire()
    except TimeoutError as exc:
        rec("timeout", type(exc).__name__)
    rec.snap("after", lock)
    lock.release()
    await steps(2)
    rec("waiter", waiter.done(), lock.locked())


@pytest.mark.skipif(PY < (3, 11), reason="asyncio.timeout is 3.11+")
def test_asyncio_timeout(impl, flavour):
    ev = parity(timeout_cm, impl, flavour)
    assert ("timeout", "TimeoutError") in ev
    assert ("after", "locked, waiters:1") in ev
    assert ("waiter", "return", True) in ev


async def taskgroup(ns, rec):
    lock = ns.Lock()

    async def worker(i):
        async with lock:
            rec("in", i)
            await steps()
            if i == 1:
                raise ValueError("worker 1 failed")
            rec("out", i)

    try:
        async with asyncio.TaskGroup() as tg:
            for i in range(3):  # one task left waiting: TaskGroup cancels in set
                tg.create_task(worker(i))  # order, which is not deterministic
    except BaseException as exc:  # noqa: BLE001
        rec("group", type(exc).__name__, [repr(e) for e in exc.exceptions])
    rec.snap("after", lock)
    rec("acquire-again", await lock.acquire())


@pytest.mark.skipif(PY < (3, 11), reason="TaskGroup is 3.11+")
def test_taskgroup(impl, any_flavour):
    ev = parity(taskgroup, impl, any_flavour)
    assert ("group", "ExceptionGroup", ["ValueError('worker 1 failed')"]) in ev
    assert ("after", "unlocked") in ev
    assert ev[-1] == ("acquire-again", True)


async def gather(ns, rec):
    lock = ns.Lock()
    rec("gather-direct", await asyncio.gather(lock.acquire()))
    lock.release()

    async def worker(i):
        async with lock:
            rec("in", i)
            await steps()
        return i

    rec("gather", await asyncio.gather(*[worker(i) for i in range(4)]))
    rec("ensure_future", await asyncio.ensure_future(lock.acquire()))


def test_gather(impl, any_flavour):
    ev = parity(gather, impl, any_flavour)
    assert ev[0] == ("gather-direct", [True])
    assert ("gather", [0, 1, 2, 3]) in ev
    assert ev[-1] == ("ensure_future", True)


async def repr_states(ns, rec):
    lock = ns.Lock()
    rec.snap("idle", lock)
    await lock.acquire()
    rec.snap("locked", lock)
    ts = [asyncio.ensure_future(lock.acquire()) for _ in range(2)]
    await steps()
    rec.snap("two-waiters", lock)
    ts[0].cancel()
    rec.snap("one-cancelled-not-run", lock)
    await steps()
    rec.snap("one-cancelled", lock)
    lock.release()
    rec.snap("released", lock)
    await steps()
    rec.snap("handed-over", lock)


def test_repr(impl, flavour):
    ev = parity(repr_states, impl, flavour)
    assert ev[:3] == [
        ("idle", "unlocked"),
        ("locked", "locked"),
        ("two-waiters", "locked, waiters:2"),
    ]
    assert ev[-1] == ("handed-over", "locked")


async def manual_protocol(ns, rec):
    """Drive acquire() by hand through send/throw/close."""
    lock = ns.Lock()
    coro = lock.acquire()
    try:
        coro.send(None)
    except StopIteration as exc:
        rec("uncontended-stop", exc.value, lock.locked())
    try:
        coro.send(None)
    except BaseException as exc:  # noqa: BLE001
        rec("resend", type(exc).__name__)
    coro = lock.acquire()
    fut = coro.send(None)
    rec("yielded-future", asyncio.isfuture(fut), fut.done())
    rec.snap("waiting", lock)
    try:
        coro.throw(ValueError("thrown"))
    except ValueError as exc:
        rec("throw-propagates", str(exc))
    rec.snap("after-throw", lock)
    coro = lock.acquire()
    coro.send(None)
    rec.snap("waiting-again", lock)
    coro.close()
    rec.snap("after-close", lock)
    lock.release()
    rec("reacquire", await lock.acquire())


def test_manual_coroutine_protocol(impl, flavour):
    ev = parity(manual_protocol, impl, flavour)
    assert ev[0] == ("uncontended-stop", True, True)
    assert ev[2] == ("yielded-future", True, False)
    assert ("throw-propagates", "thrown") in ev
    assert ("after-close", "locked") in ev


async def cancel_message(ns, rec):
    lock = ns.Lock()
    await lock.acquire()
    t = rec.spawn("t", lock.acquire())
    await steps()
    t.cancel("custom message")
    await steps(2)
    rec.snap("after", lock)


def test_cancel_message(impl, flavour):
    ev = parity(cancel_message, impl, flavour)
    assert ev[-1] == ("after", "locked")


async def suspended_state(ns, rec):
    """While an acquire waits, the coroutine exposes what it awaits: the
    waiter future's own iterator, as `await fut` leaves it."""
    lock = ns.Lock()
    await lock.acquire()
    coro = lock.acquire()
    task = asyncio.ensure_future(coro)
    await asyncio.sleep(0)
    inner = coro.cr_await
    rec("cr_await", type(inner).__name__, type(inner).__module__)
    rec("suspended", coro.cr_suspended if hasattr(coro, "cr_suspended") else None)
    rec("running", coro.cr_running)
    lock.release()
    rec("result", await task)
    rec("after", coro.cr_await)


def test_suspended_acquire_awaits_the_future_iterator(impl, flavour):
    ev = parity(suspended_state, impl, flavour)
    assert ev[0][0] == "cr_await" and ev[-1] == ("after", None)


async def release_skips_cancelled_first_waiter(ns, rec):
    """release() right after the first waiter's cancellation, before it ran:
    the lock wakes nobody in its place (the cancelled waiter passes the
    wake-up on when it runs)."""
    lock = ns.Lock()
    await lock.acquire()
    ts = [rec.spawn(f"w{i}", lock.acquire()) for i in range(3)]
    await steps()
    rec("cancel", ts[0].cancel())
    rec.call("release", lock.release)
    rec.snap("after-release", lock)
    await steps()
    rec("states", [(t.cancelled(), t.done()) for t in ts])
    rec.snap("end", lock)


def test_release_with_a_cancelled_first_waiter(impl, flavour):
    ev = parity(release_skips_cancelled_first_waiter, impl, flavour)
    assert ("release", "ok", None) in ev
