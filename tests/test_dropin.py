"""Drop-in parity where real code meets the classes: isinstance, private
attributes read at every step of contended scenarios, attribute assignment
and shadowing, introspection, mocks, CPython's own lock tests, typing."""

from __future__ import annotations

import asyncio
import collections
import importlib.util
import inspect
import os
import pathlib
import subprocess
import sys
from unittest import mock

import asynclocks
import paritylib
import pytest
from paritylib import HAS_BARRIER, STDLIB, parity, steps

HERE = pathlib.Path(__file__).parent
C_ONLY = pytest.mark.skipif(asynclocks.IMPLEMENTATION != "c", reason="C extension not active")
NAMES = ["Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"] + (
    ["Barrier"] if HAS_BARRIER else []
)


def make(ns, name):
    return getattr(ns, name)(2) if name == "Barrier" else getattr(ns, name)()


def waiters_view(w):
    """What a reader sees in `_waiters`: None, or the deque's type and the
    states of the futures it holds."""
    if w is None:
        return None
    return (type(w) is collections.deque, [(f.done(), f.cancelled()) for f in w])


def private_view(obj, name):
    """Every private attribute the stdlib's `name` has, as a comparable value."""
    if name == "Barrier":
        return (
            obj._count,
            obj._parties,
            obj._state.value,
            type(obj._state).__name__,
            type(obj._cond).__name__,
            obj._loop is None,
        )
    v = {"_loop": None if obj._loop is None else "bound", "_waiters": waiters_view(obj._waiters)}
    if name == "Lock":
        v["_locked"] = (type(obj._locked), obj._locked)
    if name == "Event":
        v["_value"] = (type(obj._value), obj._value)
    if name in ("Semaphore", "BoundedSemaphore"):
        v["_value"] = (type(obj._value), obj._value)
    if name == "BoundedSemaphore":
        v["_bound_value"] = obj._bound_value
    if name == "Condition":
        v["_lock"] = type(obj._lock).__name__
    return v


@C_ONLY
@pytest.mark.parametrize("name", NAMES)
def test_isinstance_of_asyncio_classes(name):
    cls = getattr(asynclocks, name)
    assert issubclass(cls, getattr(asyncio, name))
    assert isinstance(make(paritylib.ASYNCLOCKS, name), getattr(asyncio, name))
    assert cls.__module__ == "asynclocks"
    assert cls.__qualname__ == name
    assert isinstance(asynclocks.BoundedSemaphore(), asynclocks.Semaphore)
    assert isinstance(asynclocks.BoundedSemaphore(), asyncio.BoundedSemaphore)


@pytest.mark.parametrize("name", ["Lock", "Semaphore", "BoundedSemaphore"])
def test_private_attributes_while_contended(impl, name):
    """_waiters, _locked, _value, _bound_value, _loop at every step of a
    contended scenario with a cancelled waiter, as the stdlib's."""

    async def scenario(ns, rec):
        obj = getattr(ns, name)()
        rec("fresh", private_view(obj, name))
        await obj.acquire()
        rec("held", private_view(obj, name))
        t1 = rec.task("t1", obj.acquire())
        t2 = rec.task("t2", obj.acquire())
        t3 = rec.task("t3", obj.acquire())
        await steps()
        rec("three waiting", private_view(obj, name))
        t2.cancel()
        await steps()
        rec("one cancelled", private_view(obj, name))
        obj.release()
        rec("released", private_view(obj, name))
        await steps(2)
        rec("handed over", private_view(obj, name))
        obj.release()
        await steps(2)
        obj.release()
        await steps(2)
        rec("end", private_view(obj, name), t1.done(), t3.done())

    parity(scenario, impl)


