"""ThreadSafeQueue, ThreadSafeLifoQueue, ThreadSafePriorityQueue (janus's API).

Every test runs against each available implementation (the Python one
always, the C one when the extension has it). The async face is compared
with asyncio.Queue on one loop and the sync face with queue.Queue in one
thread (hypothesis-generated schedules, same traces); the rest uses real
threads, several loops, uvloop, signal handlers, timeouts, cancellation
racing a hand-off, shutdown and close at every point, and a bounded stress
test that counts every item."""

from __future__ import annotations

import asyncio
import gc
import importlib
import queue
import random
import signal
import sys
import threading
import types
import weakref

import asynclocks
import paritylib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paritylib import Rec, drain, exc_id, steps
from threadsafelib import DEADLINE, LoopThread, until

PY313 = sys.version_info >= (3, 13)
HAS_SIGUSR1 = hasattr(signal, "SIGUSR1") and hasattr(signal, "pthread_kill")
EXAMPLES = max(10, min(paritylib.HYPOTHESIS_EXAMPLES, 150))


def _impls() -> dict:
    py = importlib.import_module("asynclocks._tsqueue")
    impls = {"python": py}
    try:
        core = importlib.import_module("asynclocks._core")
    except ImportError:
        core = None
    if core is not None and hasattr(core, "ThreadSafeQueue"):
        impls["c"] = core
    return {
        name: types.SimpleNamespace(
            name=name,
            Queue=mod.ThreadSafeQueue,
            LifoQueue=mod.ThreadSafeLifoQueue,
            PriorityQueue=mod.ThreadSafePriorityQueue,
        )
        for name, mod in impls.items()
    }


IMPLS = _impls()
KINDS = ["Queue", "LifoQueue", "PriorityQueue"]
STD_ASYNC = {"Queue": asyncio.Queue, "LifoQueue": asyncio.LifoQueue,
             "PriorityQueue": asyncio.PriorityQueue}  # fmt: skip
STD_SYNC = {"Queue": queue.Queue, "LifoQueue": queue.LifoQueue,
            "PriorityQueue": queue.PriorityQueue}  # fmt: skip


@pytest.fixture(params=sorted(IMPLS), ids=lambda n: n)
def tsq(request):
    """Namespace with Queue, LifoQueue, PriorityQueue of one implementation."""
    return IMPLS[request.param]


def run(flavour, coro):
    return paritylib.run(flavour, lambda: coro)


def count(q, what: str) -> int:
    """Waiting threads and tasks in list ``what`` (getters, putters, joiners), from the repr."""
    import re

    m = re.search(rf"{what}\[(\d+)\]", repr(q))
    return int(m.group(1)) if m else 0


# ---------------------------------------------------------------------------
# API


def test_exports():
    for name in ("ThreadSafeQueue", "ThreadSafeLifoQueue", "ThreadSafePriorityQueue",
                 "SyncQueueShutDown", "AsyncQueueShutDown"):  # fmt: skip
        assert name in asynclocks.__all__ and hasattr(asynclocks, name)
    if PY313:
        assert asynclocks.SyncQueueShutDown is queue.ShutDown
        assert asynclocks.AsyncQueueShutDown is asyncio.QueueShutDown
    else:
        assert issubclass(asynclocks.SyncQueueShutDown, Exception)
        assert issubclass(asynclocks.AsyncQueueShutDown, Exception)
        assert asynclocks.SyncQueueShutDown is not asynclocks.AsyncQueueShutDown


@pytest.mark.parametrize("kind", KINDS)
def test_api_basics(tsq, kind):
    cls = getattr(tsq, kind)
    assert cls[int] is not None  # generic
    q = cls()
    assert q.maxsize == 0 and q.sync_q.maxsize == 0 and q.async_q.maxsize == 0
    q = cls(maxsize=3)
    assert q.maxsize == q.sync_q.maxsize == q.async_q.maxsize == 3
    assert q.sync_q is q.sync_q and q.async_q is q.async_q
    for face in (q, q.sync_q, q.async_q):
        assert face.qsize() == 0 and face.empty() and not face.full()
    assert q.unfinished_tasks == q.sync_q.unfinished_tasks == q.async_q.unfinished_tasks == 0
    q.sync_q.put(2)
    q.async_q.put_nowait(1)
    q.sync_q.put_nowait(3)
    assert q.full() and q.sync_q.full() and q.async_q.full() and q.qsize() == 3
    assert q.unfinished_tasks == 3
    assert "maxsize=3" in repr(q) and "tasks=3" in repr(q)
    got = [q.async_q.get_nowait(), q.sync_q.get(), q.sync_q.get_nowait()]
    assert got == {"Queue": [2, 1, 3], "LifoQueue": [3, 1, 2], "PriorityQueue": [1, 2, 3]}[kind]
    for _ in range(3):
        q.sync_q.task_done()
    with pytest.raises(ValueError, match="task_done"):
        q.async_q.task_done()
    assert not q.closed and not q.sync_q.closed and not q.async_q.closed
    q.close()
    assert q.closed and q.sync_q.closed and q.async_q.closed and "shutdown" in repr(q)


