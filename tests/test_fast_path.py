"""The uncontended paths: no loop access and no waiter future (both
implementations), and for the C one no awaitable left behind."""

from __future__ import annotations

import asyncio
import sys

import asynclocks
import paritylib
import pytest


class CountingLoop(asyncio.SelectorEventLoop):
    """A default loop that counts the futures made through it."""

    futures = 0

    def create_future(self):
        CountingLoop.futures += 1
        return super().create_future()


def run_counting(coro_fn):
    CountingLoop.futures = 0
    loop = CountingLoop()
    try:
        result = loop.run_until_complete(coro_fn())
    finally:
        loop.close()
    return result, CountingLoop.futures


async def uncontended(ns):
    lock, ev, sem, cond = ns.Lock(), ns.Event(), ns.Semaphore(2), ns.Condition()
    ev.set()
    out = []
    for _ in range(50):
        out.append(await lock.acquire())
        lock.release()
        async with lock:
            out.append(lock.locked())
        out.append(await ev.wait())
        async with sem:
            out.append(sem.locked())
        async with cond:
            cond.notify()
            out.append(await cond.wait_for(lambda: True))
    if ns.Barrier is not None:
        out.append(await ns.Barrier(1).wait())
    return out


async def contended(ns):
    lock = ns.Lock()
    order = []

    async def worker(i):
        async with lock:
            order.append(i)
            await asyncio.sleep(0)

    await asyncio.gather(*(worker(i) for i in range(5)))
    return order


def test_uncontended_paths_make_no_future(impl):
    result, futures = run_counting(lambda: uncontended(impl))
    expected, _ = run_counting(lambda: uncontended(paritylib.STDLIB))
    assert result == expected
    assert futures == 0


def test_contended_paths_make_as_many_futures_as_the_stdlib(impl):
    result, futures = run_counting(lambda: contended(impl))
    expected, expected_futures = run_counting(lambda: contended(paritylib.STDLIB))
    assert result == expected == [0, 1, 2, 3, 4]
    assert futures == expected_futures > 0


def test_uncontended_use_binds_no_loop(impl):
    """Used without waiting in one loop, a primitive is free to wait in another."""
    lock = impl.Lock()
    asyncio.run(uncontended(impl))

    async def first():
        await lock.acquire()

    async def second():
        asyncio.get_running_loop().call_soon(lock.release)
        await lock.acquire()  # waits: binds to this loop, no error
        lock.release()
        return lock.locked()

    asyncio.run(first())
    assert asyncio.run(second()) is False


@pytest.mark.skipif(asynclocks.IMPLEMENTATION != "c", reason="property of the C extension")
def test_awaitables_do_not_pile_up():
    """Finished awaitables keep nothing alive: the same memory serves every
    uncontended acquire (recycled), and the lock's reference count is back
    where it was."""
    lock = asynclocks.Lock()

    async def main():
        seen = set()
        for _ in range(100):
            aw = lock.acquire()
            seen.add(id(aw))
            await aw
            lock.release()
            del aw
        return seen

    seen = asyncio.run(main())
    assert len(seen) <= 2, len(seen)
    before = sys.getrefcount(lock)
    asyncio.run(main())
    assert sys.getrefcount(lock) == before


def _recycled_awaitables():
    """The finished awaitables the C module keeps for reuse, found the way any
    heap walker would find them."""
    import gc

    probe = asynclocks.Lock().acquire()
    kind = type(probe)
    probe.close()
    del probe
    found = []
    for o in gc.get_objects():
        if type(o) is kind and o.cr_await is None and not o.cr_running:
            found.append(o)
    return found


@pytest.mark.skipif(asynclocks.IMPLEMENTATION != "c", reason="property of the C extension")
def test_recycled_awaitables_are_inert_and_never_shared():
    """Recycled awaitables are visible to gc.get_objects(). One held from there
    behaves as a finished coroutine and is never handed out again while held."""
    from asynclocks import _core

    lock = asynclocks.Lock()

    async def churn(n):
        out = []
        for _ in range(n):
            aw = lock.acquire()
            out.append(aw)
            await aw
            lock.release()
        return out

    asyncio.run(churn(10))
    assert _core._recycled_count() > 0
    held = _recycled_awaitables()
    assert held
    for aw in held:
        with pytest.raises(RuntimeError, match="cannot reuse already awaited coroutine"):
            aw.send(None)
        assert aw.close() is None
    made = asyncio.run(churn(200))
    held_ids = {id(aw) for aw in held}
    assert not any(id(aw) in held_ids for aw in made)
    del made
    held.clear()
    # Released by their last holder, they go back to the list; at most its size.
    asyncio.run(churn(10))
    assert 0 < _core._recycled_count() <= 64
