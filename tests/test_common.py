"""Behaviour shared by all primitives: construction, loop binding, copying, subclassing.

Every test runs a scenario on the stdlib classes and on the asynclocks ones and
requires equal traces (plus a few explicit facts about the stdlib behaviour).
"""

from __future__ import annotations

import asyncio
import copy
import gc
import pickle
import weakref

import asynclocks
import pytest
from paritylib import HAS_BARRIER, PY, STDLIB, Rec, exc_id, norm, parity, run, steps

ALL = ["Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"] + (
    ["Barrier"] if HAS_BARRIER else []
)
ARGS = {"Barrier": (2,)}


def make(ns, name, *args):
    return getattr(ns, name)(*(args or ARGS.get(name, ())))


@pytest.fixture(params=ALL)
def kind(request):
    return request.param


# ---------------------------------------------------------------- exports


def test_exports():
    expected = {"Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"}
    if HAS_BARRIER:
        expected |= {"Barrier", "BrokenBarrierError"}
    assert expected <= set(asynclocks.__all__)
    assert asynclocks.IMPLEMENTATION in ("c", "stdlib")
    for name in expected:
        assert getattr(asynclocks, name) is not None
    if HAS_BARRIER:
        assert asynclocks.BrokenBarrierError is asyncio.BrokenBarrierError


def test_class_relationships(impl):
    def facts(ns):
        out = {
            "bounded-is-semaphore": issubclass(ns.BoundedSemaphore, ns.Semaphore),
            "semaphore-is-bounded": issubclass(ns.Semaphore, ns.BoundedSemaphore),
        }
        names = [n for n in ALL]
        for a in names:
            for b in names:
                if a != b and a != "BoundedSemaphore":
                    out[f"{a}<{b}"] = issubclass(getattr(ns, a), getattr(ns, b))
        return out

    assert facts(impl) == facts(STDLIB)
    assert facts(impl)["bounded-is-semaphore"] is True


def test_public_api(impl, kind):
    def api(ns):
        obj = make(ns, kind)
        names = {n for n in dir(obj) if not n.startswith("_")}
        dunders = {
            n
            for n in (
                "__aenter__",
                "__aexit__",
                "__await__",
                "__enter__",
                "__exit__",
                "__iter__",
                "__aiter__",
            )
            if hasattr(obj, n)
        }
        callables = {n for n in names if callable(getattr(obj, n))}
        return names, dunders, callables

    assert api(impl) == api(STDLIB)


def test_methods_return_coroutines(impl, kind):
    """acquire()/wait()/wait_for()/reset()/abort() return awaitables that
    asyncio.iscoroutine() accepts; closing them unawaited has no effect."""

    def facts(ns):
        obj = make(ns, kind)
        out = []
        for meth, args in [
            ("acquire", ()),
            ("wait", ()),
            ("wait_for", (lambda: True,)),
            ("reset", ()),
            ("abort", ()),
            ("__aenter__", ()),
            ("__aexit__", (None, None, None)),
        ]:
            if not hasattr(obj, meth):
                continue
            c = getattr(obj, meth)(*args)
            out.append(
                (
                    meth,
                    asyncio.iscoroutine(c),
                    hasattr(c, "__await__"),
                    hasattr(c, "send"),
                    hasattr(c, "throw"),
                    hasattr(c, "close"),
                )
            )
            c.close()
        out.append(("state", repr(obj)[repr(obj).rindex("[") :]))
        return out

    assert facts(impl) == facts(STDLIB)


# ---------------------------------------------------------------- construction


def test_loop_keyword_rejected(impl, kind):
    def outcome(ns):
        args = ARGS.get(kind, ())
        try:
            getattr(ns, kind)(*args, loop=None)
        except BaseException as exc:  # noqa: BLE001
            return exc_id(exc)
        return "accepted"

    expected = outcome(STDLIB)
    actual = outcome(impl)
    assert actual[0] == "builtins.TypeError"
    assert actual[0] == expected[0]
    if PY < (3, 11):
        # 3.10's own message about the removal of the parameter
        assert "the *loop* parameter was removed" in expected[1]
        assert actual[1] == expected[1]


def test_loop_keyword_rejected_310_loop_object(impl, kind):
    def outcome(ns):
        loop = asyncio.new_event_loop()
        try:
            getattr(ns, kind)(*ARGS.get(kind, ()), loop=loop)
        except BaseException as exc:  # noqa: BLE001
            return exc_id(exc, message=PY < (3, 11))
        finally:
            loop.close()
        return "accepted"

    assert outcome(impl) == outcome(STDLIB)
    assert outcome(impl)[0] == "builtins.TypeError"


