"""Misuse scenarios, one per subprocess (a crash must not take pytest down).

Usage::

    python tests/hardening/misuse_run.py IMPL SCENARIO

Prints one JSON line (the scenario's trace) on the last line of stdout. The
test runs it for ``stdlib`` and ``asynclocks`` and compares the traces.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import sys
import threading
import warnings

PY = sys.version_info[:2]
_OBJ_RE = re.compile(r"<(?:[\w.]+\.)?(\w+) object at 0x[0-9a-fA-F]+")
_AT_RE = re.compile(r" at 0x[0-9a-fA-F]+")  # the queues' repr


def norm(text):
    return _AT_RE.sub(" at 0x", _OBJ_RE.sub(r"<\1 object", text))


def exc_id(exc):
    return [type(exc).__name__, norm(str(exc))]


def outcome(fn):
    try:
        v = fn()
    except BaseException as exc:  # noqa: BLE001
        return ["raise"] + exc_id(exc)
    if v is None or isinstance(v, (bool, int, str)):
        return ["ok", v]
    return ["ok", type(v).__name__]


def state(obj):
    m = re.search(r"\[([^\[\]]*)\]>$", repr(obj))
    return m.group(1) if m else repr(obj)


SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__] = fn
    return fn


@scenario
def release_from_thread(ns, trace):
    """lock.release() called from another thread while the loop runs."""

    async def main():
        lock = ns.Lock()
        await lock.acquire()
        waiter = asyncio.ensure_future(lock.acquire())
        await asyncio.sleep(0)
        done = threading.Event()

        def other():
            trace.append(["thread release", outcome(lock.release)])
            done.set()

        th = threading.Thread(target=other)
        th.start()
        th.join()
        # the thread's set_result is not thread-safe; wake the loop so it
        # notices, and make sure the waiter finishes one way or another
        for _ in range(20):
            await asyncio.sleep(0)
            if waiter.done():
                break
        if not waiter.done():
            waiter.cancel()
        res = await asyncio.gather(waiter, return_exceptions=True)
        trace.append(["waiter", type(res[0]).__name__, state(lock)])

    asyncio.run(main())


@scenario
def event_set_threadsafe(ns, trace):
    async def main():
        ev = ns.Event()
        loop = asyncio.get_running_loop()
        ws = [asyncio.ensure_future(ev.wait()) for _ in range(3)]
        await asyncio.sleep(0)
        th = threading.Thread(target=loop.call_soon_threadsafe, args=(ev.set,))
        th.start()
        th.join()
        trace.append(["waited", await asyncio.gather(*ws), state(ev)])
        ev.clear()
        w = asyncio.ensure_future(ev.wait())
        await asyncio.sleep(0)
        th = threading.Thread(target=ev.set)  # directly from a thread: not safe, no crash
        th.start()
        th.join()
        for _ in range(20):
            await asyncio.sleep(0)
            if w.done():
                break
        if not w.done():
            loop.call_soon_threadsafe(lambda: None)
            await asyncio.sleep(0.01)
        if not w.done():
            w.cancel()
        trace.append(["direct", ev.is_set()])
        await asyncio.gather(w, return_exceptions=True)

    asyncio.run(main())


@scenario
def hammer_from_threads(ns, trace):
    """Several threads calling the sync methods while the loop runs: no crash."""

    async def main():
        lock = ns.Lock()
        ev = ns.Event()
        sem = ns.Semaphore(3)
        cond = ns.Condition()
        stop = threading.Event()

        def worker():
            while not stop.is_set():
                for fn in (
                    lock.locked,
                    ev.is_set,
                    ev.set,
                    ev.clear,
                    sem.locked,
                    cond.locked,
                    lambda: repr(lock),
                    lambda: repr(sem),
                ):
                    try:
                        fn()
                    except RuntimeError:
                        pass

        ths = [threading.Thread(target=worker) for _ in range(3)]
        for t in ths:
            t.start()
        for _ in range(300):
            async with lock:
                await asyncio.sleep(0)
            async with sem:
                pass
            async with cond:
                cond.notify_all()
        stop.set()
        for t in ths:
            t.join()
        trace.append(["done", state(lock)])

    asyncio.run(main())


@scenario
def two_loops(ns, trace):
    lock = ns.Lock()
    ev = ns.Event()
    sem = ns.Semaphore(0)
    cond = ns.Condition()
    objs = [lock, ev, sem, cond]
    if ns.Barrier is not None:
        objs.append(ns.Barrier(2))

    async def wait_on(o):
        if o is lock:
            await lock.acquire()
            t = asyncio.ensure_future(lock.acquire())
        elif o is ev:
            t = asyncio.ensure_future(ev.wait())
        elif o is sem:
            t = asyncio.ensure_future(sem.acquire())
        elif o is cond:

            async def cw():
                async with cond:
                    await cond.wait()

            t = asyncio.ensure_future(cw())
        else:
            t = asyncio.ensure_future(o.wait())
        await asyncio.sleep(0)
        t.cancel()
        await asyncio.gather(t, return_exceptions=True)
        if o is lock:
            lock.release()

    async def again(o):
        try:
            await wait_on(o)
        except BaseException as exc:  # noqa: BLE001
            return ["raise"] + exc_id(exc)
        return ["ok"]

    for o in objs:
        asyncio.run(wait_on(o))  # binds o to that (now closed) loop
    for o in objs:
        trace.append([type(o).__name__, asyncio.run(again(o)), state(o)])
    # the uncontended path never touches the loop
    trace.append(["uncontended", asyncio.run(_uncontended(lock, ev, sem))])


async def _uncontended(lock, ev, sem):
    async with lock:
        pass
    ev.set()
    await ev.wait()
    sem.release()
    await sem.acquire()
    return True


@scenario
def await_twice(ns, trace):
    async def main():
        lock = ns.Lock()
        aw = lock.acquire()
        trace.append(["first", await aw])
        try:
            await aw
        except BaseException as exc:  # noqa: BLE001
            trace.append(["second"] + exc_id(exc))
        lock.release()
        aw = lock.acquire()
        t = asyncio.ensure_future(aw)
        await t
        trace.append(["task reuse", outcome(lambda: asyncio.ensure_future(aw))])
        lock.release()
        try:
            await aw
        except BaseException as exc:  # noqa: BLE001
            trace.append(["after task"] + exc_id(exc))
        trace.append(state(lock))

    asyncio.run(main())


def _drive(step, aw):
    try:
        r = step(aw)
    except StopIteration as e:
        return ["stop", repr(e.value)]
    except BaseException as exc:  # noqa: BLE001
        return ["raise"] + exc_id(exc)
    return ["yield", type(r).__name__]


STEPS = {
    "send_none": lambda aw: aw.send(None),
    "send_1": lambda aw: aw.send(1),
    "next": lambda aw: next(aw),
    "throw_value": lambda aw: aw.throw(ValueError("x")),
    "throw_cancel": lambda aw: aw.throw(asyncio.CancelledError()),
    "throw_gexit": lambda aw: aw.throw(GeneratorExit()),
    "throw_stop": lambda aw: aw.throw(StopIteration(5)),
    "throw_bad": lambda aw: aw.throw(5),
    "close": lambda aw: aw.close(),
}


@scenario
def odd_states(ns, trace):
    """send/throw/close on fresh, suspended and finished awaitables: the same
    as for the stdlib's coroutines."""
    warnings.simplefilter("ignore")

    def makers(lock, ev, cond, sem):
        return {
            "lock_free": lambda: lock.acquire(),
            "ev_unset": lambda: ev.wait(),
            "sem_zero": lambda: sem.acquire(),
            "cond_wait": lambda: cond.wait(),
        }

    async def main():
        for kind in ("lock_free", "ev_unset", "sem_zero", "cond_wait"):
            for seq in (
                ["send_1"],
                ["throw_value", "send_none"],
                ["close", "send_none", "close"],
                ["send_none", "send_none"],
                ["send_none", "throw_cancel", "send_none"],
                ["send_none", "throw_value"],
                ["send_none", "throw_gexit"],
                ["send_none", "throw_stop"],
                ["send_none", "throw_bad", "close"],
                ["send_none", "close", "close", "throw_value"],
                # (next() is left out: the awaitables are iterators by design,
                # stdlib coroutines are not)
                ["send_none", "send_1", "close"],
            ):
                lock = ns.Lock()
                ev = ns.Event()
                cond = ns.Condition()
                sem = ns.Semaphore(0)
                if kind == "cond_wait":
                    await cond.acquire()
                aw = makers(lock, ev, cond, sem)[kind]()
                res = [_drive(STEPS[s], aw) for s in seq]
                trace.append([kind, seq, res, state(lock), state(ev), state(cond), state(sem)])
                aw.close()
                gc.collect()

    asyncio.run(main())


