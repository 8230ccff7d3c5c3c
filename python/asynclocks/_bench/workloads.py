"""The benchmark workloads: what is timed, one function per row.

A workload is an ``async`` function ``fn(ns, n)`` that performs ``n``
operations with the classes of ``ns`` and returns the elapsed nanoseconds.
``ns`` is an *implementation*: a namespace with the primitive classes as
attributes (``ns.Lock``, ``ns.Event``, ...). The runner calls the same
function once with asyncio's original classes and once with asynclocks', so
a workload names a primitive and never picks an implementation itself.

Adding a row is adding one decorated function here::

    @workload("Queue", "q.put_nowait(i); q.get_nowait()", ops=100_000, quick_ops=10_000)
    async def queue_put_get_nowait(ns: Namespace, n: int) -> int:
        queue = ns.Queue()
        start = time.perf_counter_ns()
        for i in range(n):
            queue.put_nowait(i)
            queue.get_nowait()
        return time.perf_counter_ns() - start

The function's name is the row's stable key (JSON); the first argument is the
class the row measures (an implementation without it skips the row);
``common=True`` shows the row in ``python -m asynclocks``. Rows appear in the
order they are defined. Adding a class to :data:`CONSTRUCTORS` adds its
constructor row and its bytes-per-object row.

This module is not public API: names and figures may change between releases.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

__all__ = [
    "CLASSES",
    "CONSTRUCTORS",
    "WORKLOADS",
    "Namespace",
    "Workload",
    "WorkloadFn",
    "class_names",
    "workload",
]

Namespace = Any
"""A module or object with the primitive classes as attributes."""

WorkloadFn = Callable[[Namespace, int], Awaitable[int]]
"""``fn(namespace, ops)``: run ``ops`` operations, return the elapsed nanoseconds."""


@dataclasses.dataclass(frozen=True)
class Workload:
    """One benchmark: what it runs, how many operations per sample, what it needs."""

    name: str
    """Stable key (used in JSON)."""
    label: str
    """Human-readable description; ``{n}`` is replaced by the operation count."""
    fn: WorkloadFn
    ops: int
    """Operations per sample in a full run."""
    quick_ops: int
    """Operations per sample in a quick run."""
    needs: tuple[str, ...]
    """Class names the implementation must provide; the first is the one measured."""
    floor: bool = False
    """Whether the C floor can run it."""
    common: bool = False
    """Shown by ``python -m asynclocks``."""
    contended: bool = False
    """Many tasks; the runner pauses the cyclic collector while timing it."""

    @property
    def primitive(self) -> str:
        """The class this row measures."""
        return self.needs[0]

    def title(self, ops: int) -> str:
        """Return the label with the operation count filled in."""
        return self.label.format(n=f"{ops:,}")


_defined: list[Workload] = []
"""Every workload in definition (display) order; :data:`WORKLOADS` freezes it."""


def workload(
    primitive: str,
    label: str,
    *,
    ops: int,
    quick_ops: int,
    also_needs: tuple[str, ...] = (),
    floor: bool = False,
    common: bool = False,
    contended: bool = False,
    name: str | None = None,
) -> Callable[[WorkloadFn], WorkloadFn]:
    """Register the decorated ``fn(ns, n)`` as a row measuring class ``primitive``.

    ``name`` defaults to the function's name; ``also_needs`` lists other
    classes the function uses. Returns the function unchanged.
    """

    def register(fn: WorkloadFn) -> WorkloadFn:
        key = name or getattr(fn, "__name__", "")
        if not key or any(wl.name == key for wl in _defined):
            raise ValueError(f"workload name {key!r} is empty or already used")
        _defined.append(
            Workload(
                key,
                label,
                fn,
                ops=ops,
                quick_ops=quick_ops,
                needs=(primitive, *also_needs),
                floor=floor,
                common=common,
                contended=contended,
            )
        )
        return fn

    return register


CONSTRUCTORS: dict[str, tuple[int, ...]] = {
    "Lock": (),
    "Event": (),
    "Condition": (),
    "Semaphore": (),
    "BoundedSemaphore": (),
    **({"Barrier": (2,)} if sys.version_info >= (3, 11) else {}),
}
"""Class name -> constructor arguments: one constructor row and one
bytes-per-object row each, on this interpreter."""

CLASSES: tuple[str, ...] = tuple(CONSTRUCTORS)
"""The classes measured for construction and bytes per object."""


# ---------------------------------------------------------------------------
# Uncontended workloads: a tight loop inside one coroutine.


@workload("Lock", "async with lock", ops=100_000, quick_ops=10_000, floor=True, common=True)
async def lock_async_with(ns: Namespace, n: int) -> int:
    lock = ns.Lock()
    start = time.perf_counter_ns()
    for _ in range(n):
        async with lock:
            pass
    return time.perf_counter_ns() - start


@workload(
    "Lock",
    "await lock.acquire(); lock.release()",
    ops=100_000,
    quick_ops=10_000,
    floor=True,
    common=True,
)
async def lock_acquire_release(ns: Namespace, n: int) -> int:
    lock = ns.Lock()
    start = time.perf_counter_ns()
    for _ in range(n):
        await lock.acquire()
        lock.release()
    return time.perf_counter_ns() - start


@workload("Event", "await ev.wait() (set)", ops=100_000, quick_ops=10_000, floor=True, common=True)
async def event_wait_set(ns: Namespace, n: int) -> int:
    event = ns.Event()
    event.set()
    start = time.perf_counter_ns()
    for _ in range(n):
        await event.wait()
    return time.perf_counter_ns() - start


@workload("Semaphore", "async with sem", ops=100_000, quick_ops=10_000, floor=True, common=True)
async def sem_async_with(ns: Namespace, n: int) -> int:
    sem = ns.Semaphore()
    start = time.perf_counter_ns()
    for _ in range(n):
        async with sem:
            pass
    return time.perf_counter_ns() - start


@workload("Condition", "async with cond: cond.notify()", ops=50_000, quick_ops=5_000, common=True)
async def cond_notify(ns: Namespace, n: int) -> int:
    cond = ns.Condition()
    start = time.perf_counter_ns()
    for _ in range(n):
        async with cond:
            cond.notify()
    return time.perf_counter_ns() - start


def _constructor(cls_name: str, args: tuple[int, ...]) -> WorkloadFn:
    async def construct(ns: Namespace, n: int) -> int:
        cls = getattr(ns, cls_name)
        start = time.perf_counter_ns()
        for _ in range(n):
            cls(*args)
        return time.perf_counter_ns() - start

    construct.__name__ = f"construct_{cls_name}"
    return construct


for _cls, _args in CONSTRUCTORS.items():
    workload(_cls, f"{_cls}({', '.join(map(str, _args))})", ops=50_000, quick_ops=5_000)(
        _constructor(_cls, _args)
    )
del _cls, _args


# ---------------------------------------------------------------------------
# Contended workloads: many tasks; n is the number of operations named in the label.

_HANDOFF_TASKS = 50
_SEM_LIMIT = 10
_BARRIER_PARTIES = 100


@workload(
    "Lock",
    f"lock hand-off, {_HANDOFF_TASKS} tasks (per acquire)",
    ops=2_000,
    quick_ops=500,
    common=True,
    contended=True,
)
async def lock_handoff(ns: Namespace, n: int) -> int:
    lock = ns.Lock()
    per_task = max(1, n // _HANDOFF_TASKS)

    async def worker() -> None:
        for _ in range(per_task):
            async with lock:
                await asyncio.sleep(0)

    start = time.perf_counter_ns()
    await asyncio.gather(*[worker() for _ in range(_HANDOFF_TASKS)])
    return time.perf_counter_ns() - start


@workload(
    "Semaphore",
    f"Semaphore({_SEM_LIMIT}) limiting {{n}} tasks (per task)",
    ops=20_000,
    quick_ops=2_000,
    floor=True,
    contended=True,
)
async def sem_limit(ns: Namespace, n: int) -> int:
    sem = ns.Semaphore(_SEM_LIMIT)

    async def worker() -> None:
        async with sem:
            await asyncio.sleep(0)

    start = time.perf_counter_ns()
    await asyncio.gather(*[worker() for _ in range(n)])
    return time.perf_counter_ns() - start


@workload(
    "Event",
    "Event.set() releasing {n} waiters (per waiter)",
    ops=20_000,
    quick_ops=2_000,
    floor=True,
    contended=True,
)
async def event_broadcast(ns: Namespace, n: int) -> int:
    event = ns.Event()
    done = asyncio.get_running_loop().create_future()
    remaining = n

    async def waiter() -> None:
        nonlocal remaining
        await event.wait()
        remaining -= 1
        if not remaining:
            done.set_result(None)

    tasks = [asyncio.ensure_future(waiter()) for _ in range(n)]
    await asyncio.sleep(0)  # every waiter runs up to event.wait() and blocks
    start = time.perf_counter_ns()
    event.set()
    await done
    elapsed = time.perf_counter_ns() - start
    await asyncio.gather(*tasks)
    return elapsed


@workload(
    "Condition",
    "Condition ping-pong, wait_for (per turn)",
    ops=2_000,
    quick_ops=400,
    contended=True,
)
async def cond_ping_pong(ns: Namespace, n: int) -> int:
    cond = ns.Condition()
    turns = max(1, n // 2)
    turn = 0

    async def player(me: int) -> None:
        nonlocal turn

        def my_turn() -> bool:
            return turn % 2 == me

        for _ in range(turns):
            async with cond:
                await cond.wait_for(my_turn)
                turn += 1
                cond.notify()

    start = time.perf_counter_ns()
    await asyncio.gather(player(0), player(1))
    return time.perf_counter_ns() - start


if sys.version_info >= (3, 11):

    @workload(
        "Barrier",
        f"Barrier({_BARRIER_PARTIES}) rounds (per wait)",
        ops=5_000,
        quick_ops=1_000,
        contended=True,
    )
    async def barrier_rounds(ns: Namespace, n: int) -> int:
        barrier = ns.Barrier(_BARRIER_PARTIES)
        rounds = max(1, n // _BARRIER_PARTIES)

        async def party() -> None:
            for _ in range(rounds):
                await barrier.wait()

        start = time.perf_counter_ns()
        await asyncio.gather(*[party() for _ in range(_BARRIER_PARTIES)])
        return time.perf_counter_ns() - start


WORKLOADS: tuple[Workload, ...] = tuple(_defined)
"""All workloads available on this interpreter, in display order."""


def class_names(workloads: Sequence[Workload] = WORKLOADS) -> list[str]:
    """Every class the given workloads use (and :data:`CLASSES`), each once, in order."""
    names = dict.fromkeys(CLASSES)
    for wl in workloads:
        names.update(dict.fromkeys(wl.needs))
    return list(names)
