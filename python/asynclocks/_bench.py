"""Benchmark workloads and runner shared by ``python -m asynclocks`` and ``benchmarks/``.

An *implementation* is a namespace of classes (``Lock``, ``Event``, ...): the
:mod:`asyncio` module, the :mod:`asynclocks` package, or anything shaped like
them (the C "floor" of ``benchmarks/`` provides ``Lock``, ``Event`` and
``Semaphore`` only). :func:`run_workloads` times every workload on every
implementation, interleaved round by round in this one process, and reports
medians in nanoseconds per operation. Uncontended workloads time a tight loop
inside one coroutine; nothing is subtracted. :func:`measure_bytes` reports
memory per object with :mod:`tracemalloc`.

This module is not public API: names and figures may change between releases.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import gc
import importlib
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "CLASSES",
    "WORKLOADS",
    "Implementation",
    "Result",
    "Workload",
    "default_implementations",
    "format_bytes_table",
    "format_results",
    "format_table",
    "loop_factories",
    "machine_info",
    "measure_bytes",
    "method_info",
    "results_to_json",
    "run_workloads",
]

_HAS_BARRIER = sys.version_info >= (3, 11)

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
    """Class names the implementation must provide."""
    floor: bool = False
    """Whether the C floor can run it."""
    common: bool = False
    """Shown by ``python -m asynclocks``."""
    contended: bool = False

    def title(self, ops: int) -> str:
        """Return the label with the operation count filled in."""
        return self.label.format(n=f"{ops:,}")


@dataclasses.dataclass(frozen=True)
class Implementation:
    """A named namespace of classes to benchmark."""

    name: str
    namespace: Namespace
    floor: bool = False
    """A floor runs only workloads marked ``floor=True``."""

    def supports(self, workload: Workload) -> bool:
        """Whether this implementation can run ``workload``."""
        if self.floor and not workload.floor:
            return False
        return all(hasattr(self.namespace, cls) for cls in workload.needs)


@dataclasses.dataclass
class Result:
    """Per-operation timings of one workload on each implementation."""

    workload: Workload
    ops: int
    samples: dict[str, list[float]]
    """Implementation name -> ns/op, one entry per round."""

    def median(self, impl: str) -> float | None:
        """Median ns/op of ``impl``, or None when it did not run."""
        values = self.samples.get(impl)
        return statistics.median(values) if values else None

    def ratio(self, numerator: str, denominator: str) -> float | None:
        """``median(numerator) / median(denominator)``, or None if either is missing."""
        num, den = self.median(numerator), self.median(denominator)
        if num is None or den is None or den <= 0:
            return None
        return num / den

    def spread(self, impl: str) -> float | None:
        """``(max - min) / median`` of ``impl``'s samples (0.10 = 10%), or None."""
        values = self.samples.get(impl)
        med = self.median(impl)
        if not values or not med:
            return None
        return (max(values) - min(values)) / med

    def round_ratios(self, numerator: str, denominator: str) -> list[float]:
        """``numerator / denominator`` round by round (each round times both back to back)."""
        nums, dens = self.samples.get(numerator, []), self.samples.get(denominator, [])
        return [n / d for n, d in zip(nums, dens, strict=False) if d > 0]


# ---------------------------------------------------------------------------
# Uncontended workloads: a tight loop inside one coroutine.


async def _lock_async_with(ns: Namespace, n: int) -> int:
    lock = ns.Lock()
    start = time.perf_counter_ns()
    for _ in range(n):
        async with lock:
            pass
    return time.perf_counter_ns() - start


async def _lock_acquire_release(ns: Namespace, n: int) -> int:
    lock = ns.Lock()
    start = time.perf_counter_ns()
    for _ in range(n):
        await lock.acquire()
        lock.release()
    return time.perf_counter_ns() - start


async def _event_wait_set(ns: Namespace, n: int) -> int:
    event = ns.Event()
    event.set()
    start = time.perf_counter_ns()
    for _ in range(n):
        await event.wait()
    return time.perf_counter_ns() - start


async def _sem_async_with(ns: Namespace, n: int) -> int:
    sem = ns.Semaphore()
    start = time.perf_counter_ns()
    for _ in range(n):
        async with sem:
            pass
    return time.perf_counter_ns() - start


async def _cond_notify(ns: Namespace, n: int) -> int:
    cond = ns.Condition()
    start = time.perf_counter_ns()
    for _ in range(n):
        async with cond:
            cond.notify()
    return time.perf_counter_ns() - start