@scenario
def close_delegating(ns, trace):
    """close() on awaitables suspended inside a delegated await."""

    async def main():
        cond = ns.Condition()
        await cond.acquire()
        aw = cond.wait_for(lambda: False)
        trace.append(["wait_for send", _drive(STEPS["send_none"], aw)])
        trace.append(["wait_for close", _drive(STEPS["close"], aw), state(cond)])
        if ns.Barrier is not None:
            b = ns.Barrier(2)
            aw = b.wait()
            trace.append(["barrier send", _drive(STEPS["send_none"], aw)])
            trace.append(["barrier close", _drive(STEPS["close"], aw), state(b)])
            b2 = ns.Barrier(1)
            trace.append(["barrier usable", await b2.wait()])

    asyncio.run(main())


@scenario
def over_release(ns, trace):
    async def main():
        lock = ns.Lock()
        trace.append(outcome(lock.release))
        async with lock:
            pass
        trace.append(outcome(lock.release))
        b = ns.BoundedSemaphore(2)
        trace.append(outcome(b.release))
        await b.acquire()
        b.release()
        trace.append([outcome(b.release), state(b)])
        s = ns.Semaphore(0)
        for _ in range(5):
            s.release()
        trace.append(state(s))
        cond = ns.Condition()
        trace.append(outcome(cond.release))
        try:
            async with lock:
                lock.release()
        except BaseException as exc:  # noqa: BLE001
            trace.append(exc_id(exc))
        trace.append(state(lock))

    asyncio.run(main())