def test_created_outside_a_loop_used_by_several(tsq):
    q = tsq.Queue()

    async def put_get(v):
        await q.async_q.put(v)
        return await q.async_q.get()

    assert asyncio.run(put_get(1)) == 1
    assert run("asyncio", put_get(2)) == 2
    for flavour in paritylib.LOOP_FLAVOURS:
        assert run(flavour, put_get(3)) == 3


def test_wait_closed_and_aclose(tsq):
    async def main():
        q = tsq.Queue()
        with pytest.raises(RuntimeError, match="Waiting for non-closed queue"):
            await q.wait_closed()
        q.sync_q.put(1)
        await q.aclose()
        assert q.closed and q.qsize() == 0 and q.unfinished_tasks == 0
        await q.wait_closed()
        q.close()  # twice is fine
        with pytest.raises(asynclocks.AsyncQueueShutDown):
            await q.async_q.get()
        with pytest.raises(asynclocks.SyncQueueShutDown):
            q.sync_q.put(1)
        return True

    assert run("asyncio", main())


def test_items_left_in_a_dropped_queue_are_freed(tsq):
    class Item:
        pass

    q = tsq.Queue()
    items = [Item() for _ in range(5)]
    refs = [weakref.ref(i) for i in items]
    for i in items:
        q.sync_q.put(i)
    wq = weakref.ref(q)
    del items, q, i
    gc.collect()
    assert all(r() is None for r in refs) and wq() is None


# ---------------------------------------------------------------------------
# The async face against asyncio.Queue on one loop (same traces)

_async_op = st.one_of(
    st.tuples(st.just("spawn_get")),
    st.tuples(st.just("spawn_put"), st.integers(0, 9)),
    st.tuples(st.just("put_nowait"), st.integers(0, 9)),
    st.tuples(st.just("get_nowait")),
    st.tuples(st.just("task_done")),
    st.tuples(st.just("spawn_join")),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(st.just("steps"), st.integers(1, 3)),
    st.tuples(st.just("shutdown"), st.booleans()),
)


def _unfinished(q) -> int:
    return q._unfinished_tasks if isinstance(q, asyncio.Queue) else q.unfinished_tasks


async def _async_schedule(q, rec: Rec, ops) -> None:
    tasks: list = []
    for i, op in enumerate(ops):
        name = op[0]
        if name == "spawn_get":
            tasks.append(rec.spawn(f"get{i}", q.get()))
        elif name == "spawn_put":
            tasks.append(rec.spawn(f"put{i}", q.put(op[1])))
        elif name == "spawn_join":
            tasks.append(rec.spawn(f"join{i}", q.join()))
        elif name == "put_nowait":
            rec.call(f"put_nowait{i}", q.put_nowait, op[1])
        elif name == "get_nowait":
            rec.call(f"get_nowait{i}", q.get_nowait)
        elif name == "task_done":
            rec.call(f"task_done{i}", q.task_done)
        elif name == "cancel":
            if tasks:
                rec(f"cancel{i}", tasks[op[1] % len(tasks)].cancel())
        elif name == "steps":
            await steps(op[1])
        elif name == "shutdown":
            rec.call(f"shutdown{i}", q.shutdown, op[1])
        rec("state", q.qsize(), q.empty(), q.full(), _unfinished(q))
    await steps(3)
    for t in tasks:
        t.cancel()
    await drain(rec)
    rec("end", q.qsize(), _unfinished(q))


def _async_trace(make, ops, flavour) -> list:
    async def main():
        rec = Rec()
        await _async_schedule(make(), rec, ops)
        return rec.events

    return paritylib.run(flavour, main)


ASYNC_SIZES = [("Queue", 0), ("Queue", 1), ("Queue", 2), ("LifoQueue", 1), ("PriorityQueue", 2)]


