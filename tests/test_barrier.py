"""Barrier (3.11+): both implementations must produce the stdlib trace of each scenario."""

from __future__ import annotations

import asyncio

import pytest
from paritylib import PY, events_of, parity, steps

pytestmark = pytest.mark.skipif(PY < (3, 11), reason="asyncio.Barrier is 3.11+")


def props(b):
    return (b.parties, b.n_waiting, b.broken)


async def basic(ns, rec):
    b = ns.Barrier(3)
    rec("props", props(b))
    rec.snap("repr", b)

    async def worker(i):
        r = await b.wait()
        rec("passed", i, r, props(b))
        return r

    for i in range(3):
        rec.spawn(f"w{i}", worker(i))
        await steps()
        rec("props", props(b))
        rec.snap("repr", b)
    for _ in range(4):
        await steps()
        rec.snap("repr", b)
    rec("props", props(b))


def test_basic(barrier_impl, any_flavour):
    ev = parity(basic, barrier_impl, any_flavour)
    assert ev[:2] == [("props", (3, 0, False)), ("repr", "filling, waiters:0/3")]
    assert sorted(e[1] for e in events_of(ev, "passed")) == [0, 1, 2]
    assert ("w2", "return", 2) in ev
    assert ev[-1] == ("props", (3, 0, False))


def test_invalid_parties(barrier_impl):
    async def scenario(ns, rec):
        rec.call("zero", ns.Barrier, 0)
        rec.call("negative", ns.Barrier, -3)
        rec.call("kw", ns.Barrier, parties=2)
        rec.call("missing", ns.Barrier, message=False)
        rec.call("str", ns.Barrier, "3", message=False)
        rec.call("none", ns.Barrier, None, message=False)
        b = rec.call("float", ns.Barrier, 2.5, message=False)
        if b is not None:
            rec.snap("float", b)
        rec.snap("big", ns.Barrier(2**70))

    # The message differs by patch release (3.13.0: "> 0", 3.13.18 and 3.14+:
    # ">= 1"): the expectation is what the running stdlib says.
    try:
        asyncio.Barrier(0)
    except ValueError as e:
        message = str(e)
    else:
        pytest.fail("asyncio.Barrier(0) did not raise")
    ev = parity(scenario, barrier_impl)
    assert ev[:3] == [
        ("zero", "raise", "builtins.ValueError", message),
        ("negative", "raise", "builtins.ValueError", message),
        ("kw", "ok", "<object>"),
    ]
    assert ev[3] == ("missing", "raise", "builtins.TypeError")


async def single_party(ns, rec):
    b = ns.Barrier(1)
    rec("wait", await b.wait(), props(b))
    rec("wait", await b.wait(), props(b))
    async with b as i:
        rec("as", i)


def test_single_party(barrier_impl, any_flavour):
    ev = parity(single_party, barrier_impl, any_flavour)
    assert ev == [("wait", 0, (1, 0, False)), ("wait", 0, (1, 0, False)), ("as", 0)]


async def async_with(ns, rec):
    b = ns.Barrier(2)

    async def worker(i):
        async with b as idx:
            rec("in", i, idx)
        return idx

    rec("gather", await asyncio.gather(worker(0), worker(1)))
    rec("aexit", await b.__aexit__(None, None, None))
    rec("aexit-exc", await b.__aexit__(KeyError, KeyError("k"), None))


def test_async_with_returns_index(barrier_impl, any_flavour):
    ev = parity(async_with, barrier_impl, any_flavour)
    assert ("gather", [0, 1]) in ev
    assert ev[-2:] == [("aexit", None), ("aexit-exc", None)]


def test_async_with_single_exits(barrier_impl):
    async def scenario(ns, rec):
        b = ns.Barrier(1)
        try:
            async with b as i:
                rec("in", i)
                raise KeyError("k")
        except KeyError:
            rec("propagated")

    ev = parity(scenario, barrier_impl)
    assert ev == [("in", 0), ("propagated",)]


async def cycles(ns, rec):
    b = ns.Barrier(2)

    async def worker(i, rounds):
        out = []
        for _ in range(rounds):
            out.append(await b.wait())
            rec("round", i, out[-1])
        return out

    rec.spawn("a", worker("a", 3))
    rec.spawn("b", worker("b", 3))
    for _ in range(20):
        rec.snap("s", b)
        await steps()


def test_multiple_rounds(barrier_impl, flavour):
    ev = parity(cycles, barrier_impl, flavour)
    assert len(events_of(ev, "round")) == 6


async def draining_blocks_newcomers(ns, rec):
    b = ns.Barrier(2)

    async def worker(i):
        r = await b.wait()
        rec("passed", i, r)

    rec.spawn("w0", worker(0))
    await steps()
    rec.spawn("w1", worker(1))
    rec.spawn("w2", worker(2))  # arrives while the barrier drains
    for _ in range(5):
        await steps()
        rec.snap("s", b)
        rec("props", props(b))
    rec.spawn("w3", worker(3))
    for _ in range(5):
        await steps()
        rec.snap("s", b)