@scenario
def after_loop_closed(ns, trace):
    loop = asyncio.new_event_loop()
    lock = ns.Lock()
    ev = ns.Event()

    async def bind():
        await lock.acquire()
        t = asyncio.ensure_future(lock.acquire())
        t2 = asyncio.ensure_future(ev.wait())
        await asyncio.sleep(0)
        return t, t2

    t, t2 = loop.run_until_complete(bind())
    loop.close()
    trace.append(["release", outcome(lock.release), state(lock)])
    trace.append(["set", outcome(ev.set), state(ev)])
    trace.append(["tasks", t.done(), t2.done()])
    trace.append(["new loop", asyncio.run(_after(lock, ev))])


async def _after(lock, ev):
    out = []
    for aw in (lock.acquire(), ev.wait()):
        try:
            out.append(["ok", await asyncio.wait_for(aw, 0.05)])
        except BaseException as exc:  # noqa: BLE001
            out.append(exc_id(exc))
    return out


@scenario
def delete_while_waiting(ns, trace):
    async def main():
        lock = ns.Lock()
        await lock.acquire()
        t = asyncio.ensure_future(lock.acquire())
        ev = ns.Event()
        t2 = asyncio.ensure_future(ev.wait())
        cond = ns.Condition()

        async def cw(c=cond):
            async with c:
                await c.wait()

        t3 = asyncio.ensure_future(cw())
        await asyncio.sleep(0)
        del lock, ev, cond
        gc.collect()
        await asyncio.sleep(0)
        trace.append(["pending", t.done(), t2.done(), t3.done()])
        for x in (t, t2, t3):
            x.cancel()
        res = await asyncio.gather(t, t2, t3, return_exceptions=True)
        trace.append([type(r).__name__ for r in res])

    asyncio.run(main())


@scenario
def gc_mid_wait(ns, trace):
    async def main():
        lock = ns.Lock()
        sem = ns.Semaphore(1)
        cond = ns.Condition()
        counter = [0]

        async def worker(i):
            for _ in range(30):
                async with lock:
                    gc.collect()
                    await asyncio.sleep(0)
                async with sem:
                    await asyncio.sleep(0)
                async with cond:
                    if i % 2:
                        cond.notify_all()
                    else:
                        try:
                            await asyncio.wait_for(cond.wait(), 0.001)
                        except asyncio.TimeoutError:
                            pass
                    gc.collect()
                counter[0] += 1

        await asyncio.gather(*[worker(i) for i in range(4)])
        trace.append([counter[0], state(lock), state(sem), state(cond)])

    asyncio.run(main())


