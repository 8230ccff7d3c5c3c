"""Semaphore and BoundedSemaphore: both implementations must produce the stdlib trace."""

from __future__ import annotations

import asyncio

import pytest
from paritylib import PY, events_of, parity, steps

KINDS = ["Semaphore", "BoundedSemaphore"]


@pytest.fixture(params=KINDS)
def kind(request):
    return request.param


def test_basic(impl, kind, any_flavour):
    async def scenario(ns, rec):
        cls = getattr(ns, kind)
        sem = cls(2)
        rec.snap("new", sem)
        rec("locked", sem.locked())
        rec("acquire", await sem.acquire(), sem.locked())
        rec.snap("one", sem)
        rec("acquire", await sem.acquire(), sem.locked())
        rec.snap("two", sem)
        rec.call("release", sem.release)
        rec.call("release", sem.release)
        rec.snap("back", sem)
        rec.call("release-over", sem.release)
        rec.snap("over", sem)
        rec.snap("default", cls())
        rec.snap("zero", cls(0))
        rec("zero-locked", cls(0).locked())
        rec.snap("kw", cls(value=3))

    ev = parity(scenario, impl, any_flavour)
    assert ev[:2] == [("new", "unlocked, value:2"), ("locked", False)]
    assert ("two", "locked") in ev
    assert ("default", "unlocked, value:1") in ev
    assert ("zero", "locked") in ev
    if kind == "BoundedSemaphore":
        assert (
            "release-over",
            "raise",
            "builtins.ValueError",
            "BoundedSemaphore released too many times",
        ) in ev
        assert ("over", "unlocked, value:2") in ev
    else:
        assert ("release-over", "ok", None) in ev
        assert ("over", "unlocked, value:3") in ev


def test_negative_value(impl, kind):
    async def scenario(ns, rec):
        cls = getattr(ns, kind)
        rec.call("neg", cls, -1)
        rec.call("neg-kw", cls, value=-5)

    ev = parity(scenario, impl)
    assert ev == [
        ("neg", "raise", "builtins.ValueError", "Semaphore initial value must be >= 0"),
        ("neg-kw", "raise", "builtins.ValueError", "Semaphore initial value must be >= 0"),
    ]


@pytest.mark.parametrize(
    "value",
    [2**31, 2**63 + 5, 2**100, True, 1.5, 0.0],
    ids=["2**31", "2**63+5", "2**100", "True", "1.5", "0.0"],
)
def test_unusual_values(impl, kind, value):
    async def scenario(ns, rec):
        sem = rec.call("new", getattr(ns, kind), value, message=False)
        if sem is None:
            return
        rec.snap("repr", sem)
        rec("locked", sem.locked())
        t = asyncio.ensure_future(sem.acquire())
        await steps()
        rec("acquired", t.done())
        rec.snap("acquired", sem)
        rec.call("release", sem.release)
        rec.call("release", sem.release)
        rec.snap("end", sem)

    ev = parity(scenario, impl)
    assert ev[0][:2] == ("new", "ok")


async def laziness(ns, rec):
    sem = ns.Semaphore(1)
    coro = sem.acquire()
    rec("iscoroutine", asyncio.iscoroutine(coro))
    rec.snap("after-call", sem)
    coro.close()
    rec.snap("after-close", sem)
    t = asyncio.ensure_future(sem.acquire())
    rec.snap("after-create", sem)
    await steps()
    rec.snap("after-step", sem)
    rec("result", t.result())


def test_acquire_is_lazy(impl, any_flavour):
    ev = parity(laziness, impl, any_flavour)
    assert ev[:3] == [
        ("iscoroutine", True),
        ("after-call", "unlocked, value:1"),
        ("after-close", "unlocked, value:1"),
    ]
    assert ("after-step", "locked") in ev


def test_fifo(impl, kind, flavour):
    async def scenario(ns, rec):
        sem = getattr(ns, kind)(2)

        async def worker(i):
            async with sem:
                rec("in", i, sem.locked())
                await steps(2)
            rec("out", i)

        for i in range(6):
            rec.spawn(f"w{i}", worker(i))
        for _ in range(16):
            rec.snap("step", sem)
            await steps()

    ev = parity(scenario, impl, flavour)
    assert [e[0] for e in events_of(ev, "in")] == [0, 1, 2, 3, 4, 5]


def test_cancellation(impl, kind, flavour):
    async def scenario(ns, rec):
        sem = getattr(ns, kind)(1)
        await sem.acquire()
        ts = [rec.spawn(f"w{i}", sem.acquire()) for i in range(4)]
        await steps()
        rec.snap("queued", sem)
        ts[0].cancel()  # cancelled while waiting
        await steps()
        rec.snap("cancelled-0", sem)
        sem.release()  # wakes w1
        ts[1].cancel()  # ...which is cancelled before it runs: w2 must get it
        rec.snap("released", sem)
        for _ in range(4):
            await steps()
            rec.snap(
                "step",
                sem,
            )
        rec("states", [(t.done(), t.cancelled()) for t in ts])
        sem.release()
        await steps(3)
        rec.snap("end", sem)

    ev = parity(scenario, impl, flavour)
    assert ("w2", "return", True) in ev
    assert ("w1", "raise", "asyncio.CancelledError", "") in ev