@pytest.mark.parametrize("kind,maxsize", ASYNC_SIZES)
def test_async_face_parity_schedules(tsq, kind, maxsize, any_flavour):
    ops_strategy = _async_op if PY313 else _async_op.filter(lambda op: op[0] != "shutdown")

    @settings(max_examples=EXAMPLES // 5 + 5)
    @given(st.lists(ops_strategy, max_size=14))
    def prop(ops):
        expected = _async_trace(lambda: STD_ASYNC[kind](maxsize), ops, any_flavour)
        actual = _async_trace(lambda: getattr(tsq, kind)(maxsize).async_q, ops, any_flavour)
        assert actual == expected, paritylib.describe_difference(expected, actual)

    prop()


_G, _P, _J = ("spawn_get",), ("spawn_put", 5), ("spawn_join",)
_S1, _S3 = ("steps", 1), ("steps", 3)
HANDMADE = {
    # a woken getter cancelled before it resumes passes the wake-up on
    "woken-getter-cancelled": (0, [_G, _G, _S1, ("put_nowait", 1), ("cancel", 0), _S3]),
    "waiting-getter-cancelled": (0, [_G, _G, _S1, ("cancel", 0), ("put_nowait", 1), _S3]),
    "woken-putter-cancelled": (1, [("put_nowait", 1), _P, _P, _S1, ("get_nowait",),
                                   ("cancel", 0), _S3]),
    "waiting-putter-cancelled": (1, [("put_nowait", 1), _P, _P, _S1, ("cancel", 0),
                                     ("get_nowait",), _S3]),
    "joiners-released-then-put": (0, [("put_nowait", 1), _J, _J, _S1, ("get_nowait",),
                                      ("task_done",), ("put_nowait", 2), _S3]),
    "joiner-cancelled-after-release": (0, [("put_nowait", 1), _J, _S1, ("get_nowait",),
                                           ("task_done",), ("cancel", 0), _S3]),
    "two-puts-wake-two-getters": (0, [_G, _G, _G, _S1, ("put_nowait", 1), ("put_nowait", 2),
                                      ("get_nowait",), _S3]),
    "shutdown-wakes-all": (1, [("put_nowait", 1), _P, _G, _J, _S1, ("shutdown", False), _S3]),
    "shutdown-immediate": (1, [("put_nowait", 1), _P, _J, _S1, ("shutdown", True), _S3]),
    "shutdown-then-cancel-woken": (0, [_G, _G, _S1, ("shutdown", False), ("cancel", 0), _S3]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(HANDMADE))
@pytest.mark.parametrize("kind", KINDS)
def test_async_face_parity_handmade(tsq, kind, case, any_flavour):
    maxsize, ops = HANDMADE[case]
    if not PY313 and any(op[0] == "shutdown" for op in ops):
        pytest.skip("asyncio.Queue.shutdown() is new in Python 3.13")
    expected = _async_trace(lambda: STD_ASYNC[kind](maxsize), ops, any_flavour)
    actual = _async_trace(lambda: getattr(tsq, kind)(maxsize).async_q, ops, any_flavour)
    assert actual == expected, paritylib.describe_difference(expected, actual)


def test_async_face_woken_getter_finds_queue_empty(tsq, flavour):
    """A getter woken by put_nowait whose item another task takes first waits
    again, at the end of the line (asyncio.Queue's order)."""

    async def scenario(q, rec):
        g1 = rec.spawn("g1", q.get())
        g2 = rec.spawn("g2", q.get())
        await steps(2)
        q.put_nowait("a")  # wakes g1
        rec.call("steal", q.get_nowait)
        q.put_nowait("b")  # wakes g2
        await steps(3)
        q.put_nowait("c")
        await steps(3)
        rec("done", g1.done(), g2.done())

    def trace(make):
        async def main():
            rec = Rec()
            await scenario(make(), rec)
            await drain(rec)
            return rec.events

        return paritylib.run(flavour, main)

    assert trace(lambda: tsq.Queue().async_q) == trace(asyncio.Queue)


# ---------------------------------------------------------------------------
# The sync face against queue.Queue in one thread

_MODES = st.sampled_from(["nowait", "noblock", "t0", "tneg", "tpos"])
_sync_op = st.one_of(
    st.tuples(st.just("put"), st.integers(0, 9), _MODES),
    st.tuples(st.just("get"), _MODES),
    st.tuples(st.just("task_done")),
    st.tuples(st.just("join")),
    st.tuples(st.just("shutdown"), st.booleans()),
)  # fmt: skip


def _sync_trace(q, ops) -> list:
    events: list = []

    def call(label, fn, *args, **kw):
        try:
            events.append((label, "ok", fn(*args, **kw)))
        except Exception as exc:  # noqa: BLE001
            events.append((label, "raise", *exc_id(exc)))

    for i, op in enumerate(ops):
        name = op[0]
        if name in ("put", "get"):
            mode = op[-1]
            args = (op[1],) if name == "put" else ()
            fn = getattr(q, name)
            if mode == "nowait":
                call(f"{name}{i}", getattr(q, f"{name}_nowait"), *args)
            elif mode == "noblock":
                call(f"{name}{i}", fn, *args, block=False)
            elif mode == "t0":
                call(f"{name}{i}", fn, *args, timeout=0)
            elif mode == "tneg":
                call(f"{name}{i}", fn, *args, timeout=-1)
            else:  # a short positive timeout, only when it cannot wait
                would_wait = (q.maxsize > 0 and q.qsize() >= q.maxsize) if name == "put" else (
                    q.qsize() == 0)  # fmt: skip
                call(f"{name}{i}", fn, *args, timeout=0.001 if would_wait else 10)
        elif name == "task_done":
            call(f"task_done{i}", q.task_done)
        elif name == "join":
            if q.unfinished_tasks == 0:
                call(f"join{i}", q.join)
        elif name == "shutdown":
            call(f"shutdown{i}", q.shutdown, op[1])
        events.append(("state", q.qsize(), q.empty(), q.full(), q.unfinished_tasks))
    return events


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("maxsize", [0, 2])
def test_sync_face_parity_schedules(tsq, kind, maxsize):
    ops_strategy = _sync_op if PY313 else _sync_op.filter(lambda op: op[0] != "shutdown")

    @settings(max_examples=EXAMPLES // 3 + 5)
    @given(st.lists(ops_strategy, max_size=16))
    def prop(ops):
        expected = _sync_trace(STD_SYNC[kind](maxsize), ops)
        actual = _sync_trace(getattr(tsq, kind)(maxsize).sync_q, ops)
        assert actual == expected

    prop()


def test_sync_face_errors_match_queue(tsq):
    ref, q = queue.Queue(1), tsq.Queue(1).sync_q
    for obj in (ref, q):
        obj.put(1)
    for meth, args, kw in [
        ("get", (), {"timeout": -1}),
        ("put", (2,), {"timeout": -1}),
        ("put", (2,), {"block": False}),
        ("put_nowait", (2,), {}),
        ("put", (2,), {"timeout": 0.001}),
    ]:
        outcomes = []
        for obj in (ref, q):
            with pytest.raises(Exception) as info:
                getattr(obj, meth)(*args, **kw)
            outcomes.append(exc_id(info.value))
        assert outcomes[0] == outcomes[1], (meth, kw)
    for obj in (ref, q):
        obj.get()
        obj.task_done()
    outcomes = []
    for obj in (ref, q):
        with pytest.raises(ValueError) as info:
            obj.task_done()
        outcomes.append(str(info.value))
    assert outcomes[0] == outcomes[1]
    for obj in (ref, q):
        with pytest.raises(queue.Empty):
            obj.get(timeout=0.001)


# ---------------------------------------------------------------------------
# Threads, several loops, uvloop


def test_thread_to_task_stream_keeps_order(tsq, flavour):
    n = 3000

    async def main():
        q = tsq.Queue(16)
        th = threading.Thread(target=lambda: [q.sync_q.put(i) for i in range(n)])
        th.start()
        got = [await q.async_q.get() for _ in range(n)]
        await asyncio.to_thread(th.join)
        return got

    assert run(flavour, main()) == list(range(n))


def test_task_to_thread_stream_keeps_order(tsq, flavour):
    n = 3000
    got: list = []

    async def main():
        q = tsq.Queue(16)
        th = threading.Thread(target=lambda: got.extend(q.sync_q.get() for _ in range(n)))
        th.start()
        for i in range(n):
            await q.async_q.put(i)
        await asyncio.to_thread(th.join, DEADLINE)
        return True

    assert run(flavour, main())
    assert got == list(range(n))


def test_busy_consumer_loop_is_not_woken_per_item(tsq):
    """A loop is woken only when one of its tasks waits: while the consumer
    task is busy, a producer thread's puts never call call_soon_threadsafe;
    with one task waiting, a stream of puts wakes the loop once."""
    callers: list = []

    async def main():
        loop = asyncio.get_running_loop()
        orig = loop.call_soon_threadsafe

        def counting(*args, **kw):
            callers.append(threading.get_ident())
            return orig(*args, **kw)

        loop.call_soon_threadsafe = counting
        q = tsq.Queue()
        th = threading.Thread(target=lambda: [q.sync_q.put(i) for i in range(500)])
        th.start()
        th.join()  # the loop is busy (blocked here): nobody waits
        got = [await q.async_q.get() for _ in range(500)]
        assert callers == []
        waiter = asyncio.ensure_future(q.async_q.get())
        await steps(2)
        th = threading.Thread(target=lambda: [q.sync_q.put(i) for i in range(100)])
        th.start()
        th.join()  # blocks the loop: the waiter cannot resume before the last put
        assert callers == [th.ident]
        assert await waiter == 0
        return got

    assert run("asyncio", main()) == list(range(500))


@pytest.mark.parametrize("loops", [2, 3])
def test_several_loops_consume_each_item_once(tsq, flavour, loops):
    n = 2000
    q = tsq.Queue(8)
    got: list = []
    lock = threading.Lock()

    async def consume():
        mine = []
        while True:
            try:
                item = await q.async_q.get()
            except asynclocks.AsyncQueueShutDown:
                break
            mine.append(item)
            q.async_q.task_done()
        with lock:
            got.extend(mine)
        return len(mine)

    lts = [LoopThread(flavour) for _ in range(loops)]
    try:
        futs = [lt.submit(consume()) for lt in lts for _ in range(2)]
        for i in range(n):
            q.sync_q.put(i)
        q.sync_q.join()
        q.shutdown()
        counts = [f.result(DEADLINE) for f in futs]
    finally:
        for lt in lts:
            lt.close()
    assert sorted(got) == list(range(n)) and sum(counts) == n


def test_stress_producers_consumers_threads_and_loops(tsq):
    """Producer threads and tasks of two loops, consumer threads and tasks of
    two loops: every item arrives once, per producer in order (FIFO)."""
    producers, per = 6, 600
    q = tsq.Queue(32)
    results: list = []
    lock = threading.Lock()

    per_consumer: list = []

    def record(mine):
        with lock:
            results.extend(mine)
            per_consumer.append(mine)

    def thread_consumer():
        mine = []
        while True:
            try:
                mine.append(q.sync_q.get(timeout=DEADLINE))
            except asynclocks.SyncQueueShutDown:
                break
        record(mine)

    async def task_consumer():
        mine = []
        while True:
            try:
                mine.append(await q.async_q.get())
            except asynclocks.AsyncQueueShutDown:
                break
        record(mine)

    def thread_producer(p):
        for i in range(per):
            q.sync_q.put((p, i))

    async def task_producer(p):
        for i in range(per):
            await q.async_q.put((p, i))
            if i % 50 == 0:
                await asyncio.sleep(0)

    lts = [LoopThread("asyncio"), LoopThread(paritylib.LOOP_FLAVOURS[-1])]
    try:
        cons = [threading.Thread(target=thread_consumer) for _ in range(2)]
        cfuts = [lt.submit(task_consumer()) for lt in lts for _ in range(2)]
        for t in cons:
            t.start()
        prods = [threading.Thread(target=thread_producer, args=(p,)) for p in range(3)]
        pfuts = [lts[p % 2].submit(task_producer(p)) for p in range(3, producers)]
        for t in prods:
            t.start()
        for t in prods:
            t.join(DEADLINE)
        for f in pfuts:
            f.result(DEADLINE)
        until(lambda: q.empty(), "consumers to drain the queue")
        q.shutdown()
        for t in cons:
            t.join(DEADLINE)
        for f in cfuts:
            f.result(DEADLINE)
    finally:
        for lt in lts:
            lt.close()
    assert len(results) == producers * per
    assert sorted(results) == sorted((p, i) for p in range(producers) for i in range(per))
    for mine in per_consumer:  # each consumer saw each producer's items in order
        for p in range(producers):
            seq = [i for (pp, i) in mine if pp == p]
            assert seq == sorted(seq)
    assert q.unfinished_tasks == producers * per


def test_fifo_order_per_producer_single_consumer(tsq):
    q = tsq.Queue(4)
    got: list = []

    def producer(p):
        for i in range(500):
            q.sync_q.put((p, i))

    async def main():
        ths = [threading.Thread(target=producer, args=(p,)) for p in range(4)]
        for t in ths:
            t.start()
        for _ in range(2000):
            got.append(await q.async_q.get())
        for t in ths:
            await asyncio.to_thread(t.join)

    run("asyncio", main())
    for p in range(4):
        assert [i for (pp, i) in got if pp == p] == list(range(500))


def test_sync_threads_and_tasks_share_one_line(tsq):
    """Threads and tasks wait in one FIFO: the first to wait is served first."""

    async def main():
        q = tsq.Queue()
        order: list = []
        th = threading.Thread(target=lambda: order.append(("thread", q.sync_q.get())))
        th.start()
        until(lambda: count(q, "getters") == 1, "the thread to wait")
        task = asyncio.ensure_future(q.async_q.get())
        await steps(2)
        assert count(q, "getters") == 2
        q.async_q.put_nowait("first")
        await asyncio.to_thread(th.join, DEADLINE)
        q.async_q.put_nowait("second")
        assert await task == "second"
        return order

    assert run("asyncio", main()) == [("thread", "first")]


# ---------------------------------------------------------------------------
# Blocking sync calls: RuntimeError in a loop's thread, timeouts, signals


def test_blocking_sync_call_in_a_loop_thread_raises(tsq, flavour):
    async def main():
        q = tsq.Queue(1)
        with pytest.raises(RuntimeError, match="async_q.get"):
            q.sync_q.get()
        with pytest.raises(RuntimeError, match="async_q.get"):
            q.sync_q.get(timeout=5)
        with pytest.raises(queue.Empty):
            q.sync_q.get(timeout=0)  # would not wait
        with pytest.raises(queue.Empty):
            q.sync_q.get(block=False)
        q.sync_q.put(1)  # room: no wait
        assert q.sync_q.get() == 1  # an item: no wait
        q.sync_q.put(1)
        with pytest.raises(RuntimeError, match="async_q.put"):
            q.sync_q.put(2)
        with pytest.raises(RuntimeError, match="async_q.join"):
            q.sync_q.join()
        assert count(q, "getters") + count(q, "putters") + count(q, "joiners") == 0
        return True

    assert run(flavour, main())


def test_sync_timeouts_leave_no_waiter(tsq):
    q = tsq.Queue(1)
    with pytest.raises(queue.Empty):
        q.sync_q.get(timeout=0.01)
    q.sync_q.put(1)
    with pytest.raises(queue.Full):
        q.sync_q.put(2, timeout=0.01)
    assert "getters" not in repr(q) and "putters" not in repr(q)
    # a timed get that an item reaches in time
    q.sync_q.get()
    threading.Timer(0.02, q.sync_q.put, (3,)).start()
    assert q.sync_q.get(timeout=DEADLINE) == 3


@pytest.mark.skipif(not HAS_SIGUSR1, reason="needs SIGUSR1 and pthread_kill")
def test_blocking_get_interrupted_by_signal_handler(tsq):
    q = tsq.Queue()
    main_id = threading.get_ident()

    class Interrupted(Exception):
        pass

    def raising(signum, frame):
        raise Interrupted

    old = signal.signal(signal.SIGUSR1, raising)
    try:
        threading.Timer(0.02, signal.pthread_kill, (main_id, signal.SIGUSR1)).start()
        with pytest.raises(Interrupted):
            q.sync_q.get()
        assert count(q, "getters") == 0
        # a handler that puts an item: the blocked get() returns it
        signal.signal(signal.SIGUSR1, lambda s, f: q.sync_q.put_nowait("from handler"))
        threading.Timer(0.02, signal.pthread_kill, (main_id, signal.SIGUSR1)).start()
        assert q.sync_q.get(timeout=DEADLINE) == "from handler"
        # KeyboardInterrupt (SIGINT's default handler) interrupts put() on a full queue
        signal.signal(signal.SIGUSR1, signal.default_int_handler)
        full = tsq.Queue(1)
        full.sync_q.put(0)
        threading.Timer(0.02, signal.pthread_kill, (main_id, signal.SIGUSR1)).start()
        with pytest.raises(KeyboardInterrupt):
            full.sync_q.put(1)
        assert count(full, "putters") == 0 and full.qsize() == 1
    finally:
        signal.signal(signal.SIGUSR1, old)


@pytest.mark.skipif(not HAS_SIGUSR1, reason="needs SIGUSR1 and pthread_kill")
@pytest.mark.parametrize("how", ["signal.signal", "add_signal_handler"])
def test_signal_handler_puts_for_a_waiting_task(tsq, flavour, how):
    async def main():
        loop = asyncio.get_running_loop()
        q = tsq.Queue()
        main_id = threading.get_ident()
        if how == "signal.signal":
            old = signal.signal(signal.SIGUSR1, lambda s, f: q.sync_q.put_nowait("sig"))
        else:
            loop.add_signal_handler(signal.SIGUSR1, q.async_q.put_nowait, "sig")
        try:
            threading.Timer(0.02, signal.pthread_kill, (main_id, signal.SIGUSR1)).start()
            return await asyncio.wait_for(q.async_q.get(), DEADLINE)
        finally:
            if how == "signal.signal":
                signal.signal(signal.SIGUSR1, old)
            else:
                loop.remove_signal_handler(signal.SIGUSR1)

    assert run(flavour, main()) == "sig"


# ---------------------------------------------------------------------------
# Cancellation racing a hand-off


@pytest.mark.parametrize("order", ["deliver-first", "cancel-first"])
@pytest.mark.parametrize("second_getter", [True, False])
def test_cancelled_get_during_cross_thread_handoff(tsq, order, second_getter):
    """A put from outside the loop queues the wake-up (call_soon_threadsafe);
    the getter is cancelled before it resumes: it consumes nothing, and the
    wake-up goes to the next getter (or the item stays queued)."""
    loop = asyncio.new_event_loop()
    try:
        q = tsq.Queue()
        t1 = loop.create_task(q.async_q.get())
        t2 = loop.create_task(q.async_q.get()) if second_getter else None
        loop.run_until_complete(asyncio.sleep(0))
        assert count(q, "getters") == (2 if second_getter else 1)
        if order == "deliver-first":
            q.sync_q.put("x")  # no running loop here: call_soon_threadsafe
            t1.cancel()
        else:
            t1.cancel()
            q.sync_q.put("x")
        for _ in range(5):
            loop.run_until_complete(asyncio.sleep(0))
        assert t1.cancelled()
        if second_getter:
            assert t2.done() and t2.result() == "x" and q.qsize() == 0
        else:
            assert q.qsize() == 1 and q.sync_q.get_nowait() == "x"
        assert count(q, "getters") == 0
    finally:
        paritylib._finish(loop)


@pytest.mark.parametrize("order", ["deliver-first", "cancel-first"])
def test_cancelled_put_during_cross_thread_handoff(tsq, order):
    loop = asyncio.new_event_loop()
    try:
        q = tsq.Queue(1)
        q.sync_q.put("old")
        t1 = loop.create_task(q.async_q.put("p1"))
        t2 = loop.create_task(q.async_q.put("p2"))
        loop.run_until_complete(asyncio.sleep(0))
        assert count(q, "putters") == 2
        if order == "deliver-first":
            assert q.sync_q.get() == "old"
            t1.cancel()
        else:
            t1.cancel()
            assert q.sync_q.get() == "old"
        for _ in range(5):
            loop.run_until_complete(asyncio.sleep(0))
        assert t1.cancelled() and t2.done()
        assert q.sync_q.get_nowait() == "p2" and q.qsize() == 0
    finally:
        paritylib._finish(loop)


def test_cancellation_racing_handoff_from_threads_conserves_items(tsq, flavour):
    """Getters of a loop are cancelled at random while threads put: every
    item is either received by a getter or still in the queue."""
    rounds = 150
    q = tsq.Queue()
    received: list = []
    rng = random.Random(7)

    async def getter():
        received.append(await q.async_q.get())

    with LoopThread(flavour) as lt:
        for r in range(rounds):
            futs = [lt.call(lambda: asyncio.ensure_future(getter())) for _ in range(2)]
            until(lambda: count(q, "getters") == 2, "getters to wait")
            victim = futs[rng.randrange(2)]
            th = threading.Thread(target=q.sync_q.put, args=(r,))
            th.start()
            if rng.random() < 0.5:
                lt.loop.call_soon_threadsafe(victim.cancel)
            else:
                lt.call(victim.cancel)
            th.join()
            lt.call(lambda: None)

            def settled(futs=futs):
                return all(f.done() for f in futs) or (
                    q.qsize() == 0 and sum(not f.done() for f in futs) == 1)  # fmt: skip

            until(settled, "the hand-off to settle")
            for f in futs:
                if not f.done():
                    lt.loop.call_soon_threadsafe(f.cancel)
            until(lambda futs=futs: all(f.done() for f in futs), "getters to finish")
    left = []
    while not q.empty():
        left.append(q.sync_q.get_nowait())
    assert sorted(received + left) == list(range(rounds))


def test_getter_of_a_closed_loop_passes_the_item_on(tsq):
    q = tsq.Queue()
    lt = LoopThread("asyncio")
    task = lt.call(lambda: asyncio.ensure_future(q.async_q.get()))  # its loop will be closed
    task._log_destroy_pending = False
    until(lambda: count(q, "getters") == 1, "the task to wait")
    lt.stop()
    lt.loop.close()
    got: list = []
    th = threading.Thread(target=lambda: got.append(q.sync_q.get(timeout=DEADLINE)))
    th.start()
    until(lambda: count(q, "getters") == 2, "the thread to wait")
    q.sync_q.put("x")  # the closed loop refuses the wake-up: it goes to the thread
    th.join(DEADLINE)
    assert got == ["x"]


# ---------------------------------------------------------------------------
# Shutdown and close at every point


@pytest.mark.parametrize("immediate", [False, True])
def test_shutdown_wakes_threads_and_tasks_of_two_loops(tsq, immediate):
    q = tsq.Queue(1)
    q.sync_q.put("item")
    errors: list = []

    def thread_call(fn, *args):
        try:
            fn(*args)
            errors.append(("ok", fn.__name__))
        except Exception as exc:  # noqa: BLE001
            errors.append((type(exc).__name__, fn.__name__))

    async def task_call(fn, *args):
        try:
            await fn(*args)
            return ("ok", fn.__name__)
        except Exception as exc:  # noqa: BLE001
            return (type(exc).__name__, fn.__name__)

    with LoopThread("asyncio") as a, LoopThread(paritylib.LOOP_FLAVOURS[-1]) as b:
        ths = [threading.Thread(target=thread_call, args=(q.sync_q.put, 1)),
               threading.Thread(target=thread_call, args=(q.sync_q.join,))]  # fmt: skip
        for t in ths:
            t.start()
        futs = [a.submit(task_call(q.async_q.put, 2)), b.submit(task_call(q.async_q.join))]
        until(lambda: count(q, "putters") == 2 and count(q, "joiners") == 2, "waiters")
        getter_q = tsq.Queue()
        gths = [threading.Thread(target=thread_call, args=(getter_q.sync_q.get,))]
        gths[0].start()
        gfut = b.submit(task_call(getter_q.async_q.get))
        until(lambda: count(getter_q, "getters") == 2, "getters")
        q.shutdown(immediate)
        getter_q.shutdown(immediate)
        if not immediate:  # join() waits for the item left: close() drops it
            until(lambda: count(q, "putters") == 0, "putters to leave")
            assert count(q, "joiners") == 2
            q.close()
        for t in ths + gths:
            t.join(DEADLINE)
        results = sorted(errors + [f.result(DEADLINE) for f in futs] + [gfut.result(DEADLINE)])
    shut = ("ShutDown", "QueueShutDown")
    puts = [r for r in results if r[1] == "put"]
    assert all(r[0] in shut for r in puts) and len(puts) == 2
    gets = [r for r in results if r[1] == "get"]
    assert all(r[0] in shut for r in gets) and len(gets) == 2
    assert [r for r in results if r[1] == "join"] == [("ok", "join"), ("ok", "join")]
    assert q.qsize() == 0 and q.unfinished_tasks == 0


def test_shutdown_lets_getters_drain_then_raises(tsq):
    async def main():
        q = tsq.Queue()
        for i in range(3):
            q.sync_q.put(i)
        q.shutdown()
        with pytest.raises(asynclocks.AsyncQueueShutDown):
            q.async_q.put_nowait(9)
        with pytest.raises(asynclocks.SyncQueueShutDown):
            q.sync_q.put(9)
        got = [q.sync_q.get(), await q.async_q.get(), q.async_q.get_nowait()]
        with pytest.raises(asynclocks.SyncQueueShutDown):
            q.sync_q.get()
        with pytest.raises(asynclocks.AsyncQueueShutDown):
            await q.async_q.get()
        with pytest.raises(asynclocks.AsyncQueueShutDown):
            q.async_q.get_nowait()
        return got

    assert run("asyncio", main()) == [0, 1, 2]


def test_sync_shutdown_matches_queue_on_every_version(tsq):
    """queue.Queue's 3.13 shutdown semantics, on every version (checked
    against queue.Queue where it has shutdown())."""
    q = tsq.Queue()
    for i in range(3):
        q.sync_q.put(i)
    q.sync_q.get()
    q.sync_q.shutdown(immediate=True)
    assert q.qsize() == 0 and q.unfinished_tasks == 1
    q.sync_q.task_done()
    with pytest.raises(ValueError):
        q.sync_q.task_done()
    q.sync_q.join()
    if PY313:
        ref = queue.Queue()
        for i in range(3):
            ref.put(i)
        ref.get()
        ref.shutdown(immediate=True)
        assert ref.qsize() == 0 and ref.unfinished_tasks == 1


def test_queue_dropped_with_waiters_of_a_closed_loop_is_collected(tsq, flavour):
    """Tasks of a loop that was closed wait forever: once nothing else refers
    to the queue, it is collected with its waiters (no leak)."""
    lt = LoopThread(flavour)
    q = tsq.Queue(1)
    q.sync_q.put("full")
    getter_q = tsq.Queue()
    for _ in range(2):
        for coro in (q.async_q.put("x"), getter_q.async_q.get(), q.async_q.join()):
            task = lt.call(asyncio.ensure_future, coro)
            task._log_destroy_pending = False
    del task, coro
    until(lambda a=q, b=getter_q: count(a, "putters") == 2 and count(b, "getters") == 2, "waiters")
    lt.stop()
    lt.loop.close()
    refs = [weakref.ref(q), weakref.ref(getter_q)]
    del q, getter_q
    for _ in range(3):
        gc.collect()
    assert [r() for r in refs] == [None, None]


def test_docs_example_runs():
    """docs/threadsafe-queue.md's example (<!-- example: threadsafe-queue -->)."""
    import pathlib
    import subprocess

    doc = pathlib.Path(__file__).resolve().parent.parent / "docs" / "threadsafe-queue.md"
    if not doc.exists():
        pytest.skip("docs/ not beside the tests")
    text = doc.read_text()
    marker = "<!-- example: threadsafe-queue -->\n"
    block = text.split(marker, 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    out = subprocess.run(
        [sys.executable, "-c", block], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout == "55\n"


@pytest.mark.parametrize("impl_name", sorted(IMPLS))
def test_interpreter_exit_with_waiters(impl_name):
    """A daemon thread blocked in sync_q.get() and a task of a loop running in
    another daemon thread, waiting in async_q.get(), at interpreter exit."""
    import subprocess

    module = "asynclocks._tsqueue" if impl_name == "python" else "asynclocks._core"
    code = f"""
import asyncio, importlib, threading, time
mod = importlib.import_module({module!r})
q = mod.ThreadSafeQueue()
threading.Thread(target=q.sync_q.get, daemon=True).start()
loop = asyncio.new_event_loop()
threading.Thread(target=loop.run_forever, daemon=True).start()
asyncio.run_coroutine_threadsafe(q.async_q.get(), loop)
while "getters[2]" not in repr(q):
    time.sleep(0.001)
print("exiting")
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (out.returncode, out.stdout, out.stderr) == (0, "exiting\n", "")


def test_keyword_arguments_as_the_stdlib(tsq):
    """put(item=...), put_nowait(item=...), get(block=..., timeout=...),
    shutdown(immediate=...) by keyword, as queue.Queue and asyncio.Queue
    accept them."""

    async def main():
        q = tsq.Queue()
        q.sync_q.put(item=1, block=True, timeout=1)
        q.sync_q.put_nowait(item=2)
        q.async_q.put_nowait(item=3)
        await q.async_q.put(item=4)
        got = [q.sync_q.get(block=True, timeout=1), q.sync_q.get(block=False)]
        got += [q.async_q.get_nowait(), await q.async_q.get()]
        q.async_q.shutdown(immediate=True)
        return got

    assert run("asyncio", main()) == [1, 2, 3, 4]
    with pytest.raises(TypeError):
        tsq.Queue().sync_q.put_nowait()
    with pytest.raises(TypeError):
        tsq.Queue().async_q.put_nowait(1, 2)