def test_draining_blocks_newcomers(barrier_impl, flavour):
    ev = parity(draining_blocks_newcomers, barrier_impl, flavour)
    assert len(events_of(ev, "passed")) == 4


async def reset(ns, rec):
    b = ns.Barrier(3)
    ts = [rec.spawn(f"w{i}", b.wait()) for i in range(2)]
    await steps()
    rec.snap("filling", b)
    rec("reset", await b.reset())
    rec.snap("resetting", b)
    rec("props", props(b))
    for _ in range(4):
        await steps()
        rec.snap("s", b)
    rec("done", [t.done() for t in ts])
    rec("reset-idle", await b.reset())
    rec.snap("idle", b)
    ts = [rec.spawn(f"v{i}", b.wait()) for i in range(3)]
    await steps(4)
    rec.snap("reused", b)


def test_reset(barrier_impl, flavour):
    ev = parity(reset, barrier_impl, flavour)
    assert ("w0", "raise", "asyncio.BrokenBarrierError", "Abort or reset of barrier") in ev
    assert ("filling", "filling, waiters:2/3") in ev
    assert ("v2", "return", 2) in ev


async def abort(ns, rec):
    b = ns.Barrier(3)
    rec.spawn("w0", b.wait())
    await steps()
    rec("abort", await b.abort())
    rec.snap("broken", b)
    rec("props", props(b))
    await steps(3)
    await rec.acall("wait-broken", b.wait())
    await rec.acall("abort-again", b.abort())
    rec("reset", await b.reset())
    rec.snap("after-reset", b)
    rec("props", props(b))
    rec.spawn("x", b.wait())
    await steps()
    rec.snap("x-waiting", b)


def test_abort(barrier_impl, flavour):
    ev = parity(abort, barrier_impl, flavour)
    assert ("broken", "broken") in ev
    assert ("wait-broken", "raise", "asyncio.BrokenBarrierError", "Barrier aborted") in ev
    assert ("w0", "raise", "asyncio.BrokenBarrierError", "Abort or reset of barrier") in ev
    assert ("after-reset", "filling, waiters:0/3") in ev


def test_broken_barrier_error_class(barrier_impl):
    async def scenario(ns, rec):
        b = ns.Barrier(2)
        await b.abort()
        try:
            await b.wait()
        except asyncio.BrokenBarrierError as exc:
            rec(
                "caught-as-asyncio",
                isinstance(exc, ns.BrokenBarrierError),
                isinstance(exc, RuntimeError),
            )

    ev = parity(scenario, barrier_impl)
    assert ev == [("caught-as-asyncio", True, True)]


async def cancel_waiter(ns, rec):
    b = ns.Barrier(3)
    ts = [rec.spawn(f"w{i}", b.wait()) for i in range(2)]
    await steps()
    rec.snap("two", b)
    ts[0].cancel()
    await steps()
    rec.snap("one", b)
    rec("props", props(b))
    rec.spawn("w2", b.wait())
    rec.spawn("w3", b.wait())
    for _ in range(6):
        await steps()
        rec.snap("s", b)


def test_cancel_waiter(barrier_impl, flavour):
    ev = parity(cancel_waiter, barrier_impl, flavour)
    assert ("one", "filling, waiters:1/3") in ev


async def wait_for_timeout(ns, rec):
    b = ns.Barrier(2)
    await rec.acall("timeout", asyncio.wait_for(b.wait(), 0.001), message=False)
    rec.snap("after", b)
    rec("props", props(b))
    try:
        async with asyncio.timeout(0.001):
            await b.wait()
    except TimeoutError:
        rec("timeout-cm")
    rec.snap("after-cm", b)


def test_timeouts(barrier_impl, flavour):
    ev = parity(wait_for_timeout, barrier_impl, flavour)
    assert ("after", "filling, waiters:0/2") in ev
    assert ("timeout-cm",) in ev


async def taskgroup(ns, rec):
    b = ns.Barrier(3)

    async def failer():
        await steps(2)
        raise ArithmeticError("f")

    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(b.wait())
            tg.create_task(failer())
    except BaseException as exc:  # noqa: BLE001
        rec("group", [repr(e) for e in exc.exceptions])
    rec.snap("after", b)


def test_taskgroup(barrier_impl, any_flavour):
    ev = parity(taskgroup, barrier_impl, any_flavour)
    assert ev == [("group", ["ArithmeticError('f')"]), ("after", "filling, waiters:0/3")]


def test_properties_read_only(barrier_impl):
    async def scenario(ns, rec):
        b = ns.Barrier(2)
        for name in ("parties", "n_waiting", "broken"):
            rec.call(f"set-{name}", setattr, b, name, 5, message=False)
            rec.call(f"del-{name}", delattr, b, name, message=False)
        rec("props", props(b))

    ev = parity(scenario, barrier_impl)
    assert ev[-1] == ("props", (2, 0, False))
    assert ev[0] == ("set-parties", "raise", "builtins.AttributeError")