def test_private_attributes_event_condition(impl):
    async def scenario(ns, rec):
        ev = ns.Event()
        cond = ns.Condition()
        rec("fresh", private_view(ev, "Event"), private_view(cond, "Condition"))
        rec.task("w1", ev.wait())

        async def cwait():
            async with cond:
                await cond.wait()

        rec.task("c1", cwait())
        rec.task("c2", cwait())
        await steps(2)
        rec("waiting", private_view(ev, "Event"), private_view(cond, "Condition"))
        ev.set()
        async with cond:
            cond.notify(1)
        rec("notified", private_view(ev, "Event"), private_view(cond, "Condition"))
        await steps(3)
        async with cond:
            cond.notify_all()
        await steps(3)
        rec("end", private_view(ev, "Event"), private_view(cond, "Condition"))

    parity(scenario, impl)


@pytest.mark.skipif(not HAS_BARRIER, reason="Barrier is 3.11+")
def test_private_attributes_barrier(impl):
    async def scenario(ns, rec):
        b = ns.Barrier(3)
        rec("fresh", private_view(b, "Barrier"))
        rec.task("a", b.wait())
        rec.task("b", b.wait())
        await steps(2)
        rec("filling", private_view(b, "Barrier"))
        rec.task("c", b.wait())
        await steps(1)
        rec("draining", private_view(b, "Barrier"))
        await steps(4)
        rec("filled", private_view(b, "Barrier"))
        rec.task("d", b.wait())
        await steps(2)
        await b.abort()
        rec("broken", private_view(b, "Barrier"))
        await steps(3)

    parity(scenario, impl)


def test_private_writes(impl):
    """Writes real code does: sem._value = n, lock._locked, _waiters
    mutated (CPython's own private tests append to it)."""

    async def scenario(ns, rec):
        sem = ns.Semaphore(1)
        sem._value = 3
        rec("sem", sem.locked(), private_view(sem, "Semaphore"))
        for _ in range(3):
            await sem.acquire()
        rec("sem full", sem.locked(), private_view(sem, "Semaphore"))
        lock = ns.Lock()
        lock._locked = True
        rec("lock", lock.locked(), paritylib.state(lock))
        lock._locked = False
        ev = ns.Event()
        ev._waiters.append(mock.Mock())
        rec("event", paritylib.state(ev))
        ev._waiters.clear()
        t = rec.task("acq", lock.acquire())
        await steps()
        await t
        rec("lock after", private_view(lock, "Lock"))
        lock._waiters.clear()  # a user empties the queue under a waiter
        t2 = rec.task("acq2", lock.acquire())
        await steps()
        lock._waiters.clear()
        lock.release()
        await steps(2)
        rec("lock emptied", t2.done(), private_view(lock, "Lock"))

    parity(scenario, impl)


@C_ONLY
def test_waiters_setter_rejects_non_deque():
    lock = asynclocks.Lock()
    with pytest.raises(TypeError, match="deque"):
        lock._waiters = []
    lock._waiters = collections.deque()
    assert lock._waiters == collections.deque()
    lock._waiters = None
    assert lock._waiters is None


@pytest.mark.parametrize("name", NAMES)
def test_attribute_assignment(impl, name):
    obj = make(impl, name)
    obj.name = "x"
    assert obj.name == "x"
    assert vars(obj)["name"] == "x"
    del obj.name
    with pytest.raises(AttributeError):
        obj.name  # noqa: B018


def test_shadowed_methods_are_called(impl):
    """A patched acquire/release/wait is what async with, wait_for and
    Condition call, as in the stdlib."""

    async def scenario(ns, rec):
        lock = ns.Lock()
        orig = lock.acquire

        async def acquire():
            rec("patched acquire")
            return await orig()

        lock.acquire = acquire
        async with lock:
            rec("inside", lock.locked())
        with mock.patch.object(lock, "release", wraps=lock.release) as rel:
            async with lock:
                pass
            rec("release calls", rel.call_count)
        sem = ns.Semaphore()
        with mock.patch.object(sem, "acquire", wraps=sem.acquire) as acq:
            async with sem:
                pass
            rec("sem acquire calls", acq.call_count)
        cond = ns.Condition()
        calls = []
        orig_wait = cond.wait

        async def wait():
            calls.append(1)
            return await orig_wait()

        cond.wait = wait
        state = []

        async def waiter():
            async with cond:
                await cond.wait_for(lambda: state)

        t = rec.task("waiter", waiter())
        await steps(2)
        async with cond:
            state.append(1)
            cond.notify_all()
        await t
        rec("cond wait calls", len(calls))
        ev = ns.Event()
        with mock.patch.object(ev, "wait") as w:
            ev.wait()
            rec("event wait mocked", w.called)

    parity(scenario, impl)


