"""Property tests: random schedules must give the same trace on both implementations.

A schedule is a list of driver actions run by the main task: spawn a worker
task doing one blocking operation, call a non-blocking method directly, cancel
a worker (optionally with a message), or let the loop run ``sleep(0)`` steps.
After every action the observable state (bracketed repr, locked()/is_set()/
value, Barrier properties) is recorded; workers record their results and
exceptions.  The trace of the stdlib must equal the trace of asynclocks.

ASYNCLOCKS_HYPOTHESIS_EXAMPLES sets the number of examples per property.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st
from paritylib import (
    ASYNCLOCKS,
    HAS_BARRIER,
    LOOP_FLAVOURS,
    PY,
    STDLIB,
    Rec,
    drain,
    exc_id,
    run,
    state,
    steps,
)

SCHEDULE_FLAVOURS = LOOP_FLAVOURS + (["eager"] if PY >= (3, 12) else [])
MAX_WORKERS = 8


def _actions(spawn_kinds, direct_kinds):
    return st.lists(
        st.one_of(
            st.tuples(st.just("spawn"), st.sampled_from(spawn_kinds), st.integers(0, 3)),
            st.tuples(st.just("direct"), st.sampled_from(direct_kinds), st.integers(-1, 3)),
            st.tuples(st.just("step"), st.integers(1, 3)),
            st.tuples(
                st.just("cancel"), st.integers(0, MAX_WORKERS - 1), st.sampled_from([None, "msg"])
            ),
        ),
        min_size=1,
        max_size=30,
    )


async def _observe(kind, obj, rec, box):
    if kind == "Barrier":
        rec("obs", state(obj), obj.parties, obj.n_waiting, obj.broken)
    elif kind == "Event":
        rec("obs", state(obj), obj.is_set())
    else:
        rec("obs", state(obj), obj.locked(), box["v"])


def _worker(kind, op, arg, obj, rec, name, box):
    async def hold(n):
        await steps(n)

    async def w():
        if kind == "Lock":
            if op == "acquire":
                return await obj.acquire()
            async with obj:  # "with"
                rec(name, "in", obj.locked())
                await hold(arg)
            return "released"
        if kind in ("Semaphore", "BoundedSemaphore"):
            if op == "acquire":
                return await obj.acquire()
            async with obj:
                rec(name, "in", state(obj))
                await hold(arg)
            return "released"
        if kind == "Event":
            if op == "wait":
                return await obj.wait()
            return await asyncio.wait_for(obj.wait(), None)
        if kind == "Condition":
            if op == "wait":
                async with obj:
                    r = await obj.wait()
                    rec(name, "woke", r, obj.locked())
                    await hold(arg)
                return r
            if op == "wait_for":
                async with obj:
                    r = await obj.wait_for(lambda: box["v"] >= arg and box["v"])
                    rec(name, "pred", r)
                return r
            if op == "notify":
                async with obj:
                    obj.notify(arg)
                return "notified"
            if op == "notify_all":
                async with obj:
                    obj.notify_all()
                return "notified_all"
            if op == "bump":
                async with obj:
                    box["v"] += 1
                    obj.notify_all()
                return box["v"]
            if op == "wait_unlocked":
                return await obj.wait()
        if kind == "Barrier":
            if op == "wait":
                return await obj.wait()
            if op == "with":
                async with obj as i:
                    await hold(arg)
                    return i
            if op == "reset":
                return await obj.reset()
            if op == "abort":
                return await obj.abort()
        raise AssertionError((kind, op))

    return w()


def _direct(kind, op, arg, obj, box):
    if op == "release":
        return obj.release()
    if op == "set":
        return obj.set()
    if op == "clear":
        return obj.clear()
    if op == "notify":
        return obj.notify(arg)
    if op == "notify_all":
        return obj.notify_all()
    if op == "bump":
        box["v"] += 1
        return box["v"]
    raise AssertionError((kind, op))


def _make(ns, kind, arg0):
    if kind == "Lock":
        return ns.Lock()
    if kind == "Event":
        return ns.Event()
    if kind == "Condition":
        return ns.Condition()
    if kind == "Semaphore":
        return ns.Semaphore(arg0)
    if kind == "BoundedSemaphore":
        return ns.BoundedSemaphore(arg0)
    if kind == "Barrier":
        return ns.Barrier(arg0 + 1)
    raise AssertionError(kind)


def schedule_trace(ns, kind, arg0, actions, flavour):
    async def main():
        rec = Rec()
        box = {"v": 0}
        obj = _make(ns, kind, arg0)
        workers = []
        for action in actions:
            rec("do", *action)
            if action[0] == "spawn":
                _, op, arg = action
                if len(workers) < MAX_WORKERS:
                    name = f"w{len(workers)}"
                    workers.append(rec.spawn(name, _worker(kind, op, arg, obj, rec, name, box)))
            elif action[0] == "direct":
                _, op, arg = action
                try:
                    rec("direct", "ok", _direct(kind, op, arg, obj, box))
                except BaseException as exc:  # noqa: BLE001
                    rec("direct", "raise", *exc_id(exc))
            elif action[0] == "step":
                await steps(action[1])
            elif action[0] == "cancel":
                _, idx, msg = action
                if idx < len(workers):
                    t = workers[idx]
                    rec("cancel", t.cancel() if msg is None else t.cancel(msg))
            await _observe(kind, obj, rec, box)
        await steps(3)
        await _observe(kind, obj, rec, box)
        # wind down: release what a Lock/Semaphore worker may hold, wake everyone
        if kind == "Event":
            obj.set()
        elif kind == "Barrier":
            await obj.abort()
        elif kind == "Condition":
            box["v"] += 100
            await steps(2)
        for t in workers:
            t.cancel()
        await drain(rec, limit=200)
        await _observe(kind, obj, rec, box)
        rec("final", [(t.done(), t.cancelled()) for t in workers])
        return rec.events

    return run(flavour, main)


SPEC = {
    "Lock": (["acquire", "with"], ["release"]),
    "Event": (["wait", "wait_for"], ["set", "clear"]),
    "Condition": (
        ["wait", "wait_for", "notify", "notify_all", "bump", "wait_unlocked"],
        ["notify", "notify_all", "bump", "release"],
    ),
    "Semaphore": (["acquire", "with"], ["release"]),
    "BoundedSemaphore": (["acquire", "with"], ["release"]),
}
if HAS_BARRIER:
    SPEC["Barrier"] = (["wait", "with", "reset", "abort"], ["noop"])


def _direct_ops(kind):
    ops = SPEC[kind][1]
    return [o for o in ops if o != "noop"] or ["none"]


@pytest.mark.parametrize("flavour", SCHEDULE_FLAVOURS)
@pytest.mark.parametrize("kind", sorted(SPEC))
def test_random_schedule(kind, flavour):
    spawn_kinds, _ = SPEC[kind]
    direct_kinds = _direct_ops(kind)
    if direct_kinds == ["none"]:
        strategy = st.lists(
            st.one_of(
                st.tuples(st.just("spawn"), st.sampled_from(spawn_kinds), st.integers(0, 3)),
                st.tuples(st.just("step"), st.integers(1, 3)),
                st.tuples(
                    st.just("cancel"),
                    st.integers(0, MAX_WORKERS - 1),
                    st.sampled_from([None, "msg"]),
                ),
            ),
            min_size=1,
            max_size=30,
        )
    else:
        strategy = _actions(spawn_kinds, direct_kinds)

    @given(arg0=st.integers(0, 3), actions=strategy)
    def check(arg0, actions):
        expected = schedule_trace(STDLIB, kind, arg0, actions, flavour)
        actual = schedule_trace(ASYNCLOCKS, kind, arg0, actions, flavour)
        assert actual == expected

    check()


def test_schedule_trace_is_informative():
    """Guard against a harness that records nothing: a known schedule on the
    stdlib gives the known trace."""
    actions = [
        ("spawn", "acquire", 0),
        ("spawn", "acquire", 0),
        ("step", 1),
        ("direct", "release", 0),
        ("step", 1),
    ]
    events = schedule_trace(STDLIB, "Lock", 0, actions, "asyncio")
    assert ("w0", "return", True) in events
    assert ("w1", "return", True) in events
    assert ("obs", "locked, waiters:1", True, 0) in events
