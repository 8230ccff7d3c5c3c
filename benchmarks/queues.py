"""asyncio's Queue family against asynclocks' and a C floor, side by side in one process.

    python -m benchmarks.queues                  # from the repository root
    python -m benchmarks.queues --quick          # smoke run, no assertions
    python -m benchmarks.queues --loop asyncio --rounds 21 --json queues.json
    python -m benchmarks.queues --one WORKLOAD IMPL N   # one run, for callgrind

Rows (ns per operation, median of interleaved rounds; see benchmarks/README.md):

* ``q.put_nowait(x); q.get_nowait()`` on ``Queue()``, ``LifoQueue()`` and
  ``PriorityQueue()``: per pair, in a tight loop inside one coroutine.
* ``await q.put(x); await q.get()`` on ``Queue()``: per pair; neither waits.
* ``producer -> consumer, Queue(16)``: a producer task puts N items, a
  consumer task gets them; both wait in turn (the queue fills, then drains).
  Per item, the whole task group timed.
* ``Queue()``: construction, per object.

Columns: ``stdlib`` (asyncio's classes), ``asynclocks`` and, for the rows of
``Queue`` that never wait, ``floor``: ``FloorQueue`` in ``floor.c``, a
``collections.deque`` driven through its C methods whose ``put()``/``get()``
return awaitables completing the first time they are driven: no queue with
asyncio's semantics can do less. Bytes per object: ``tracemalloc`` growth per
live instance.

``--one WORKLOAD IMPL N`` runs one workload once, N operations, and prints
nothing: under ``valgrind --tool=callgrind`` the difference between two N
gives instructions per operation (see benchmarks/README.md, "Queues").
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
import tracemalloc
import types
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(_REPO))

try:
    import asynclocks
except ImportError:  # not installed: the source tree (stdlib classes unless built there)
    sys.path.insert(0, str(_REPO / "python"))
    import asynclocks

from benchmarks.floor import FloorUnavailable, load_floor  # noqa: E402

Namespace = Any
WorkloadFn = Callable[[Namespace, int], Awaitable[int]]

HANDOFF_MAXSIZE = 16


async def _nowait(cls: str, ns: Namespace, n: int) -> int:
    q = getattr(ns, cls)()
    t0 = time.perf_counter_ns()
    for i in range(n):
        q.put_nowait(i)
        q.get_nowait()
    return time.perf_counter_ns() - t0


async def _await_put_get(ns: Namespace, n: int) -> int:
    q = ns.Queue()
    t0 = time.perf_counter_ns()
    for i in range(n):
        await q.put(i)
        await q.get()
    return time.perf_counter_ns() - t0


async def _handoff(ns: Namespace, n: int) -> int:
    q = ns.Queue(HANDOFF_MAXSIZE)

    async def producer() -> None:
        for i in range(n):
            await q.put(i)

    async def consumer() -> None:
        for _ in range(n):
            await q.get()

    t0 = time.perf_counter_ns()
    await asyncio.gather(producer(), consumer())
    return time.perf_counter_ns() - t0


async def _construct(ns: Namespace, n: int) -> int:
    cls = ns.Queue
    t0 = time.perf_counter_ns()
    for _ in range(n):
        cls()
    return time.perf_counter_ns() - t0


def _nowait_fn(cls: str) -> WorkloadFn:
    async def fn(ns: Namespace, n: int) -> int:
        return await _nowait(cls, ns, n)

    return fn


# name, label, fn, ops, quick ops, class needed, floor runs it, contended
WORKLOADS: tuple[tuple[str, str, WorkloadFn, int, int, str, bool, bool], ...] = (
    ("nowait", "Queue: put_nowait(x); get_nowait()", _nowait_fn("Queue"), 100_000, 10_000,
     "Queue", True, False),
    ("await", "Queue: await put(x); await get()", _await_put_get, 100_000, 10_000, "Queue",
     True, False),
    ("lifo_nowait", "LifoQueue: put_nowait(x); get_nowait()", _nowait_fn("LifoQueue"),
     100_000, 10_000, "LifoQueue", False, False),
    ("prio_nowait", "PriorityQueue: put_nowait(x); get_nowait()", _nowait_fn("PriorityQueue"),
     100_000, 10_000, "PriorityQueue", False, False),
    ("handoff", f"producer -> consumer, Queue({HANDOFF_MAXSIZE}) (per item)", _handoff,
     20_000, 2_000, "Queue", False, True),
    ("construct", "Queue()", _construct, 50_000, 5_000, "Queue", False, False),
)  # fmt: skip


def _implementations(use_floor: bool) -> tuple[dict[str, Namespace], str | None]:
    impls: dict[str, Namespace] = {"stdlib": asyncio, "asynclocks": asynclocks}
    if not use_floor:
        return impls, "disabled (--no-floor)"
    try:
        module = load_floor()
    except FloorUnavailable as exc:
        return impls, str(exc)
    impls["floor"] = types.SimpleNamespace(Queue=module.FloorQueue)
    return impls, None


def _loops(which: str) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    loops: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {}
    if which in ("asyncio", "both"):
        loops["asyncio"] = asyncio.new_event_loop
    if which in ("uvloop", "both"):
        try:
            import uvloop
        except ImportError:
            print("note: uvloop not importable, skipped")
        else:
            loops["uvloop"] = uvloop.new_event_loop
    return loops


def _sample(loop: asyncio.AbstractEventLoop, fn: WorkloadFn, ns: Namespace, ops: int,
            contended: bool) -> float:  # fmt: skip
    gc.collect()
    paused = contended and gc.isenabled()
    if paused:
        gc.disable()
    try:
        elapsed = loop.run_until_complete(fn(ns, ops))
    finally:
        if paused:
            gc.enable()
    return elapsed / ops


def run(
    impls: dict[str, Namespace],
    loop_factory: Callable[[], asyncio.AbstractEventLoop],
    rounds: int,
    quick: bool,
) -> dict[str, dict[str, list[float]]]:
    """Workload name -> implementation -> ns/op per round (interleaved, rotating order)."""
    names = list(impls)
    samples: dict[str, dict[str, list[float]]] = {}
    loop = loop_factory()
    try:
        plan = []
        for name, _label, fn, ops, qops, cls, floor_ok, contended in WORKLOADS:
            runners = [i for i in names if hasattr(impls[i], cls) and (i != "floor" or floor_ok)]
            n = qops if quick else ops
            samples[name] = {i: [] for i in runners}
            plan.append((name, fn, n, contended, runners))
            for i in runners:  # warm-up
                _sample(loop, fn, impls[i], max(1, n // 10), contended)
        for rnd in range(rounds):
            print(f"  round {rnd + 1}/{rounds}", file=sys.stderr, flush=True)
            for name, fn, n, contended, runners in plan:
                shift = rnd % len(runners)
                for i in runners[shift:] + runners[:shift]:
                    samples[name][i].append(_sample(loop, fn, impls[i], n, contended))
    finally:
        loop.close()
    return samples


def _bytes_per_object(cls: Callable[[], object], count: int) -> float:
    keep: list[object] = [None] * count
    cls()
    gc.collect()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(count):
            keep[i] = cls()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        if started:
            tracemalloc.stop()
    del keep
    return (after - before) / count


def _fmt(v: float | None, ratio: bool = False) -> str:
    if v is None:
        return "-"
    return f"{v:.2f}x" if ratio else f"{v:,.0f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("-|-".join("-" * w for w in widths))
    for r in rows:
        lines.append(" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    return "\n".join(lines)


def _report(samples: dict[str, dict[str, list[float]]]) -> tuple[str, dict[str, Any]]:
    rows = []
    out: dict[str, Any] = {}
    for name, label, *_ in WORKLOADS:
        med = {i: statistics.median(v) for i, v in samples[name].items() if v}
        s, a, f = med.get("stdlib"), med.get("asynclocks"), med.get("floor")
        speedup = s / a if s and a else None
        over_floor = a / f if a and f else None
        rows.append([label, _fmt(s), _fmt(a), _fmt(f), _fmt(speedup, True),
                     _fmt(over_floor, True)])  # fmt: skip
        out[name] = {"label": label, "median_ns": med, "samples_ns": samples[name],
                     "speedup": speedup, "asynclocks_over_floor": over_floor}  # fmt: skip
    headers = ["workload", "stdlib ns", "asynclocks ns", "floor ns", "stdlib/asynclocks",
               "asynclocks/floor"]  # fmt: skip
    return _table(headers, rows), out


def _one(workload: str, impl: str, n: int) -> int:
    impls, missing = _implementations(impl == "floor")
    if impl not in impls:
        print(f"implementation {impl!r} unavailable: {missing}", file=sys.stderr)
        return 2
    for name, _label, fn, *_ in WORKLOADS:
        if name == workload:
            loop = asyncio.new_event_loop()
            try:
                loop.run_until_complete(fn(impls[impl], n))
            finally:
                loop.close()
            return 0
    print(f"unknown workload {workload!r}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the queue benchmarks and print the tables; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.queues")
    parser.add_argument("--quick", action="store_true", help="3 rounds of small samples")
    parser.add_argument("--json", metavar="PATH", help="also write all figures as JSON")
    parser.add_argument("--loop", choices=("asyncio", "uvloop", "both"), default="both")
    parser.add_argument("--rounds", type=int, help="rounds (default 11, quick 3)")
    parser.add_argument("--no-floor", action="store_true", help="do not build or run the floor")
    parser.add_argument("--one", nargs=3, metavar=("WORKLOAD", "IMPL", "N"),
                        help="run one workload once (for callgrind) and exit")  # fmt: skip
    args = parser.parse_args(argv)
    if args.one:
        return _one(args.one[0], args.one[1], int(args.one[2]))
    rounds = args.rounds or (3 if args.quick else 11)
    impls, floor_missing = _implementations(not args.no_floor)
    print(f"Python {sys.version.split()[0]}, asynclocks {asynclocks.__version__}, "
          f"IMPLEMENTATION={asynclocks.IMPLEMENTATION!r}; median of {rounds} interleaved "
          f"rounds{' (quick)' if args.quick else ''}")  # fmt: skip
    if floor_missing:
        print(f"note: floor unavailable: {floor_missing}")
    report: dict[str, Any] = {"python": sys.version, "rounds": rounds, "loops": {}}
    for loop_name, factory in _loops(args.loop).items():
        print(f"\n== {loop_name} ==", flush=True)
        table, data = _report(run(impls, factory, rounds, args.quick))
        print(table)
        report["loops"][loop_name] = data
    count = 500 if args.quick else 5_000
    sizes = {
        cls: {i: _bytes_per_object(getattr(impls[i], cls), count) for i in ("stdlib", "asynclocks")}
        for cls in ("Queue", "LifoQueue", "PriorityQueue")
    }
    report["bytes_per_object"] = sizes
    print("\n== bytes per object (tracemalloc) ==")
    rows = [[cls, _fmt(v["stdlib"]), _fmt(v["asynclocks"]), _fmt(v["stdlib"] / v["asynclocks"],
             True)] for cls, v in sizes.items()]  # fmt: skip
    print(_table(["class", "stdlib", "asynclocks", "stdlib/asynclocks"], rows))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