def test_locked_with_waiters(impl, flavour):
    async def scenario(ns, rec):
        sem = ns.Semaphore(0)
        ts = [asyncio.ensure_future(sem.acquire()) for _ in range(3)]
        await steps()
        sem.release()
        sem.release()
        rec("locked-after-2-releases", sem.locked())
        rec.snap("state", sem)
        t = asyncio.ensure_future(sem.acquire())
        await steps()
        rec("done", [x.done() for x in ts], t.done())
        rec.snap("state", sem)
        for x in ts:
            x.cancel()
        t.cancel()
        await steps()
        rec.snap("all-cancelled", sem)
        rec("locked", sem.locked())

    parity(scenario, impl, flavour)


def test_release_wakes_many(impl, kind, flavour):
    async def scenario(ns, rec):
        sem = getattr(ns, kind)(3)
        for _ in range(3):
            await sem.acquire()
        ts = [rec.spawn(f"w{i}", sem.acquire()) for i in range(4)]
        await steps()
        for _ in range(3):
            sem.release()
        rec.snap("released-3", sem)
        await steps()
        rec("done", [t.done() for t in ts])
        rec.snap("after", sem)
        rec.call("release", sem.release)
        rec.call("release", sem.release)
        await steps()
        rec.snap("end", sem)

    ev = parity(scenario, impl, flavour)
    assert ("done", [True, True, True, False]) in ev


def test_wait_for_timeout(impl, kind, flavour):
    async def scenario(ns, rec):
        sem = getattr(ns, kind)(1)
        rec("free", await asyncio.wait_for(sem.acquire(), 1))
        await rec.acall("timeout", asyncio.wait_for(sem.acquire(), 0.001), message=False)
        rec.snap("after-timeout", sem)
        sem.release()
        rec.snap("released", sem)

    ev = parity(scenario, impl, flavour)
    assert ev[-1] == ("released", "unlocked, value:1")


@pytest.mark.skipif(PY < (3, 11), reason="asyncio.timeout and TaskGroup are 3.11+")
def test_timeout_and_taskgroup(impl, kind, any_flavour):
    async def scenario(ns, rec):
        sem = getattr(ns, kind)(1)

        async def worker(i):
            async with sem:
                rec("in", i)
                await steps()
                if i == 2:
                    raise LookupError("w2")

        try:
            async with asyncio.TaskGroup() as tg:
                for i in range(4):  # at most one task left waiting: cancel order is
                    tg.create_task(worker(i))  # set order, i.e. not deterministic
        except BaseException as exc:  # noqa: BLE001
            rec("group", [repr(e) for e in exc.exceptions])
        rec.snap("after-group", sem)
        await sem.acquire()
        try:
            async with asyncio.timeout(0.001):
                await sem.acquire()
        except TimeoutError:
            rec("timeout")
        rec.snap("after-timeout", sem)

    ev = parity(scenario, impl, any_flavour)
    assert [e[0] for e in events_of(ev, "in")][:3] == [0, 1, 2]
    assert ("group", ["LookupError('w2')"]) in ev
    assert ("after-group", "unlocked, value:1") in ev


def test_async_with_returns_none(impl, kind, any_flavour):
    async def scenario(ns, rec):
        sem = getattr(ns, kind)(1)
        async with sem as v:
            rec("as", v, sem.locked())
        try:
            async with sem:
                raise OSError("x")
        except OSError:
            rec("propagated", sem.locked())
        rec("aenter", await sem.__aenter__())
        rec("aexit", await sem.__aexit__(None, None, None))
        await rec.acall("aexit-over", sem.__aexit__(None, None, None))

    ev = parity(scenario, impl, any_flavour)
    assert ev[:2] == [("as", None, True), ("propagated", False)]


def test_repr(impl, kind, flavour):
    async def scenario(ns, rec):
        sem = getattr(ns, kind)(1)
        rec.snap("idle", sem)
        await sem.acquire()
        rec.snap("locked", sem)
        ts = [asyncio.ensure_future(sem.acquire()) for _ in range(2)]
        await steps()
        rec.snap("waiters", sem)
        ts[0].cancel()
        rec.snap("cancel-requested", sem)
        await steps()
        rec.snap("cancelled", sem)
        sem.release()
        rec.snap("released", sem)
        await steps()
        rec.snap("handed-over", sem)

    ev = parity(scenario, impl, flavour)
    assert ev[:3] == [
        ("idle", "unlocked, value:1"),
        ("locked", "locked"),
        ("waiters", "locked, waiters:2"),
    ]