@scenario
def shutdown_with_waiters(ns, trace):
    """Interpreter exits while tasks wait: exit code 0, no crash, no hang."""
    loop = asyncio.new_event_loop()
    lock = ns.Lock()
    ev = ns.Event()
    cond = ns.Condition()
    sem = ns.Semaphore(0)
    keep = []

    async def setup():
        await lock.acquire()
        keep.append(asyncio.ensure_future(lock.acquire()))
        keep.append(asyncio.ensure_future(ev.wait()))
        keep.append(asyncio.ensure_future(sem.acquire()))

        async def cw():
            async with cond:
                await cond.wait_for(lambda: False)

        keep.append(asyncio.ensure_future(cw()))
        if ns.Barrier is not None:
            keep.append(asyncio.ensure_future(ns.Barrier(3).wait()))
        # one suspended awaitable driven by hand, never finished
        aw = ev.wait()
        aw.send(None)
        keep.append(aw)
        await asyncio.sleep(0)

    loop.run_until_complete(setup())
    globals()["_KEEP"] = (loop, lock, ev, cond, sem, keep)
    trace.append("exiting")
    # no loop.close(): left to interpreter shutdown


# ---------------------------------------------------------------------------
# queues (the test skips them while asynclocks has none)


def qstate(q):
    return norm(str(q))


@scenario
def queue_two_loops(ns, trace):
    """Each kind waited on in one loop, then in another: the stdlib's
    RuntimeError; the non-waiting calls work from any loop."""
    for kind in ("Queue", "LifoQueue", "PriorityQueue"):
        cls = getattr(ns, kind)
        getq, putq, joinq = cls(), cls(1), cls()
        putq.put_nowait(0)
        joinq.put_nowait(0)

        async def wait_all(getq=getq, putq=putq, joinq=joinq):
            for aw in (getq.get(), putq.put(1), joinq.join()):
                t = asyncio.ensure_future(aw)
                await asyncio.sleep(0)
                t.cancel()
                await asyncio.gather(t, return_exceptions=True)

        async def again(getq=getq, putq=putq, joinq=joinq):
            out = []
            for make in (getq.get, lambda putq=putq: putq.put(2), joinq.join):
                try:
                    out.append(["ok", await asyncio.wait_for(make(), 0.01)])
                except asyncio.TimeoutError:
                    out.append(["timeout"])
                except BaseException as exc:  # noqa: BLE001
                    out.append(["raise"] + exc_id(exc))
            out.append(outcome(putq.get_nowait))
            out.append(outcome(lambda getq=getq: getq.put_nowait(5)))
            out.append(outcome(getq.get_nowait))
            return out

        asyncio.run(wait_all())
        trace.append([kind, asyncio.run(again()), qstate(getq), qstate(putq), qstate(joinq)])


@scenario
def queue_misuse_calls(ns, trace):
    """task_done() too often, non-comparable items in a PriorityQueue (the
    queue left as the stdlib leaves it), odd maxsize values, odd arguments."""
    for kind in ("Queue", "LifoQueue", "PriorityQueue"):
        cls = getattr(ns, kind)
        q = cls()
        trace.append([kind, "task_done", outcome(q.task_done)])
        q.put_nowait(1)
        trace.append([kind, outcome(q.task_done), outcome(q.task_done), qstate(q)])
        for maxsize in (None, "2", 1.5, -(2**80), 2**80, float("nan")):
            q = outcome(lambda maxsize=maxsize, cls=cls: cls(maxsize))
            trace.append([kind, "maxsize", repr(maxsize), q])
            if q[0] == "ok":
                obj = cls(maxsize)
                trace.append(
                    [outcome(lambda obj=obj: obj.put_nowait(1)), outcome(obj.full), qstate(obj)]
                )
        q = cls(1)
        for call in (
            lambda q=q: q.put_nowait(),
            lambda q=q: q.put_nowait(1, 2),
            lambda q=q: q.get_nowait(1),
            lambda q=q: q.task_done(1),
            lambda q=q: q.qsize(1),
            lambda q=q: q.put_nowait(item=1),
        ):
            trace.append([kind, outcome(call)])
        # A foreign self: the stdlib's Python methods fail on an attribute,
        # C methods refuse the type (TypeError): both raise, nothing crashes.
        for call in (
            lambda cls=cls: cls.put_nowait(None, 1),
            lambda cls=cls: cls.get_nowait(object()),
            lambda cls=cls: cls.qsize(1),
        ):
            trace.append([kind, outcome(call)[0]])
    pq = ns.PriorityQueue()
    pq.put_nowait(1)
    trace.append(["pq", outcome(lambda: pq.put_nowait("a")), qstate(pq), pq._queue])
    trace.append(["pq", outcome(pq.get_nowait), outcome(pq.get_nowait), qstate(pq)])
    pq.put_nowait((1, {}))
    trace.append(["pq", outcome(lambda: pq.put_nowait((1, {}))), qstate(pq)])
    trace.append(["pq", outcome(pq.get_nowait), qstate(pq)])