WRONG_ARGS = {
    "Lock": [((1,), {}), ((), {"x": 1}), ((None,), {})],
    "Event": [((1,), {}), ((), {"value": True})],
    "Condition": [
        ((1,), {}),
        ((None, None), {}),
        (("lock",), {}),
        ((), {"lock": None}),
        ((), {"lck": None}),
    ],
    "Semaphore": [
        (("1",), {}),
        ((None,), {}),
        ((1, 2), {}),
        ((), {"value": None}),
        ((), {"v": 1}),
        ((1.5,), {}),
        ((True,), {}),
        ((0,), {}),
    ],
    "BoundedSemaphore": [
        (("1",), {}),
        ((None,), {}),
        ((1, 2), {}),
        ((), {"value": "x"}),
        ((1.5,), {}),
        ((0,), {}),
    ],
    "Barrier": [
        ((), {}),
        (("2",), {}),
        ((None,), {}),
        ((2, 3), {}),
        ((2.5,), {}),
        ((True,), {}),
        ((), {"parties": 3}),
    ],
}


def test_constructor_arguments(impl, kind):
    """Wrong argument types and counts: same outcome (ok / exception type)."""

    def outcomes(ns):
        out = []
        for args, kwargs in WRONG_ARGS[kind]:
            try:
                obj = getattr(ns, kind)(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001
                out.append((args, kwargs, exc_id(exc, message=False)))
            else:
                out.append((args, kwargs, "ok", norm(repr(obj)).split(" object", 1)[1]))
        return out

    assert outcomes(impl) == outcomes(STDLIB)


def test_condition_with_non_lock(impl):
    """stdlib Condition takes any object with locked/acquire/release."""

    class FakeLock:
        def __init__(self):
            self.held = False

        def locked(self):
            return self.held

        async def acquire(self):
            self.held = True
            return "acq"

        def release(self):
            self.held = False

    async def scenario(ns, rec):
        cond = rec.call("make", ns.Condition, FakeLock(), message=False)
        if cond is None:
            return
        rec.snap("repr", cond)
        rec("acquire", await cond.acquire(), cond.locked())
        rec.call("notify", cond.notify)
        rec.call("release", cond.release)
        rec("locked", cond.locked())
        async with cond as v:
            rec("as", v, cond.locked())

    parity(scenario, impl)


# ---------------------------------------------------------------- loop binding


def _contend(ns, kind, obj):
    """A coroutine making ``obj`` wait (and so bind to the running loop)."""

    async def go(rec):
        if kind == "Lock":
            await obj.acquire()
            t = rec.spawn("waiter", obj.acquire())
            await steps()
            obj.release()
            await t
            obj.release()
        elif kind == "Event":
            t = rec.spawn("waiter", obj.wait())
            await steps()
            obj.set()
            await t
            obj.clear()
        elif kind == "Condition":
            t = rec.spawn("waiter", _cond_wait(obj))
            await steps()
            async with obj:
                obj.notify()
            await t
        elif kind in ("Semaphore", "BoundedSemaphore"):
            await obj.acquire()
            t = rec.spawn("waiter", obj.acquire())
            await steps()
            obj.release()
            await t
            obj.release()
        elif kind == "Barrier":
            rec("gather", await asyncio.gather(obj.wait(), obj.wait()))

    return go


async def _cond_wait(cond):
    async with cond:
        return await cond.wait()


def test_loop_binding(impl, kind, flavour):
    """Nothing is bound before the first wait; afterwards another loop is refused."""

    def scenario_trace(ns):
        obj = make(ns, kind)
        events = []
        for i in range(2):
            rec = Rec()

            async def uncontended(rec=rec):
                if kind in ("Lock", "Semaphore", "BoundedSemaphore", "Condition"):
                    rec("acquire", await obj.acquire())
                    obj.release()
                elif kind == "Event":
                    obj.set()
                    rec("wait", await obj.wait())
                    obj.clear()
                elif kind == "Barrier":
                    rec("state", repr(obj)[repr(obj).rindex("[") :])

            run(flavour, uncontended)
            events.append(("uncontended", i, rec.events))
        rec = Rec()
        run(flavour, _contend(ns, kind, obj), rec)
        events.append(("contended-first-loop", rec.events))
        for i in range(2):
            rec = Rec()

            async def other_loop(rec=rec):
                await rec.acall("contend", _contend(ns, kind, obj)(rec))
                await steps(3)

            run(flavour, other_loop)
            events.append(("other-loop", i, rec.events))
        return events

    expected = scenario_trace(STDLIB)
    actual = scenario_trace(impl)
    assert actual == expected
    for other in expected[-2:-1]:
        errors = [e for e in other[2] if len(e) >= 4 and e[1] == "raise"]
        assert errors, other
        assert errors[0][2] == "builtins.RuntimeError", other
        assert errors[0][3].endswith("is bound to a different event loop"), other
    assert all(e[1] != "raise" for _, _, evs in expected[:2] for e in evs)


def test_many_loops_in_sequence(impl, any_flavour):
    async def scenario(ns, rec):
        lock, ev, cond, sem = ns.Lock(), ns.Event(), ns.Condition(), ns.Semaphore(2)
        async with lock:
            t = rec.spawn("ev", ev.wait())
            await steps()
            ev.set()
            await t
        async with cond:
            cond.notify_all()
        async with sem:
            async with sem:
                rec("sem", sem.locked())
        if ns.Barrier is not None:
            b = ns.Barrier(2)
            rec("barrier", await asyncio.gather(b.wait(), b.wait()))
        rec.snap("end", lock, ev, cond, sem)

    first = parity(scenario, impl, any_flavour)
    for _ in range(30):
        assert parity(scenario, impl, any_flavour) == first


def test_asyncio_run(impl):
    def go(ns):
        lock = ns.Lock()
        out = [asyncio.run(lock.acquire()), lock.locked()]
        lock.release()
        ev = ns.Event()
        ev.set()
        out.append(asyncio.run(ev.wait()))
        sem = ns.Semaphore(0)

        async def release_later():
            await asyncio.sleep(0)
            sem.release()

        async def main():
            asyncio.ensure_future(release_later())
            return await sem.acquire()

        out.append(asyncio.run(main()))
        if ns.Barrier is not None:
            out.append(asyncio.run(ns.Barrier(1).wait()))
        return out

    assert go(impl) == go(STDLIB)
    assert go(impl)[:3] == [True, True, True]


def test_await_twice(impl, kind):
    """Re-awaiting an exhausted coroutine raises (compare the type only)."""

    async def scenario(ns, rec):
        obj = make(ns, kind, 1) if kind == "Barrier" else make(ns, kind)
        if kind == "Event":
            obj.set()
            coro = obj.wait()
        elif kind == "Barrier":
            coro = obj.wait()
        else:
            coro = obj.acquire()
        await rec.acall("first", coro)
        await rec.acall("second", coro, message=False)

    ev = parity(scenario, impl)
    assert ev[1][:2] == ("second", "raise")


def test_not_awaitable_or_sync_context_manager(impl, kind):
    async def scenario(ns, rec):
        obj = make(ns, kind)

        async def await_it():
            await obj

        await rec.acall("await-object", await_it(), message=False)

        def with_it():
            with obj:
                pass

        rec.call("with", with_it, message=False)

    ev = parity(scenario, impl)
    assert ev[0][:2] == ("await-object", "raise")


# ---------------------------------------------------------------- copy/pickle/weakref


def _copy_outcome(fn, obj):
    try:
        result = fn(obj)
    except BaseException as exc:  # noqa: BLE001
        return ("raise", exc_id(exc, message=False))
    if isinstance(result, bytes):
        result = pickle.loads(result)
    return ("ok", result is obj, repr(result)[repr(result).rindex("[") :])


@pytest.mark.parametrize("how", ["copy", "deepcopy", "pickle"])
def test_copy_and_pickle_idle(impl, kind, how):
    fn = {
        "copy": copy.copy,
        "deepcopy": copy.deepcopy,
        "pickle": lambda o: pickle.dumps(o, protocol=pickle.HIGHEST_PROTOCOL),
    }[how]
    expected = _copy_outcome(fn, make(STDLIB, kind))
    actual = _copy_outcome(fn, make(impl, kind))
    assert actual == expected


def test_copy_is_usable(impl, kind):
    """Where copying works (stdlib: it does), the copy behaves like the original."""

    async def scenario(ns, rec):
        orig = make(ns, kind)
        try:
            dup = copy.deepcopy(orig)
        except BaseException as exc:  # noqa: BLE001
            rec("deepcopy", "raise", *exc_id(exc, message=False))
            return
        await rec.acall("use-copy", _contend(ns, kind, dup)(rec))
        rec.snap("states", orig, dup)

    parity(scenario, impl)


def test_weakref(impl, kind):
    def facts(ns):
        obj = make(ns, kind)
        ref = weakref.ref(obj)
        alive = ref() is obj
        proxy_repr_ok = weakref.proxy(obj) is not None
        del obj
        gc.collect()
        return alive, proxy_repr_ok, ref() is None

    assert facts(impl) == facts(STDLIB) == (True, True, True)


def test_weakref_while_waiting(impl, flavour):
    """A primitive only referenced by its waiters stays alive until they finish."""

    async def scenario(ns, rec):
        lock = ns.Lock()
        ref = weakref.ref(lock)
        await lock.acquire()
        t = asyncio.ensure_future(lock.acquire())
        await steps()
        lock.release()
        del lock
        gc.collect()
        rec("alive-while-task-holds-it", ref() is not None)
        await t
        del t
        gc.collect()
        rec("freed", ref() is None)

    ev = parity(scenario, impl, flavour)
    assert ev == [("alive-while-task-holds-it", True), ("freed", True)]


# ---------------------------------------------------------------- subclassing


def test_subclass_lock_overrides(impl, flavour):
    async def scenario(ns, rec):
        class MyLock(ns.Lock):
            def __init__(self, tag):
                super().__init__()
                self.tag = tag

            async def acquire(self):
                rec("sub-acquire", self.tag)
                return ("wrapped", await super().acquire())

            def release(self):
                rec("sub-release", self.tag)
                super().release()

            def locked(self):
                return "overridden"

        lock = MyLock("t")
        rec("isinstance", isinstance(lock, ns.Lock), lock.tag)
        async with lock as v:
            rec("as", v, ns.Lock.locked(lock))
        rec("direct", await lock.acquire(), lock.locked())
        lock.release()
        rec.snap("repr", lock)
        lock.extra = 1
        rec("dict", lock.extra)

    ev = parity(scenario, impl, flavour)
    assert ev[:4] == [
        ("isinstance", True, "t"),
        ("sub-acquire", "t"),
        ("as", None, True),
        ("sub-release", "t"),
    ]


def test_subclass_condition_overrides(impl, flavour):
    async def scenario(ns, rec):
        class MyCond(ns.Condition):
            async def wait(self):
                rec("sub-wait")
                return await super().wait()

            async def acquire(self):  # shadowed by the lock's method in stdlib
                rec("sub-acquire")
                return await super().acquire()

            def notify(self, n=1):
                rec("sub-notify", n)
                super().notify(n)

        cond = MyCond()
        box = []

        async def waiter():
            async with cond:
                rec("got", await cond.wait_for(lambda: box))

        t = rec.spawn("w", waiter())
        await steps()
        async with cond:
            box.append(1)
            cond.notify_all()
        await t
        rec.snap("repr", cond)

    ev = parity(scenario, impl, flavour)
    assert ("got", [1]) in ev
    assert ("sub-wait",) in ev


def test_subclass_semaphore_overrides(impl, flavour):
    async def scenario(ns, rec):
        class MySem(ns.BoundedSemaphore):
            def __init__(self, value=1, label="x"):
                super().__init__(value)
                self.label = label

            async def acquire(self):
                rec("sub-acquire", self.label)
                return await super().acquire()

            def release(self):
                rec("sub-release", self.label)
                super().release()

        sem = MySem(2, label="L")
        async with sem:
            rec("in", sem.locked())
        rec.call("over", sem.release)
        rec.snap("repr", sem)
        rec("isinstance", isinstance(sem, ns.Semaphore), isinstance(sem, ns.BoundedSemaphore))

    ev = parity(scenario, impl, flavour)
    assert ev[0] == ("sub-acquire", "L")


def test_subclass_semaphore_locked_override(impl):
    """stdlib acquire() consults self.locked(): overriding it changes acquire()."""

    async def scenario(ns, rec):
        class NeverLocked(ns.Semaphore):
            def locked(self):
                return False

        sem = NeverLocked(0)
        await rec.acall("acquire", asyncio.wait_for(sem.acquire(), 0.01), message=False)
        rec.snap("repr", sem)

    parity(scenario, impl)


def test_subclass_event_overrides(impl, flavour):
    async def scenario(ns, rec):
        class MyEvent(ns.Event):
            def set(self):
                rec("sub-set")
                super().set()

            async def wait(self):
                rec("sub-wait")
                return await super().wait()

        ev = MyEvent()
        t = rec.spawn("w", ev.wait())
        await steps()
        ev.set()
        await t
        rec("is_set", ev.is_set())
        rec.snap("repr", ev)

    ev = parity(scenario, impl, flavour)
    assert ev[:2] == [("sub-wait",), ("sub-set",)]


@pytest.mark.skipif(not HAS_BARRIER, reason="asyncio.Barrier is 3.11+")
def test_subclass_barrier_overrides(impl, flavour):
    async def scenario(ns, rec):
        class MyBarrier(ns.Barrier):
            async def wait(self):
                rec("sub-wait")
                return 100 + await super().wait()

        b = MyBarrier(1)
        async with b as i:
            rec("as", i)
        rec("wait", await b.wait())
        rec("parties", b.parties)
        rec.snap("repr", b)

    ev = parity(scenario, impl, flavour)
    assert ev[:2] == [("sub-wait",), ("as", 100)]


def test_subclass_repr(impl, kind):
    def facts(ns):
        cls = type("Sub" + kind, (getattr(ns, kind),), {})
        obj = cls(*ARGS.get(kind, ()))
        r = repr(obj)
        return norm(r).split(" object", 1)[0].lstrip("<"), r[r.rindex("[") :]

    assert facts(impl) == facts(STDLIB)
