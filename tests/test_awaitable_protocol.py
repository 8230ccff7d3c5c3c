"""The coroutine-like awaitables where the interpreter's own coroutines changed
between versions (and patch releases): both implementations must give the
running interpreter's outcome, derived from it, never from a table."""

from __future__ import annotations

import asyncio
import gc
import types
import warnings
import weakref

import pytest
from paritylib import PY, parity


async def await_errors(ns, rec):
    """A subclass whose acquire() or wait() returns something `await` rejects:
    the TypeError the interpreter raises (its wording changed in 3.14 and
    3.15); and a generator-based coroutine, which `await` accepts."""

    class NotIterator:
        def __await__(self):
            return 5

    coros = []

    class ReturnsCoroutine:
        def __await__(self):
            async def nothing():
                return None

            coros.append(nothing())
            return coros[-1]

    @types.coroutine
    def generator_based():
        yield
        return True

    makers = {
        "int": lambda: 1,
        "plain object": object,
        "non-iterator": NotIterator,
        "coroutine from __await__": ReturnsCoroutine,
        "generator-based coroutine": generator_based,
    }
    for label, make in makers.items():

        class L(ns.Lock):
            def acquire(self, make=make):
                return make()

        class C(ns.Condition):
            def wait(self, make=make):
                return make()

        if label != "generator-based coroutine":
            try:
                async with L():
                    rec(label, "entered")
            except TypeError as e:
                rec(label, "async with", type(e).__name__, str(e))
        cond = C()
        calls = []

        def second_call(calls=calls):
            calls.append(1)
            return len(calls) > 1

        async with cond:
            await rec.acall(label + " wait_for", cond.wait_for(second_call))
        for c in coros:
            c.close()
        coros.clear()


def test_await_errors_follow_interpreter(impl):
    ev = parity(await_errors, impl)
    assert ev[-1] == ("generator-based coroutine wait_for", "ok", True)
    assert [e[1] for e in ev].count("async with") == 4


async def throw_into_running(ns, rec):
    """throw() into an awaitable that is running (its wait_for predicate
    throws into it): 3.15 says "already executing" before it looks at the
    argument, earlier versions check the argument first."""
    cond = ns.Condition()
    box = []

    def predicate():
        for args in ((1,), (ValueError,), (ValueError(), 1)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                try:
                    box[0].throw(*args)
                except BaseException as e:  # noqa: BLE001
                    rec("throw", repr(args[0]), type(e).__name__, str(e))
        return True

    async with cond:
        aw = cond.wait_for(predicate)
        box.append(aw)
        rec("result", await aw)
    box.clear()


def test_throw_into_running_awaitable(impl):
    ev = parity(throw_into_running, impl)
    assert ev[-1] == ("result", True) and len(ev) == 4


async def throw_into_finished(ns, rec):
    """throw() into a finished or closed awaitable: "cannot reuse" first on
    3.15, the argument checked first before."""
    lock = ns.Lock()
    for args in ((1,), (ValueError,), (ValueError(), 1), (ValueError, None, 1)):
        for how in ("finished", "closed"):
            aw = lock.acquire()
            if how == "finished":
                try:
                    aw.send(None)
                except StopIteration:
                    pass
                lock.release()
            else:
                aw.close()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                try:
                    aw.throw(*args)
                except BaseException as e:  # noqa: BLE001
                    rec(how, repr(args), type(e).__name__, str(e))


def test_throw_into_finished_awaitable(impl):
    ev = parity(throw_into_finished, impl)
    assert len(ev) == 8


class _Marker:
    pass


def _drive_by_hand(ns):
    """Drive awaitables to their end by hand, as a test or a framework might;
    return weak references to everything this frame created."""
    lock = ns.Lock()
    ev = ns.Event()
    marker = _Marker()
    refs = [weakref.ref(lock), weakref.ref(ev), weakref.ref(marker)]

    async def main():
        # send() on a free lock's acquire(): StopIteration(True) at once
        aw = lock.acquire()
        try:
            aw.send(None)
        except StopIteration as e:
            assert e.value is True
        lock.release()
        # the same through the iterator __await__() returns, with next()
        ev.set()
        it = ev.wait().__await__()
        try:
            next(it)
        except StopIteration as e:
            assert e.value is True
        # a wait that suspends on a future, then finishes by hand
        ev.clear()
        aw = ev.wait()
        fut = aw.send(None)
        refs.append(weakref.ref(fut))
        ev.set()
        try:
            aw.send(None)
        except StopIteration as e:
            assert e.value is True
        del aw, it, fut

    asyncio.run(main())
    return refs


def test_nothing_kept_alive_after_driving_by_hand(impl):
    """Nothing the caller created outlives the operation: no frame, lock,
    event, future or local of the frame that drove the awaitables (a shared
    StopIteration(True) carrying that frame's traceback would keep them)."""
    refs = _drive_by_hand(impl)
    gc.collect()
    alive = [r() for r in refs if r() is not None]
    assert alive == [], alive


@pytest.mark.skipif(PY < (3, 14), reason="asyncio call graphs are 3.14+")
def test_call_graph_of_a_waiting_task(impl):
    """asyncio.capture_call_graph() walks through the awaitable (cr_await,
    cr_frame): the same graph, but for the stdlib's frame inside acquire()."""

    async def main():
        lock = impl.Lock()
        await lock.acquire()

        async def waiter():
            await lock.acquire()

        t = asyncio.ensure_future(waiter())
        await asyncio.sleep(0)
        graph = asyncio.capture_call_graph(t)
        text = asyncio.format_call_graph(t)
        lock.release()
        await t
        frames = [
            e.frame.f_code.co_name
            for e in graph.call_stack
            if not e.frame.f_code.co_filename.endswith(("asyncio/locks.py", "asyncio\\locks.py"))
        ]
        return frames, [str(type(a.future).__name__) for a in graph.awaited_by], bool(text)

    assert asyncio.run(main()) == (["waiter"], [], True)