@scenario
def queue_from_thread(ns, trace):
    """put_nowait/get_nowait from another thread (not thread-safe, but must
    not crash): the items are all there afterwards."""

    async def main():
        q = ns.Queue()
        done = threading.Event()

        def other():
            for i in range(1000):
                q.put_nowait(i)
                if i % 3 == 0:
                    q.get_nowait()
            done.set()

        th = threading.Thread(target=other)
        th.start()
        th.join()
        await asyncio.sleep(0)
        trace.append([q.qsize(), q._unfinished_tasks, done.is_set()])
        while not q.empty():
            q.get_nowait()
            q.task_done()
        trace.append([q.qsize(), q._unfinished_tasks])

    asyncio.run(main())


@scenario
def queue_delete_while_waiting(ns, trace):
    async def main():
        tasks = []
        for kind in ("Queue", "LifoQueue", "PriorityQueue"):
            empty, full = getattr(ns, kind)(), getattr(ns, kind)(1)
            full.put_nowait(0)
            tasks += [
                asyncio.ensure_future(empty.get()),
                asyncio.ensure_future(full.put(1)),
                asyncio.ensure_future(full.join()),
            ]
            await asyncio.sleep(0)
            del empty, full
        gc.collect()
        await asyncio.sleep(0)
        trace.append(["pending", [t.done() for t in tasks]])
        for t in tasks:
            t.cancel()
        res = await asyncio.gather(*tasks, return_exceptions=True)
        trace.append([type(r).__name__ for r in res])

    asyncio.run(main())


@scenario
def queue_gc_mid_wait(ns, trace):
    """gc.collect() while producers and consumers hand items through bounded queues."""

    async def main():
        qs = [getattr(ns, k)(1) for k in ("Queue", "LifoQueue", "PriorityQueue")]
        got = []

        async def producer(q):
            for i in range(50):
                await q.put(i)
                if i % 7 == 0:
                    gc.collect()

        async def consumer(q):
            for _ in range(50):
                got.append(await q.get())
                q.task_done()
                if len(got) % 11 == 0:
                    gc.collect()

        await asyncio.gather(*[f(q) for q in qs for f in (producer, consumer)])
        await asyncio.gather(*[q.join() for q in qs])
        trace.append([len(got), sum(got)] + [qstate(q) for q in qs])

    asyncio.run(main())


@scenario
def queue_shutdown_with_waiters(ns, trace):
    """Interpreter exits while tasks wait on queues: exit 0, no crash, no hang."""
    loop = asyncio.new_event_loop()
    keep = []

    async def setup():
        for kind in ("Queue", "LifoQueue", "PriorityQueue"):
            empty, full = getattr(ns, kind)(), getattr(ns, kind)(1)
            full.put_nowait(full)
            keep.extend([empty, full])
            keep.append(asyncio.ensure_future(empty.get()))
            keep.append(asyncio.ensure_future(full.put(empty)))
            keep.append(asyncio.ensure_future(full.join()))
        await asyncio.sleep(0)

    loop.run_until_complete(setup())
    globals()["_QKEEP"] = (loop, keep)
    trace.append("exiting")


# ---------------------------------------------------------------------------
# ThreadSafeFlag / ThreadSafeEvent (no stdlib counterpart: run for asynclocks
# only; the test states the expected trace)


@scenario
def ts_shutdown_with_waiters(ns, trace):
    """Interpreter exits while tasks of a loop thread and a daemon thread in
    wait_sync() wait: exit code 0, no crash, no hang."""
    f, e = ns.ThreadSafeFlag(), ns.ThreadSafeEvent()
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run():
        asyncio.set_event_loop(loop)
        loop.create_task(f.wait())
        loop.create_task(e.wait())
        loop.call_soon(started.set)
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    threading.Thread(target=e.wait_sync, daemon=True).start()
    started.wait(10)
    while "waiters:2" not in repr(e):
        threading.Event().wait(0.001)
    trace.append("exiting")