def _construct(cls_name: str, *args: int) -> WorkloadFn:
    async def construct(ns: Namespace, n: int) -> int:
        cls = getattr(ns, cls_name)
        start = time.perf_counter_ns()
        for _ in range(n):
            cls(*args)
        return time.perf_counter_ns() - start

    construct.__name__ = f"_construct_{cls_name}"
    return construct


# ---------------------------------------------------------------------------
# Contended workloads: many tasks; n is the number of operations named in the label.

_HANDOFF_TASKS = 50
_SEM_LIMIT = 10
_BARRIER_PARTIES = 100


async def _lock_handoff(ns: Namespace, n: int) -> int:
    lock = ns.Lock()
    per_task = max(1, n // _HANDOFF_TASKS)

    async def worker() -> None:
        for _ in range(per_task):
            async with lock:
                await asyncio.sleep(0)

    start = time.perf_counter_ns()
    await asyncio.gather(*[worker() for _ in range(_HANDOFF_TASKS)])
    return time.perf_counter_ns() - start


async def _sem_limit(ns: Namespace, n: int) -> int:
    sem = ns.Semaphore(_SEM_LIMIT)

    async def worker() -> None:
        async with sem:
            await asyncio.sleep(0)

    start = time.perf_counter_ns()
    await asyncio.gather(*[worker() for _ in range(n)])
    return time.perf_counter_ns() - start


async def _event_broadcast(ns: Namespace, n: int) -> int:
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


async def _cond_ping_pong(ns: Namespace, n: int) -> int:
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


async def _barrier_rounds(ns: Namespace, n: int) -> int:
    barrier = ns.Barrier(_BARRIER_PARTIES)
    rounds = max(1, n // _BARRIER_PARTIES)

    async def party() -> None:
        for _ in range(rounds):
            await barrier.wait()

    start = time.perf_counter_ns()
    await asyncio.gather(*[party() for _ in range(_BARRIER_PARTIES)])
    return time.perf_counter_ns() - start


CLASSES: tuple[str, ...] = (
    "Lock",
    "Event",
    "Condition",
    "Semaphore",
    "BoundedSemaphore",
    *(("Barrier",) if _HAS_BARRIER else ()),
)
"""The classes asynclocks provides on this interpreter."""

_CONSTRUCT_ARGS: dict[str, tuple[int, ...]] = {"Barrier": (2,)}


def _constructor_label(cls_name: str) -> str:
    args = ", ".join(map(str, _CONSTRUCT_ARGS.get(cls_name, ())))
    return f"{cls_name}({args})"


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "lock_async_with",
        "async with lock",
        _lock_async_with,
        ops=100_000,
        quick_ops=10_000,
        needs=("Lock",),
        floor=True,
        common=True,
    ),
    Workload(
        "lock_acquire_release",
        "await lock.acquire(); lock.release()",
        _lock_acquire_release,
        ops=100_000,
        quick_ops=10_000,
        needs=("Lock",),
        floor=True,
        common=True,
    ),
    Workload(
        "event_wait_set",
        "await ev.wait() (set)",
        _event_wait_set,
        ops=100_000,
        quick_ops=10_000,
        needs=("Event",),
        floor=True,
        common=True,
    ),
    Workload(
        "sem_async_with",
        "async with sem",
        _sem_async_with,
        ops=100_000,
        quick_ops=10_000,
        needs=("Semaphore",),
        floor=True,
        common=True,
    ),
    Workload(
        "cond_notify",
        "async with cond: cond.notify()",
        _cond_notify,
        ops=50_000,
        quick_ops=5_000,
        needs=("Condition",),
        common=True,
    ),
    *(
        Workload(
            f"construct_{cls}",
            _constructor_label(cls),
            _construct(cls, *_CONSTRUCT_ARGS.get(cls, ())),
            ops=50_000,
            quick_ops=5_000,
            needs=(cls,),
        )
        for cls in CLASSES
    ),
    Workload(
        "lock_handoff",
        f"lock hand-off, {_HANDOFF_TASKS} tasks (per acquire)",
        _lock_handoff,
        ops=2_000,
        quick_ops=500,
        needs=("Lock",),
        common=True,
        contended=True,
    ),
    Workload(
        "sem_limit",
        f"Semaphore({_SEM_LIMIT}) limiting {{n}} tasks (per task)",
        _sem_limit,
        ops=20_000,
        quick_ops=2_000,
        needs=("Semaphore",),
        floor=True,
        contended=True,
    ),
    Workload(
        "event_broadcast",
        "Event.set() releasing {n} waiters (per waiter)",
        _event_broadcast,
        ops=20_000,
        quick_ops=2_000,
        needs=("Event",),
        floor=True,
        contended=True,
    ),
    Workload(
        "cond_ping_pong",
        "Condition ping-pong, wait_for (per turn)",
        _cond_ping_pong,
        ops=2_000,
        quick_ops=400,
        needs=("Condition",),
        contended=True,
    ),
    *(
        (
            Workload(
                "barrier_rounds",
                f"Barrier({_BARRIER_PARTIES}) rounds (per wait)",
                _barrier_rounds,
                ops=5_000,
                quick_ops=1_000,
                needs=("Barrier",),
                contended=True,
            ),
        )
        if _HAS_BARRIER
        else ()
    ),
)
"""All workloads available on this interpreter, in display order."""


