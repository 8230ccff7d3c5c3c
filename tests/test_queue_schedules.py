"""Property tests: random schedules on the queues give the same trace on both implementations.

A schedule is a queue kind (Queue, LifoQueue, PriorityQueue), a maxsize and a
list of driver actions run by the main task: spawn a worker doing one waiting
operation (``put``, ``get``, ``get`` then ``task_done()``, ``join``), call a
non-blocking method directly (``put_nowait``, ``get_nowait``,
``task_done``, and on 3.13+ ``shutdown``), cancel a worker (optionally with a
message) or let the loop run ``sleep(0)`` steps. After every action the
queue's observable state (``paritylib.look``: str, repr, sizes, the private
attributes and the waiting futures' states) is recorded; workers record their
results and exceptions. The stdlib's trace must equal asynclocks'.

``ASYNCLOCKS_HYPOTHESIS_EXAMPLES`` sets the budget: each property runs a
half of it (at least 10) examples, the kind being one of the drawn values.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paritylib import (
    ASYNCLOCKS,
    HAS_SHUTDOWN,
    HYPOTHESIS_EXAMPLES,
    LOOP_FLAVOURS,
    PY,
    QUEUE_KINDS,
    STDLIB,
    Rec,
    drain,
    exc_id,
    look,
    run,
    steps,
    value_id,
)

SCHEDULE_FLAVOURS = LOOP_FLAVOURS + (["eager"] if PY >= (3, 12) else [])
MAX_WORKERS = 8
EXAMPLES = max(10, HYPOTHESIS_EXAMPLES // 2)

SPAWN_OPS = ["put", "get", "get_done", "join"]
DIRECT_OPS = ["put_nowait", "get_nowait", "task_done"] + (
    ["shutdown", "shutdown_now"] if HAS_SHUTDOWN else []
)

ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("spawn"), st.sampled_from(SPAWN_OPS), st.integers(0, 9)),
        st.tuples(st.just("direct"), st.sampled_from(DIRECT_OPS), st.integers(0, 9)),
        st.tuples(st.just("step"), st.integers(1, 3)),
        st.tuples(
            st.just("cancel"), st.integers(0, MAX_WORKERS - 1), st.sampled_from([None, "msg"])
        ),
    ),
    min_size=1,
    max_size=30,
)


def _worker(op, arg, q, rec, name):
    async def w():
        if op == "put":
            return await q.put(arg)
        if op == "get":
            return await q.get()
        if op == "get_done":
            item = await q.get()
            rec(name, "got", value_id(item))
            await steps(arg % 3)
            q.task_done()
            return item
        if op == "join":
            return await q.join()
        raise AssertionError(op)

    return w()


def _direct(op, arg, q):
    if op == "put_nowait":
        return q.put_nowait(arg)
    if op == "get_nowait":
        return q.get_nowait()
    if op == "task_done":
        return q.task_done()
    if op == "shutdown":
        return q.shutdown()
    if op == "shutdown_now":
        return q.shutdown(immediate=True)
    raise AssertionError(op)


def schedule_trace(ns, kind, maxsize, actions, flavour):
    async def main():
        rec = Rec()
        q = getattr(ns, kind)(maxsize)
        workers = []
        for action in actions:
            rec("do", *action)
            if action[0] == "spawn":
                _, op, arg = action
                if len(workers) < MAX_WORKERS:
                    name = f"w{len(workers)}"
                    workers.append(rec.spawn(name, _worker(op, arg, q, rec, name)))
            elif action[0] == "direct":
                _, op, arg = action
                try:
                    rec("direct", "ok", value_id(_direct(op, arg, q)))
                except BaseException as exc:  # noqa: BLE001
                    rec("direct", "raise", *exc_id(exc))
            elif action[0] == "step":
                await steps(action[1])
            elif action[0] == "cancel":
                _, idx, msg = action
                if idx < len(workers):
                    t = workers[idx]
                    rec("cancel", t.cancel() if msg is None else t.cancel(msg))
            rec("obs", look(q))
        await steps(3)
        rec("obs", look(q))
        # wind down: whatever still waits is cancelled, in start order
        for t in workers:
            if not t.done():
                t.cancel()
                await steps()
        await drain(rec, limit=50)
        rec("obs", look(q))
        rec("final", [(t.done(), t.cancelled()) for t in workers])
        return rec.events

    return run(flavour, main)


@pytest.mark.skipif(ASYNCLOCKS.Queue is None, reason="asynclocks has no queues")
@pytest.mark.parametrize("flavour", SCHEDULE_FLAVOURS)
def test_random_queue_schedule(flavour):
    @settings(max_examples=EXAMPLES)
    @given(
        kind=st.sampled_from(QUEUE_KINDS),
        maxsize=st.sampled_from([0, -1, 1, 2, 3]),
        actions=ACTIONS,
    )
    def check(kind, maxsize, actions):
        expected = schedule_trace(STDLIB, kind, maxsize, actions, flavour)
        actual = schedule_trace(ASYNCLOCKS, kind, maxsize, actions, flavour)
        assert actual == expected

    check()


def test_queue_schedule_trace_is_informative():
    """Guard against a harness that records nothing: a known schedule on the
    stdlib gives the known trace."""
    actions = [
        ("spawn", "get", 0),
        ("spawn", "put", 7),
        ("spawn", "put", 8),
        ("step", 1),
        ("direct", "get_nowait", 0),
        ("step", 2),
        ("spawn", "join", 0),
        ("direct", "task_done", 0),
        ("direct", "task_done", 0),
        ("step", 1),
    ]
    events = schedule_trace(STDLIB, "Queue", 1, actions, "asyncio")
    # the getter w0 was woken by w1's put, but the driver took 7 first: w0 waited
    # again and got w2's 8
    assert ("direct", "ok", 7) in events
    assert ("w0", "return", 8) in events
    assert ("w2", "return", None) in events
    assert ("w3", "return", None) in events
    obs = [e[1][0] for e in events if e[0] == "obs"]
    assert "<Queue maxsize=1 _queue=[7] _putters[1] tasks=1>" in obs, obs