def _methods(name):
    cls = getattr(asyncio, name)
    return [
        m
        for m in dir(cls)
        if (not m.startswith("_") or m in ("__aenter__", "__aexit__"))
        and callable(getattr(cls, m))
        and not isinstance(getattr(cls, m), type)
    ]


@C_ONLY
@pytest.mark.parametrize("name", NAMES)
def test_introspection_matches_stdlib(name):
    std = make(STDLIB, name)
    ours = make(paritylib.ASYNCLOCKS, name)
    for meth in _methods(name):
        for a, b in (
            (getattr(type(std), meth), getattr(type(ours), meth)),
            (getattr(std, meth), getattr(ours, meth)),
        ):
            assert inspect.iscoroutinefunction(b) == inspect.iscoroutinefunction(a), meth
            if sys.version_info < (3, 14):  # deprecated from 3.14
                assert asyncio.iscoroutinefunction(b) == asyncio.iscoroutinefunction(a), meth
            assert inspect.signature(b) == inspect.signature(a), meth
            assert inspect.ismethod(b) == inspect.ismethod(a), meth


@pytest.mark.parametrize("name", ["Lock", "Semaphore", "BoundedSemaphore"])
def test_autospec(impl, name):
    async def main():
        m = mock.create_autospec(getattr(impl, name), instance=True)
        assert isinstance(m.acquire, mock.AsyncMock)
        assert not isinstance(m.release, mock.AsyncMock)
        async with m:
            pass
        assert await m.acquire()
        m.release()
        m.acquire.assert_awaited()

    asyncio.run(main())


def test_unawaited_warning_source(impl, tmp_path):
    """The RuntimeWarning names the coroutine and, with -X tracemalloc, the
    line that created it."""
    prog = tmp_path / "prog.py"
    prog.write_text(
        "import asyncio, gc, sys, asynclocks\n"
        "mod = asyncio if sys.argv[1] == 'stdlib' else asynclocks\n"
        "async def main():\n"
        "    lock = mod.Lock()\n"
        "    async with lock: pass\n"
        "    lock.acquire()  # created here\n"
        "    gc.collect()\n"
        "asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-X", "tracemalloc=5", str(prog), impl.name],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "default"},
        check=True,
    ).stderr
    assert "coroutine 'Lock.acquire' was never awaited" in out
    assert "Object allocated at" in out
    assert "lock.acquire()  # created here" in out.split("Object allocated at")[1]


@C_ONLY
def test_cpython_lock_tests():
    """CPython's test_locks and test_pep492 lock tests, public and private,
    pass with our classes in asyncio's place."""
    if importlib.util.find_spec("test.test_asyncio.test_locks") is None:
        pytest.skip("CPython's test package is not installed")
    r = subprocess.run(
        [sys.executable, str(HERE / "cpython_locks.py"), "--strict"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_typing_program_mypy():
    """mypy --strict accepts asynclocks' objects where asyncio's classes are
    annotated (tests/typing_program.py)."""
    api = pytest.importorskip("mypy.api")
    out, err, status = api.run(["--strict", str(HERE / "typing_program.py")])
    assert status == 0, out + err


def test_typing_program_pyright():
    exe = pathlib.Path(sys.executable).with_name("pyright")
    if not exe.exists():
        pytest.skip("pyright is not installed")
    r = subprocess.run(
        [str(exe), "--pythonpath", sys.executable, str(HERE / "typing_program.py")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if r.returncode != 0 and "0 errors" not in r.stdout and "error" not in r.stdout:
        pytest.skip(f"pyright could not run: {r.stdout[-300:]} {r.stderr[-300:]}")
    assert r.returncode == 0, r.stdout + r.stderr
