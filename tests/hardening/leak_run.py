"""Leak probe for one scenario, run in a subprocess by tests/test_hardening_leaks.py.

Usage::

    python tests/hardening/leak_run.py IMPL SCENARIO ITERATIONS [LOOP]

IMPL is ``stdlib`` or ``asynclocks``; LOOP is ``asyncio`` (default) or ``uvloop``.
SCENARIO ``list`` prints the scenario names. The scenario runs ITERATIONS // 4
(at least 50) times as a warm-up, then ITERATIONS times; the script prints one
JSON object on the last line of stdout with:

* ``tm_growth``: tracemalloc current size after the run minus after the warm-up
  (both after ``gc.collect()``), in bytes;
* ``rss_growth``: the same for the resident set size (from /proc/self/statm);
* ``refcount_growth``: per persistent object the scenario keeps (and, before
  3.12, True/False/None), growth of ``sys.getrefcount`` over the run;
* ``census``: objects still alive after the loop is closed and ``gc.collect()``
  that are futures, tasks, primitives or asynclocks awaitables (should be 0);
* ``weak_alive``: how many weakly referenced primitives/tasks made by the last
  iterations are still alive after ``gc.collect()`` (should be 0);
* ``destroyed_pending``: "Task was destroyed but it is pending!" reports seen.

It never asserts: the test compares the numbers with bounds, for the stdlib as
a control and for asynclocks.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import json
import os
import queue as _queue
import sys
import tracemalloc
import warnings
import weakref

PY = sys.version_info[:2]
WEAK: collections.deque = collections.deque(maxlen=64)  # weakrefs made by the last iterations
LEAKY: list = []  # only the "leaky_selftest" scenario appends here


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def persist(keep, key, factory, *args):
    """The object stored under key in keep (a dict kept across the warm-up and
    the measured run), made by factory(*args) the first time."""
    if key not in keep:
        keep[key] = factory(*args)
    return keep[key]


def weak(obj):
    WEAK.append(weakref.ref(obj))
    return obj


async def _drain(n=3):
    for _ in range(n):
        await asyncio.sleep(0)


async def _cancel_and_wait(task):
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


# ---------------------------------------------------------------------------
# scenarios: async def scen(ns, n, keep) running n iterations; `keep` is a dict
# of persistent objects (see persist()) whose refcount must not grow.


async def lock_uncontended(ns, n, keep):
    lock = persist(keep, "lock", ns.Lock)
    for _ in range(n):
        await lock.acquire()
        assert lock.locked()
        lock.release()
        async with lock:
            pass
        assert not lock.locked()
    weak(ns.Lock())


async def lock_contended(ns, n, keep):
    lock = persist(keep, "lock", ns.Lock)
    counter = [0]

    async def worker():
        for _ in range(n // 4 + 1):
            async with lock:
                counter[0] += 1
                await asyncio.sleep(0)

    tasks = [weak(asyncio.ensure_future(worker())) for _ in range(4)]
    await asyncio.gather(*tasks)
    assert counter[0] == 4 * (n // 4 + 1)


async def lock_cancelled_waiters(ns, n, keep):
    lock = persist(keep, "lock", ns.Lock)
    for _ in range(n):
        await lock.acquire()
        t = asyncio.ensure_future(lock.acquire())
        await asyncio.sleep(0)
        await _cancel_and_wait(t)
        lock.release()
        # cancelled before it ever ran
        await lock.acquire()
        t2 = asyncio.ensure_future(lock.acquire())
        t2.cancel()
        lock.release()
        try:
            await t2
        except asyncio.CancelledError:
            pass
        assert not lock.locked()
        weak(t)


async def lock_cancel_after_wakeup(ns, n, keep):
    lock = persist(keep, "lock", ns.Lock)
    for _ in range(n):
        await lock.acquire()
        t1 = asyncio.ensure_future(lock.acquire())
        t2 = asyncio.ensure_future(lock.acquire())
        await asyncio.sleep(0)
        lock.release()  # wakes t1
        t1.cancel()  # ... which is cancelled before it runs: t2 must get it
        try:
            await t1
        except asyncio.CancelledError:
            pass
        assert await t2 is True
        assert lock.locked()
        lock.release()
        weak(t1)


async def timeouts(ns, n, keep):
    lock = persist(keep, "lock", ns.Lock)
    ev = persist(keep, "ev", ns.Event)
    sem = persist(keep, "sem", ns.Semaphore, 0)
    cond = persist(keep, "cond", ns.Condition)
    await lock.acquire()
    for _ in range(n):
        for aw in (lock.acquire(), ev.wait(), sem.acquire()):
            try:
                await asyncio.wait_for(aw, 0)
            except asyncio.TimeoutError:
                pass
            else:
                raise AssertionError("no timeout")
        async with cond:
            try:
                await asyncio.wait_for(cond.wait(), 0.0)
            except asyncio.TimeoutError:
                pass
            assert cond.locked()
        if PY >= (3, 11):
            try:
                async with asyncio.timeout(0):
                    await ev.wait()
            except TimeoutError:
                pass
            try:
                async with asyncio.timeout(-1):
                    await lock.acquire()
            except TimeoutError:
                pass
    lock.release()


async def condition(ns, n, keep):
    cond = persist(keep, "cond", ns.Condition)
    box = [0]

    async def waiter():
        async with cond:
            await cond.wait()
            return await cond.wait_for(lambda: box[0] > 0)

    for _ in range(n):
        box[0] = 0
        ws = [asyncio.ensure_future(waiter()) for _ in range(3)]
        await asyncio.sleep(0)
        async with cond:
            cond.notify(1)
            cond.notify_all()
        await asyncio.sleep(0)
        async with cond:
            box[0] = 1
            cond.notify_all()
        assert await asyncio.gather(*ws) == [True] * 3
        # cancelled in wait(), and cancelled after being notified
        c1 = asyncio.ensure_future(waiter())
        c2 = asyncio.ensure_future(waiter())
        await asyncio.sleep(0)
        await _cancel_and_wait(c1)
        async with cond:
            cond.notify()
            c2.cancel()
        try:
            await c2
        except asyncio.CancelledError:
            pass
        assert not cond.locked()
        weak(c1)


async def condition_predicates(ns, n, keep):
    cond = persist(keep, "cond", ns.Condition)

    def bad():
        raise ZeroDivisionError("pred")

    for i in range(n):
        async with cond:
            try:
                await cond.wait_for(bad)
            except ZeroDivisionError:
                pass
            assert await cond.wait_for(lambda i=i: i + 1) == i + 1
        try:
            await cond.wait()
        except RuntimeError:
            pass
        try:
            cond.notify()
        except RuntimeError:
            pass


async def event(ns, n, keep):
    ev = persist(keep, "ev", ns.Event)
    for _ in range(n):
        ws = [asyncio.ensure_future(ev.wait()) for _ in range(3)]
        await asyncio.sleep(0)
        ev.set()
        assert await ev.wait() is True
        ev.clear()
        assert await asyncio.gather(*ws) == [True] * 3
        t = asyncio.ensure_future(ev.wait())
        await asyncio.sleep(0)
        await _cancel_and_wait(t)
        ev.set()
        ev.set()
        ev.clear()
        assert not ev.is_set()
        weak(t)
    weak(ns.Event())


async def semaphore(ns, n, keep):
    sem = persist(keep, "sem", ns.Semaphore, 2)
    bsem = persist(keep, "bsem", ns.BoundedSemaphore, 1)

    async def worker():
        async with sem:
            await asyncio.sleep(0)

    for _ in range(n):
        await asyncio.gather(*[worker() for _ in range(4)])
        async with bsem:
            t = asyncio.ensure_future(bsem.acquire())
            await asyncio.sleep(0)
            await _cancel_and_wait(t)
        try:
            bsem.release()
        except ValueError:
            pass
        # cancellation after wake-up
        await sem.acquire()
        await sem.acquire()
        t1 = asyncio.ensure_future(sem.acquire())
        t2 = asyncio.ensure_future(sem.acquire())
        await asyncio.sleep(0)
        sem.release()
        t1.cancel()
        try:
            await t1
        except asyncio.CancelledError:
            pass
        if t1.cancelled():
            await t2
        else:
            t2.cancel()
            try:
                await t2
            except asyncio.CancelledError:
                sem.release()
        sem.release()
        sem.release()
        assert not sem.locked()
        weak(t1)


async def barrier(ns, n, keep):
    if ns.Barrier is None:
        return
    b = persist(keep, "b", ns.Barrier, 3)
    for _ in range(n):
        rs = await asyncio.gather(*[b.wait() for _ in range(3)])
        assert sorted(rs) == [0, 1, 2]
        # abort with waiters
        ws = [asyncio.ensure_future(b.wait()) for _ in range(2)]
        await asyncio.sleep(0)
        await b.abort()
        for r in await asyncio.gather(*ws, return_exceptions=True):
            assert isinstance(r, ns.BrokenBarrierError), r
        await b.reset()
        # reset with waiters, then a cancelled waiter
        ws = [asyncio.ensure_future(b.wait()) for _ in range(2)]
        await asyncio.sleep(0)
        await b.reset()
        for r in await asyncio.gather(*ws, return_exceptions=True):
            assert isinstance(r, ns.BrokenBarrierError), r
        t = asyncio.ensure_future(b.wait())
        await asyncio.sleep(0)
        await _cancel_and_wait(t)
        await b.reset()
        others = [asyncio.ensure_future(b.wait()) for _ in range(2)]
        async with b as pos:
            assert pos in (0, 1, 2), pos
        assert sorted(await asyncio.gather(*others) + [pos]) == [0, 1, 2]
        weak(t)


async def dropped_while_waiting(ns, n, keep):
    """Primitives and tasks dropped while the tasks wait: only cycles through
    futures and tasks keep them; gc must free them."""
    for i in range(n):
        lock = ns.Lock()
        await lock.acquire()
        ev = ns.Event()
        cond = ns.Condition()
        sem = ns.Semaphore(0)
        objs = [lock, ev, cond, sem]
        tasks = [
            asyncio.ensure_future(lock.acquire()),
            asyncio.ensure_future(ev.wait()),
            asyncio.ensure_future(sem.acquire()),
            asyncio.ensure_future(cond.acquire()),
        ]

        async def cwait(c=cond):
            async with c:
                await c.wait()

        tasks.append(asyncio.ensure_future(cwait()))
        tasks.append(asyncio.ensure_future(cond.wait_for(lambda: False)))
        if ns.Barrier is not None:
            b = ns.Barrier(2)
            objs.append(b)
            tasks.append(asyncio.ensure_future(b.wait()))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        for o in objs + tasks:
            weak(o)
        del lock, ev, cond, sem, objs, tasks, cwait
        if ns.Barrier is not None:
            del b
        if i % 50 == 0:
            gc.collect()


async def awaitables_by_hand(ns, n, keep):
    lock = persist(keep, "lock", ns.Lock)
    ev = persist(keep, "ev", ns.Event)
    for _ in range(n):
        aw = lock.acquire()
        aw.close()
        aw = lock.acquire()
        try:
            aw.send(None)
        except StopIteration as e:
            assert e.value is True
        lock.release()
        aw = ev.wait()
        try:
            aw.throw(ValueError("x"))
        except ValueError:
            pass
        aw = lock.acquire()
        try:
            aw.throw(ValueError, ValueError("y"), None)
        except ValueError:
            pass
        await lock.acquire()
        aw = lock.acquire()
        fut = aw.send(None)  # suspended on a waiter future
        assert isinstance(fut, asyncio.Future)
        try:
            aw.throw(asyncio.CancelledError())
        except asyncio.CancelledError:
            pass
        aw = lock.acquire()
        aw.send(None)
        aw.close()
        aw = lock.acquire()
        aw.send(None)
        del aw  # finalized while suspended: closed
        lock.release()
        assert not lock.locked()
        # never awaited: RuntimeWarning (filtered)
        ev.wait()


async def errors(ns, n, keep):
    lock = persist(keep, "lock", ns.Lock)
    cond = persist(keep, "cond", ns.Condition)
    bsem = persist(keep, "bsem", ns.BoundedSemaphore, 1)
    ev = persist(keep, "ev", ns.Event)
    calls = [
        lock.release,
        cond.notify,
        cond.notify_all,
        cond.release,
        bsem.release,
        lambda: lock.acquire(1),
        lambda: ev.set(x=1),
        lambda: ns.Semaphore(-1),
        lambda: ns.Condition(lock=1),
        lambda: ns.Lock(1),
        lambda: cond.notify(1, 2),
    ]
    for _ in range(n):
        for c in calls:
            try:
                c()
            except (RuntimeError, ValueError, TypeError, AttributeError):
                pass
            else:
                raise AssertionError(f"{c} did not raise")
        for aw in (cond.wait(), cond.wait_for(lambda: True)):
            try:
                await aw
            except RuntimeError:
                pass
        for bad in (lambda: 1 / 0, 5):
            try:
                async with cond:
                    await cond.wait_for(bad)
            except (ZeroDivisionError, TypeError):
                pass


async def _wait_for_thread(ready):
    """Wait until `ready()` is true, where another thread makes it so.

    A few checks between plain ``asyncio.sleep(0)`` yields, then the loop
    sleeps in its selector between checks (at least a millisecond). Spinning
    with ``asyncio.sleep(0)`` alone releases the GIL only for a zero-timeout
    poll, and a thread waiting for the GIL can then lose every race for it:
    it is woken at each release but the loop's thread takes the GIL back
    first, and CPython's forced switch never comes because the GIL keeps
    changing hands (seen on 3.11.7 under tracemalloc: the ``threadsafe``
    scenario took 16 s for 100 iterations, against 0.4 s on 3.10)."""
    spins = 0
    while not ready():
        spins += 1
        await asyncio.sleep(0 if spins < 20 else 1e-4)


async def _until_set(done):
    """Wait until the threading.Event `done` (from _Worker.put) is set."""
    await _wait_for_thread(done.is_set)


class _Worker:
    """A thread running the callables put into it, one at a time."""

    def __init__(self):
        import queue
        import threading

        self.q = queue.SimpleQueue()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while True:
            fn, done = self.q.get()
            try:
                fn()
            finally:
                done.set()
                del fn, done  # keep nothing alive while idle

    def put(self, fn):
        import threading

        done = threading.Event()
        self.q.put((fn, done))
        return done


def _dead_loop_waiter(f, e):
    """In a thread: a loop whose tasks wait on f and e is closed with them pending."""
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda loop, ctx: None)

    async def start():
        loop.create_task(f.wait())
        loop.create_task(e.wait())
        await asyncio.sleep(0)

    loop.run_until_complete(start())
    loop.close()


async def threadsafe(ns, n, keep):
    """ThreadSafeFlag/ThreadSafeEvent: set from the loop and from a thread,
    cancellation before and after the grant, timeouts, wait_sync, closed loops,
    awaitables driven by hand."""
    f = persist(keep, "flag", ns.ThreadSafeFlag)
    e = persist(keep, "tsevent", ns.ThreadSafeEvent)
    worker = persist(keep, "worker", _Worker)

    for i in range(n):
        f.set()
        assert await f.wait() is None
        t = asyncio.ensure_future(f.wait())
        await asyncio.sleep(0)
        await _until_set(worker.put(f.set))
        assert await t is None
        # cancelled before the grant, then after it (passed on to t2)
        t = asyncio.ensure_future(f.wait())
        await asyncio.sleep(0)
        await _cancel_and_wait(t)
        t1 = asyncio.ensure_future(f.wait())
        t2 = asyncio.ensure_future(f.wait())
        await asyncio.sleep(0)
        f.set()
        t1.cancel()
        assert await t2 is None
        await _cancel_and_wait(t1)
        try:
            await asyncio.wait_for(f.wait(), 0)
        except asyncio.TimeoutError:
            pass
        assert not f.is_set()
        # event: tasks and a thread
        ws = [asyncio.ensure_future(e.wait()) for _ in range(3)]
        await asyncio.sleep(0)
        got = []
        done = worker.put(lambda got=got: got.append(e.wait_sync(5)))
        await _wait_for_thread(lambda: "waiters:4" in repr(e))
        e.set()
        assert await asyncio.gather(*ws) == [True] * 3
        await _until_set(done)
        assert got == [True]
        e.clear()
        t = asyncio.ensure_future(e.wait())
        await asyncio.sleep(0)
        await _cancel_and_wait(t)
        assert e.wait_sync(0) is False
        try:
            e.wait_sync(0.0001)  # would block this loop's thread
        except RuntimeError:
            pass
        else:  # pragma: no cover
            raise AssertionError("wait_sync() blocked a running loop")
        # by hand
        aw = f.wait()
        aw.send(None)
        aw.close()
        aw = e.wait()
        aw.close()
        if i % 25 == 0:
            await _until_set(worker.put(lambda: _dead_loop_waiter(f, e)))
            f.set()  # the closed loop's waiter cannot take it
            assert f.is_set()
            f.clear()
            e.set()
            e.clear()
        weak(t)
        weak(t1)
    weak(ns.ThreadSafeFlag())
    weak(ns.ThreadSafeEvent())


async def threadsafe_dropped_while_waiting(ns, n, keep):
    """ThreadSafeFlag/ThreadSafeEvent dropped while tasks wait on them: only
    cycles through their waiter futures keep them; gc must free them."""
    for i in range(n):
        f = ns.ThreadSafeFlag()
        e = ns.ThreadSafeEvent()
        tasks = [asyncio.ensure_future(f.wait()), asyncio.ensure_future(e.wait())]
        await asyncio.sleep(0)
        for o in [f, e] + tasks:
            weak(o)
        del f, e, tasks
        if i % 50 == 0:
            gc.collect()


# --- queues (skipped by the test while asynclocks has none) ----------------

QUEUE_KINDS = ("Queue", "LifoQueue", "PriorityQueue")


async def queue_ops(ns, n, keep):
    """Every path of the three queues on persistent queues: nowait and awaited
    put/get, contended hand-off through a bounded queue, cancelled getters and
    putters (waiting, and after being woken), task_done/join, the errors."""
    for kind in QUEUE_KINDS:
        cls = getattr(ns, kind)
        q = persist(keep, kind, cls)
        b = persist(keep, kind + "-bounded", cls, 1)
        for i in range(n // 4 + 1):
            q.put_nowait((i, "a"))
            q.put_nowait((i, "x"))
            await q.put((i + 1, "b"))
            q.get_nowait()
            await q.get()
            q.get_nowait()
            for _ in range(3):
                q.task_done()
            await q.join()
            for call in (q.get_nowait, q.task_done, lambda b=b: b.put_nowait(0) or b.put_nowait(1)):
                try:
                    call()
                except (asyncio.QueueEmpty, asyncio.QueueFull, ValueError):
                    pass
            b.get_nowait()
            b.task_done()

            async def producer(b=b):
                for j in range(4):
                    await b.put(j)

            async def consumer(b=b):
                for _ in range(4):
                    await b.get()
                    b.task_done()

            await asyncio.gather(producer(), consumer(), b.join())
            # cancelled while waiting, and after being woken
            g1 = asyncio.ensure_future(q.get())
            g2 = asyncio.ensure_future(q.get())
            await asyncio.sleep(0)
            await _cancel_and_wait(g1)
            q.put_nowait("v")
            g2.cancel()
            try:
                await g2
            except asyncio.CancelledError:
                pass
            q.get_nowait()
            q.task_done()
            b.put_nowait(1)
            p1 = asyncio.ensure_future(b.put(2))
            p2 = asyncio.ensure_future(b.put(3))
            await asyncio.sleep(0)
            b.get_nowait()
            p1.cancel()
            try:
                await p1
            except asyncio.CancelledError:
                pass
            await p2
            b.get_nowait()
            b.task_done()
            b.task_done()
            assert q.empty() and b.empty(), (q, b)
            weak(g1)
            weak(p1)
        if kind == "PriorityQueue":
            for _ in range(n // 4 + 1):
                q.put_nowait(1)
                try:
                    q.put_nowait("a")
                except TypeError:
                    pass
                q._queue.clear()
                q._unfinished_tasks = 0
                q._finished.set()
        if PY >= (3, 13):
            for _ in range(n // 8 + 1):
                s = weak(cls(1))
                s.put_nowait(object())
                waiters = [
                    asyncio.ensure_future(s.put(object())),
                    asyncio.ensure_future(s.join()),
                ]
                await asyncio.sleep(0)
                s.shutdown(immediate=True)
                await asyncio.gather(*waiters, return_exceptions=True)
                weak(waiters[0])


async def queue_dropped_with_items(ns, n, keep):
    """Queues dropped while they hold items (that refer to each other and to
    the queue): the queue and the items are freed."""

    class Item:
        def __init__(self, q, i):
            self.q = q
            self.i = i

        def __lt__(self, other):
            return self.i < other.i

    for i in range(n):
        for kind in QUEUE_KINDS:
            q = getattr(ns, kind)(3)
            a, b = Item(q, 2), Item(q, 1)
            a.other, b.other = b, a
            q.put_nowait(a)
            q.put_nowait(b)
            q.put_nowait(Item(None, 0))
            weak(q)
            weak(a)
            del q, a, b
        if i % 50 == 0:
            gc.collect()


async def queue_dropped_while_waiting(ns, n, keep):
    """Queues and tasks dropped while the tasks wait in get(), put() and
    join(): only cycles through futures and tasks keep them; gc frees them."""
    for i in range(n):
        for kind in QUEUE_KINDS:
            empty = getattr(ns, kind)()
            full = getattr(ns, kind)(1)
            full.put_nowait(full)  # the queue holds itself
            tasks = [
                asyncio.ensure_future(empty.get()),
                asyncio.ensure_future(empty.get()),
                asyncio.ensure_future(full.put(empty)),
                asyncio.ensure_future(full.join()),
            ]
            await asyncio.sleep(0)
            for o in (empty, full, *tasks):
                weak(o)
            del empty, full, tasks
        if i % 50 == 0:
            gc.collect()


def _dead_loop_queue_waiters(q):
    """In a thread: a loop whose tasks wait in q's get() and join() is closed
    with them pending."""
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda loop, ctx: None)

    async def start():
        loop.create_task(q.async_q.get())
        loop.create_task(q.async_q.join())
        await asyncio.sleep(0)

    loop.run_until_complete(start())
    loop.close()


async def tsqueue(ns, n, keep):
    """ThreadSafeQueue/LifoQueue/PriorityQueue: items across threads both ways,
    waiting getters and putters, cancellation before and after a cross-thread
    hand-off, timeouts, join, shutdown, closed loops, awaitables by hand."""
    q = persist(keep, "tsq", ns.ThreadSafeQueue, 1)
    pq = persist(keep, "tspq", ns.ThreadSafePriorityQueue)
    lq = persist(keep, "tslq", ns.ThreadSafeLifoQueue)
    worker = persist(keep, "qworker", _Worker)

    for i in range(n):
        item = object()
        await _until_set(worker.put(lambda item=item: q.sync_q.put(item)))
        assert await q.async_q.get() is item
        q.async_q.task_done()
        t = asyncio.ensure_future(q.async_q.get())
        await asyncio.sleep(0)
        await _until_set(worker.put(lambda i=i: q.sync_q.put([i])))
        assert await t == [i]
        q.sync_q.task_done()
        # a getter cancelled while the hand-off from a thread is on its way
        t1 = asyncio.ensure_future(q.async_q.get())
        t2 = asyncio.ensure_future(q.async_q.get())
        await asyncio.sleep(0)
        await _until_set(worker.put(lambda i=i: q.sync_q.put(i)))
        t1.cancel()  # too late if the wake-up already reached t1: it has the item
        try:
            taken = await t1
        except asyncio.CancelledError:
            taken = None
        if taken is not None:
            q.sync_q.task_done()
            q.sync_q.put(i)
        assert await t2 == i
        q.sync_q.task_done()
        # a putter waiting on the full queue, cancelled; then one served
        q.async_q.put_nowait("full")
        t = asyncio.ensure_future(q.async_q.put("wait"))
        await asyncio.sleep(0)
        await _cancel_and_wait(t)
        t = asyncio.ensure_future(q.async_q.put("next"))
        await asyncio.sleep(0)
        assert q.async_q.get_nowait() == "full"
        await t
        got = []
        await _until_set(worker.put(lambda got=got: got.append(q.sync_q.get(timeout=5))))
        assert got == ["next"]
        try:  # would block this loop's thread (or, when slower, times out first)
            q.sync_q.get(timeout=0.0001)
        except (RuntimeError, _queue.Empty):
            pass
        for _ in range(2):  # "full" and "next"
            q.sync_q.task_done()
        # a join released by a thread's task_done
        q.sync_q.put(i)
        j = asyncio.ensure_future(q.async_q.join())
        await asyncio.sleep(0)
        q.sync_q.get()
        await _until_set(worker.put(q.sync_q.task_done))
        await j
        for x in (3, 1, 2):
            pq.sync_q.put((x, object()))
            lq.async_q.put_nowait(x)
        assert [pq.sync_q.get()[0] for _ in range(3)] == [1, 2, 3]
        assert [lq.sync_q.get() for _ in range(3)] == [2, 1, 3]
        aw = q.async_q.get()
        aw.send(None)
        aw.close()
        aw = q.async_q.put(1)
        aw.close()
        if i % 25 == 0:
            s = ns.ThreadSafeQueue()
            await _until_set(worker.put(lambda s=s: _dead_loop_queue_waiters(s)))
            s.sync_q.put("x")  # the closed loop's getter cannot take it
            assert s.sync_q.get_nowait() == "x"
            s.sync_q.task_done()
            s.shutdown(immediate=True)
            weak(s)
            del s
        weak(t)
        weak(t1)
    weak(ns.ThreadSafeQueue())


async def tsqueue_dropped_while_waiting(ns, n, keep):
    """Queues (holding items) dropped while tasks wait in get(), put() and
    join(): only cycles through their waiter futures keep them; gc frees them."""
    for i in range(n):
        q = ns.ThreadSafeQueue(1)
        e = ns.ThreadSafeQueue()
        q.sync_q.put(object())
        tasks = [
            asyncio.ensure_future(q.async_q.put(object())),
            asyncio.ensure_future(q.async_q.join()),
            asyncio.ensure_future(e.async_q.get()),
        ]
        await asyncio.sleep(0)
        for o in [q, e] + tasks:
            weak(o)
        del q, e, tasks
        if i % 50 == 0:
            gc.collect()


async def leaky_selftest(ns, n, keep):
    """Deliberately leaks: proves the probe can detect a leak."""
    lock = persist(keep, "lock", ns.Lock)
    for _ in range(n):
        fut = asyncio.get_running_loop().create_future()
        fut.set_result(lock)
        LEAKY.append(fut)
        LEAKY.append(lock)


SCENARIOS = {
    f.__name__: f
    for f in [
        lock_uncontended,
        lock_contended,
        lock_cancelled_waiters,
        lock_cancel_after_wakeup,
        timeouts,
        condition,
        condition_predicates,
        event,
        semaphore,
        barrier,
        dropped_while_waiting,
        awaitables_by_hand,
        errors,
        threadsafe,
        threadsafe_dropped_while_waiting,
        queue_ops,
        queue_dropped_with_items,
        queue_dropped_while_waiting,
        tsqueue,
        tsqueue_dropped_while_waiting,
        leaky_selftest,
    ]
}


def census(ns) -> dict:
    kinds = {}
    types = [asyncio.Future]
    for name in (
        "Lock",
        "Event",
        "Condition",
        "Semaphore",
        "BoundedSemaphore",
        "Barrier",
        "ThreadSafeFlag",
        "ThreadSafeEvent",
        "Queue",
        "LifoQueue",
        "PriorityQueue",
    ):
        t = getattr(ns, name, None)
        if t is not None:
            types.append(t)
    al_awaitable = None
    if "asynclocks" in sys.modules:
        from asynclocks import _core

        aw = _core.Lock().acquire()
        al_awaitable = type(aw)
        aw.close()
        del aw
    out = {}
    for o in gc.get_objects():
        t = type(o)
        if isinstance(o, tuple(types)) or (al_awaitable is not None and t is al_awaitable):
            out[t.__name__] = out.get(t.__name__, 0) + 1
    if al_awaitable is not None:
        # Finished awaitables kept for reuse are alive on purpose (bounded).
        n = out.pop(al_awaitable.__name__, 0) - _core._recycled_count()
        if n:
            out[al_awaitable.__name__] = n
    kinds.update(out)
    return kinds


def main(argv) -> int:
    if argv[1:2] == ["list"]:
        print("\n".join(SCENARIOS))
        return 0
    impl, scen_name, iterations = argv[1], argv[2], int(argv[3])
    flavour = argv[4] if len(argv) > 4 else "asyncio"
    if impl == "asynclocks":
        import asynclocks as mod

        assert mod.IMPLEMENTATION == "c", mod.IMPLEMENTATION
    else:
        mod = asyncio
    ns = type("NS", (), {})()
    for name in ("Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore", "Barrier"):
        setattr(ns, name, getattr(mod, name, None))
    # no stdlib counterpart: None for the stdlib (those scenarios are not run there)
    ns.ThreadSafeFlag = getattr(mod, "ThreadSafeFlag", None)
    ns.ThreadSafeEvent = getattr(mod, "ThreadSafeEvent", None)
    ns.ThreadSafeQueue = getattr(mod, "ThreadSafeQueue", None)
    ns.ThreadSafeLifoQueue = getattr(mod, "ThreadSafeLifoQueue", None)
    ns.ThreadSafePriorityQueue = getattr(mod, "ThreadSafePriorityQueue", None)
    ns.BrokenBarrierError = getattr(asyncio, "BrokenBarrierError", None)
    for name in QUEUE_KINDS:  # None while asynclocks has no queues
        setattr(ns, name, getattr(mod, name, None))
    scen = SCENARIOS[scen_name]
    if scen_name.startswith("queue") and ns.Queue is None:
        print(f"{impl} has no queues", file=sys.stderr)
        return 3
    warnings.simplefilter("ignore", RuntimeWarning)  # never-awaited coroutines
    warnings.simplefilter("ignore", DeprecationWarning)  # throw(type, value, tb)

    if flavour == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    destroyed = [0]

    def handler(loop, ctx):
        msg = ctx.get("message", "")
        if "destroyed but it is pending" in msg:
            destroyed[0] += 1
        else:  # pragma: no cover - reported to the test through stderr
            sys.stderr.write(f"loop exception handler: {msg} {ctx.get('exception')!r}\n")

    loop.set_exception_handler(handler)
    asyncio.set_event_loop(loop)
    tracemalloc.start(1)
    keep: dict = {}
    loop.run_until_complete(scen(ns, max(iterations // 4, 50), keep))
    gc.collect()
    WEAK.clear()
    specials = [True, False, None] if PY < (3, 12) else []
    watched = list(keep.values()) + specials
    names = list(keep) + [repr(o) for o in specials]
    rc0 = {name: sys.getrefcount(o) for name, o in zip(names, watched)}  # noqa: B905
    tm0 = tracemalloc.get_traced_memory()[0]
    rss0 = rss()
    loop.run_until_complete(scen(ns, iterations, keep))
    gc.collect()
    tm1 = tracemalloc.get_traced_memory()[0]
    rss1 = rss()
    growth = {name: sys.getrefcount(o) - rc0[name] for name, o in zip(names, watched)}  # noqa: B905
    loop.run_until_complete(loop.shutdown_asyncgens())
    asyncio.set_event_loop(None)
    loop.close()
    del loop
    keep.clear()
    del watched
    LEAKY_len = len(LEAKY)
    gc.collect()
    gc.collect()
    alive = sum(1 for w in WEAK if w() is not None)
    cen = census(ns)
    print(
        json.dumps(
            {
                "impl": impl,
                "scenario": scen_name,
                "iterations": iterations,
                "tm_growth": tm1 - tm0,
                "rss_growth": rss1 - rss0,
                "refcount_growth": growth,
                "census": cen,
                "weak_total": len(WEAK),
                "weak_alive": alive,
                "destroyed_pending": destroyed[0],
                "leaky": LEAKY_len,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
