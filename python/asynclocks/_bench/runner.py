"""Running the workloads: implementations, interleaved rounds, bytes per object.

An :class:`Implementation` is a named namespace of classes. The ``stdlib``
one holds asyncio's original classes (:func:`stdlib_namespace`), whatever
:func:`asynclocks.install` has put in :mod:`asyncio`; the ``asynclocks`` one
is the package. :func:`run_workloads` times every workload on every
implementation, interleaved round by round in this one process, and reports
nanoseconds per operation; :func:`measure_bytes` reports memory per object
with :mod:`tracemalloc`. Both run with asyncio's own classes in :mod:`asyncio`
(:func:`asyncio_originals_in_place`): the stdlib's Condition makes its default
Lock, and its Barrier its Condition, from the ``asyncio.locks`` module, so an
active install() would otherwise slip asynclocks' classes into the stdlib's.

This module is not public API: names and figures may change between releases.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gc
import importlib
import statistics
import tracemalloc
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from asynclocks._bench.workloads import CLASSES, CONSTRUCTORS, Namespace, Workload, class_names

__all__ = [
    "Implementation",
    "Result",
    "asyncio_originals_in_place",
    "default_implementations",
    "loop_factories",
    "measure_bytes",
    "method_info",
    "run_workloads",
    "stdlib_namespace",
]


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

    def classes(self, names: Iterable[str]) -> dict[str, type]:
        """The classes this implementation provides among ``names``."""
        found = {name: getattr(self.namespace, name, None) for name in names}
        return {name: cls for name, cls in found.items() if isinstance(cls, type)}


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


def stdlib_namespace(names: Iterable[str] | None = None) -> types.SimpleNamespace:
    """asyncio's original classes, by name, even while asynclocks' are installed.

    ``names`` defaults to every class the workloads use. A class
    :func:`asynclocks.install` replaces comes from
    :func:`asynclocks._install.originals`; any other from :mod:`asyncio`.
    Names asyncio lacks are left out.
    """
    from asynclocks._install import originals

    replaced = originals()
    classes: dict[str, Any] = {}
    for name in class_names() if names is None else names:
        cls = replaced.get(name, getattr(asyncio, name, None))
        if cls is not None:
            classes[name] = cls
    return types.SimpleNamespace(**classes)


def default_implementations() -> list[Implementation]:
    """``stdlib`` (asyncio's original classes) and ``asynclocks`` (its active IMPLEMENTATION)."""
    import asynclocks

    return [
        Implementation("stdlib", stdlib_namespace()),
        Implementation("asynclocks", asynclocks),
    ]


@contextlib.contextmanager
def asyncio_originals_in_place() -> Iterator[None]:
    """Run the body with asyncio's own classes in :mod:`asyncio`.

    When :func:`asynclocks.install` is active, :func:`asynclocks.uninstall`
    runs first and :func:`asynclocks.install` after the body; otherwise
    nothing changes.
    """
    import asynclocks

    installed = asynclocks.is_installed()
    if installed:
        asynclocks.uninstall()
    try:
        yield
    finally:
        if installed:
            asynclocks.install()


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
    ``loop_factory``, closed at the end, with asyncio's own classes in
    :mod:`asyncio` (:func:`asyncio_originals_in_place`). ``progress`` hears of
    each round; ``on_sample(done, total)`` of each sample taken, warm-ups
    included.
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

    with asyncio_originals_in_place():
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
    """Bytes per object: class name -> implementation name -> bytes (floors skipped).

    Constructor arguments come from :data:`~asynclocks._bench.workloads.CONSTRUCTORS`;
    measured with asyncio's own classes in :mod:`asyncio`.
    """
    table: dict[str, dict[str, float]] = {}
    with asyncio_originals_in_place():
        for cls_name in classes:
            row: dict[str, float] = {}
            for impl in implementations:
                cls = getattr(impl.namespace, cls_name, None)
                if impl.floor or cls is None:
                    continue
                args = CONSTRUCTORS.get(cls_name, ())
                row[impl.name] = _bytes_per_object(functools.partial(cls, *args), count)
            table[cls_name] = row
    return table


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
        "stdlib": "asyncio's original classes, whether or not asynclocks.install() is "
        "active; while measuring, asyncio holds its own classes (install() is undone "
        "and redone around the measurement)",
    }