@scenario
def ts_delete_while_waiting(ns, trace):
    async def main():
        f, e = ns.ThreadSafeFlag(), ns.ThreadSafeEvent()
        t1 = asyncio.ensure_future(f.wait())
        t2 = asyncio.ensure_future(e.wait())
        await asyncio.sleep(0)
        del f, e
        gc.collect()
        await asyncio.sleep(0)
        trace.append(["pending", t1.done(), t2.done()])
        for x in (t1, t2):
            x.cancel()
        res = await asyncio.gather(t1, t2, return_exceptions=True)
        trace.append([type(r).__name__ for r in res])

    asyncio.run(main())


@scenario
def ts_await_twice(ns, trace):
    async def main():
        f = ns.ThreadSafeFlag()
        f.set()
        aw = f.wait()
        trace.append(await aw)
        try:
            await aw
        except RuntimeError as exc:
            trace.append(exc_id(exc))
        aw = ns.ThreadSafeEvent().wait()
        t = asyncio.ensure_future(aw)
        await asyncio.sleep(0)
        trace.append(outcome(lambda: aw.send(None)))
        t.cancel()
        trace.append(outcome(lambda: aw.close()))

    asyncio.run(main())


@scenario
def ts_signal_storm(ns, trace):
    """A signal handler calls set()/clear() while the main thread is inside
    set()/clear()/wait_sync() of the same objects, and threads hammer them:
    no deadlock (the internal mutex is never held while Python code runs)."""
    import signal

    f, e = ns.ThreadSafeFlag(), ns.ThreadSafeEvent()
    hits = [0]

    def handler(signum, frame):
        hits[0] += 1
        f.set()
        e.set()
        e.clear()

    old = signal.signal(signal.SIGUSR1, handler)
    stop = threading.Event()
    main_id = threading.get_ident()

    def killer():
        while not stop.is_set():
            signal.pthread_kill(main_id, signal.SIGUSR1)
            threading.Event().wait(0.0002)

    def hammer():
        while not stop.is_set():
            f.set()
            f.clear()
            e.set()
            e.clear()

    threads = [threading.Thread(target=killer), threading.Thread(target=hammer)]
    for t in threads:
        t.start()

    async def waiters():
        for _ in range(200):
            try:
                await asyncio.wait_for(f.wait(), 0.001)
            except asyncio.TimeoutError:
                pass
            gc.collect(0)

    try:
        for _ in range(3000):
            f.set()
            f.clear()
            e.set()
            e.clear()
            e.wait_sync(0)
        for _ in range(20):
            e.wait_sync(0.0005)
        asyncio.run(waiters())
    finally:
        stop.set()
        for t in threads:
            t.join()
        signal.signal(signal.SIGUSR1, old)
    trace.append(["done", hits[0] > 0])


def main(argv):
    impl, name = argv[1], argv[2]
    if impl == "asynclocks":
        import asynclocks as mod

        assert mod.IMPLEMENTATION == "c"
    else:
        mod = asyncio
    ns = type("NS", (), {})()
    for n in ("Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore", "Barrier"):
        setattr(ns, n, getattr(mod, n, None) if (n != "Barrier" or PY >= (3, 11)) else None)
    ns.ThreadSafeFlag = getattr(mod, "ThreadSafeFlag", None)
    ns.ThreadSafeEvent = getattr(mod, "ThreadSafeEvent", None)
    if impl == "asynclocks-python":  # the pure-Python ThreadSafeFlag/ThreadSafeEvent
        from asynclocks import _threadsafe

        ns.ThreadSafeFlag = _threadsafe.ThreadSafeFlag
        ns.ThreadSafeEvent = _threadsafe.ThreadSafeEvent
    for n in ("Queue", "LifoQueue", "PriorityQueue"):  # None while asynclocks has none
        setattr(ns, n, getattr(mod, n, None))
    if name.startswith("queue") and ns.Queue is None:
        print(f"{impl} has no queues", file=sys.stderr)
        return 3
    trace = []
    SCENARIOS[name](ns, trace)
    sys.stdout.write(json.dumps(trace) + "\n")
    sys.stdout.flush()
    if os.environ.get("ASYNCLOCKS_MISUSE_HARD_EXIT"):
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
