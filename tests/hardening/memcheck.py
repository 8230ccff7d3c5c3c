"""Focused workload for valgrind memcheck (and ASan): every primitive's fast
path, contended hand-off, cancellation, timeouts, awaitables driven by hand,
gc of waiting cycles, the queues (leak_run's queue scenarios), module
re-import. Small on purpose (valgrind is ~50x).

    PYTHONMALLOC=malloc valgrind --error-exitcode=1 --errors-for-leak-kinds=none \\
      --suppressions=tests/hardening/python.supp python tests/hardening/memcheck.py

Exit status 0 and "memcheck workload done" on stdout when it ran to the end.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import asynclocks  # noqa: E402
import leak_run  # noqa: E402

N = int(os.environ.get("ASYNCLOCKS_MEMCHECK_ITERATIONS", "30"))


def main():
    warnings.simplefilter("ignore")
    # dropped_while_waiting abandons tasks waiting on a Condition: when the
    # collector closes their awaitables, a clean-up that has to re-acquire a
    # lock held by another task cannot finish, and Python reports "coroutine
    # ignored GeneratorExit" (or "bound to a different event loop" when no
    # loop runs), for the stdlib's coroutines as for asynclocks' awaitables
    # (tests/test_condition.py::test_close_suspended_wait). Which one a run
    # reports depends on when the collector runs; count them, quietly.
    ignored = []

    def hook(unraisable):
        exc = unraisable.exc_value
        if isinstance(exc, RuntimeError) and (
            str(exc) == "coroutine ignored GeneratorExit"
            or str(exc).endswith("is bound to a different event loop")
        ):
            ignored.append(str(exc))
        else:  # anything else is reported as usual
            sys.__unraisablehook__(unraisable)

    sys.unraisablehook = hook
    assert asynclocks.IMPLEMENTATION == "c"
    ns = type("NS", (), {})()
    for name in ("Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore", "Barrier"):
        setattr(ns, name, getattr(asynclocks, name, None))
    ns.ThreadSafeFlag = asynclocks.ThreadSafeFlag
    ns.ThreadSafeEvent = asynclocks.ThreadSafeEvent
    ns.ThreadSafeQueue = asynclocks.ThreadSafeQueue
    ns.ThreadSafeLifoQueue = asynclocks.ThreadSafeLifoQueue
    ns.ThreadSafePriorityQueue = asynclocks.ThreadSafePriorityQueue
    ns.BrokenBarrierError = getattr(asyncio, "BrokenBarrierError", None)
    for name in leak_run.QUEUE_KINDS:  # None while asynclocks has no queues
        setattr(ns, name, getattr(asynclocks, name, None))
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda loop, ctx: None)
    for name, scen in leak_run.SCENARIOS.items():
        if name == "leaky_selftest" or (name.startswith("queue") and ns.Queue is None):
            continue
        loop.run_until_complete(scen(ns, N, {}))
        gc.collect()
    loop.close()
    # re-import: a second module object, old classes keep working
    old_lock = asynclocks.Lock
    for mod in [m for m in sys.modules if m.startswith("asynclocks")]:
        del sys.modules[mod]
    new = importlib.import_module("asynclocks")
    asyncio.run(_use(old_lock(), new.Lock()))
    gc.collect()
    if ignored:
        print(f"exceptions ignored while finalizing abandoned waiters: {len(ignored)}")
    print("memcheck workload done")


async def _use(a, b):
    for lock in (a, b):
        async with lock:
            t = asyncio.ensure_future(lock.acquire())
            await asyncio.sleep(0)
        await t
        lock.release()


if __name__ == "__main__":
    main()