# ---------------------------------------------------------------------------
# Running


def default_implementations() -> list[Implementation]:
    """``stdlib`` (:mod:`asyncio`) and ``asynclocks`` (whichever IMPLEMENTATION is active)."""
    import asynclocks

    return [Implementation("stdlib", asyncio), Implementation("asynclocks", asynclocks)]


def loop_factories(
    names: Iterable[str] = ("asyncio", "uvloop"),
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Event loop factories by name; ``uvloop`` is left out when it cannot be imported."""
    factories: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {}
    for name in names:
        if name == "asyncio":
            factories[name] = asyncio.new_event_loop
        elif name == "uvloop":
            try:
                uvloop = importlib.import_module("uvloop")  # optional, untyped here
            except ImportError:
                continue
            factories[name] = uvloop.new_event_loop
        else:
            raise ValueError(f"unknown loop {name!r}")
    return factories


def _sample(
    loop: asyncio.AbstractEventLoop, workload: Workload, impl: Implementation, ops: int
) -> float:
    """Run one sample; return ns/op.

    Contended workloads run with the cyclic collector paused: with thousands
    of live tasks one full collection costs tens of milliseconds, and whether
    it lands inside an implementation's timed window depends on the phase of
    the collector's allocation counters, not on the implementation.
    """
    gc.collect()
    paused = workload.contended and gc.isenabled()
    if paused:
        gc.disable()
    try:
        elapsed = loop.run_until_complete(workload.fn(impl.namespace, ops))
    finally:
        if paused:
            gc.enable()
    return elapsed / ops


def run_workloads(
    implementations: Sequence[Implementation],
    workloads: Sequence[Workload],
    *,
    loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
    rounds: int = 7,
    quick: bool = False,
    progress: Callable[[str], None] | None = None,
    on_sample: Callable[[int, int], None] | None = None,
) -> list[Result]:
    """Time every workload on every implementation that supports it.

    One warm-up sample (a tenth of the size) per pair, then ``rounds`` rounds;
    each round runs every workload on every implementation, rotating the order
    of the implementations from round to round. All in one event loop made by
    ``loop_factory``, closed at the end. ``progress`` hears of each round;
    ``on_sample(done, total)`` of each sample taken, warm-ups included.
    """
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    results = [
        Result(
            wl,
            wl.quick_ops if quick else wl.ops,
            {i.name: [] for i in implementations if i.supports(wl)},
        )
        for wl in workloads
    ]
    pairs = sum(len(result.samples) for result in results)
    total, done = pairs * (rounds + 1), 0

    def tick() -> None:
        nonlocal done
        done += 1
        if on_sample is not None:
            on_sample(done, total)

    loop = loop_factory()
    try:
        for result in results:
            for impl in implementations:
                if impl.name in result.samples:
                    _sample(loop, result.workload, impl, max(1, result.ops // 10))
                    tick()
        for rnd in range(rounds):
            if progress is not None:
                progress(f"round {rnd + 1}/{rounds}")
            shift = rnd % len(implementations)
            order = [*implementations[shift:], *implementations[:shift]]
            for result in results:
                for impl in order:
                    if impl.name in result.samples:
                        value = _sample(loop, result.workload, impl, result.ops)
                        result.samples[impl.name].append(value)
                        tick()
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    return results


def _bytes_per_object(factory: Callable[[], object], count: int) -> float:
    """Average traced bytes per live instance made by ``factory``."""
    keep: list[object] = [None] * count
    factory()  # warm any lazily created type-level caches
    gc.collect()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            keep[i] = factory()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        if started:
            tracemalloc.stop()
    del keep
    return (after - before) / count


def measure_bytes(
    implementations: Sequence[Implementation],
    classes: Sequence[str] = CLASSES,
    *,
    count: int = 2_000,
) -> dict[str, dict[str, float]]:
    """Bytes per object: class name -> implementation name -> bytes (floors skipped)."""
    table: dict[str, dict[str, float]] = {}
    for cls_name in classes:
        row: dict[str, float] = {}
        for impl in implementations:
            cls = getattr(impl.namespace, cls_name, None)
            if impl.floor or cls is None:
                continue
            args = _CONSTRUCT_ARGS.get(cls_name, ())
            row[impl.name] = _bytes_per_object(functools.partial(cls, *args), count)
        table[cls_name] = row
    return table


# ---------------------------------------------------------------------------
# Reporting


def machine_info() -> dict[str, Any]:
    """Interpreter and machine description for reports."""
    import asynclocks

    return {
        "python": sys.version.split()[0],
        "python_full": sys.version,
        "implementation": platform.python_implementation(),
        "compiler": platform.python_compiler(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "asynclocks_version": asynclocks.__version__,
        "asynclocks_implementation": asynclocks.IMPLEMENTATION,
    }


def method_info(rounds: int, quick: bool) -> dict[str, Any]:
    """How the figures were obtained, for JSON reports."""
    return {
        "timer": "time.perf_counter_ns",
        "statistic": "median over rounds of ns per operation",
        "rounds": rounds,
        "quick": quick,
        "warmup": "one sample of a tenth of the size per workload and implementation",
        "interleaving": "each round runs every workload on every implementation, "
        "implementation order rotated per round, one process, one loop per loop kind",
        "uncontended": "tight loop inside one coroutine; loop overhead included, "
        "nothing subtracted",
        "gc": "gc.collect() before each sample; gc enabled while timing uncontended "
        "workloads, paused while timing contended ones",
        "bytes_per_object": "tracemalloc traced-memory growth while keeping many "
        "instances alive, divided by their number",
    }


def results_to_json(
    results: Sequence[Result], pairs: Sequence[tuple[str, str, str]]
) -> dict[str, Any]:
    """JSON-ready figures; ``pairs`` are ``(key, numerator, denominator)`` ratios to add."""
    out: dict[str, Any] = {}
    for result in results:
        wl = result.workload
        out[wl.name] = {
            "label": wl.title(result.ops),
            "ops_per_sample": result.ops,
            "contended": wl.contended,
            "median_ns": {name: result.median(name) for name in result.samples},
            "samples_ns": {name: values for name, values in result.samples.items()},
            **{key: result.ratio(num, den) for key, num, den in pairs},
        }
    return out


def _fmt_ns(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Render a plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def format_results(
    results: Sequence[Result],
    columns: Sequence[tuple[str, str]],
    ratios: Sequence[tuple[str, str, str]],
) -> str:
    """Table of medians: ``columns`` are ``(header, impl)``; ``ratios`` ``(header, num, den)``."""
    headers = ["workload", *(h for h, _ in columns), *(h for h, _, _ in ratios)]
    rows = [
        [
            r.workload.title(r.ops),
            *(_fmt_ns(r.median(impl)) for _, impl in columns),
            *(_fmt_ratio(r.ratio(num, den)) for _, num, den in ratios),
        ]
        for r in results
    ]
    return format_table(headers, rows)


def format_bytes_table(table: Mapping[str, Mapping[str, float]], impls: Sequence[str]) -> str:
    """Bytes-per-object table with a stdlib/asynclocks ratio column when both exist."""
    headers = ["class", *(f"{name} bytes" for name in impls)]
    with_ratio = "stdlib" in impls and "asynclocks" in impls
    if with_ratio:
        headers.append("stdlib/asynclocks")
    rows = []
    for cls_name, row in table.items():
        cells = [cls_name, *(f"{row[name]:,.0f}" if name in row else "-" for name in impls)]
        if with_ratio:
            std, ours = row.get("stdlib"), row.get("asynclocks")
            cells.append(_fmt_ratio(std / ours if std and ours else None))
        rows.append(cells)
    return format_table(headers, rows)
