"""ThreadSafeFlag / ThreadSafeEvent against the usual ways to wake a task from a
thread, side by side in one process, on asyncio's loop and uvloop.

    python -m benchmarks.threadsafe            # from the repository root
    python -m benchmarks.threadsafe --quick    # smoke run
    python -m benchmarks.threadsafe --json threadsafe.json

Rows (ns, median over rounds of each round's figure, and the minimum over
rounds, which is less disturbed when other processes share the CPUs; lower is
better):

* ``thread->task latency``: a task waits; a thread (after making sure the
  task's loop sleeps in its selector) calls the wake-up; from just before that
  call to the task running again.
* ``task->thread latency``: a thread blocks; a task wakes it; from just before
  the call to the thread running again.
* ``round trip``: thread wakes task, task wakes thread, as fast as possible;
  ns per round trip (two hand-offs), i.e. the hand-off throughput (median of
  ten chunks per sample).
* ``task<->task, one loop``: two tasks of one loop wake each other in turn
  (the single-loop case, where ``asyncio.Event`` is the reference); ns per
  round trip.

Columns: ``ThreadSafeFlag`` and ``ThreadSafeEvent`` (asynclocks; with the C
extension in use, also ``ThreadSafeFlag (Python)`` and ``ThreadSafeEvent
(Python)``, the pure-Python implementation used when the extension is not);
``call_soon_threadsafe`` (``loop.call_soon_threadsafe(asyncio_event.set)``,
threads wait on a ``threading.Event``); ``to_thread`` (``await
asyncio.to_thread(threading_event.wait)``); ``aiologic`` (``aiologic.REvent``,
if installed: ``pip install aiologic``). For task->thread the stdlib way is a
``threading.Event`` set by the task (one column for both stdlib ways) or, for
a thread that must wait on an asyncio.Event,
``run_coroutine_threadsafe(ev.wait(), loop).result()``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent
try:
    import asynclocks
except ImportError:  # pragma: no cover
    sys.path.insert(0, str(_REPO / "python"))
    import asynclocks

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None
try:
    import aiologic
except ImportError:  # pragma: no cover
    aiologic = None

from asynclocks import _threadsafe  # noqa: E402

# column suffix -> (ThreadSafeFlag, ThreadSafeEvent): the package's, and the
# pure-Python ones beside the C ones when the extension is in use
VARIANTS = {"": (asynclocks.ThreadSafeFlag, asynclocks.ThreadSafeEvent)}
if asynclocks.IMPLEMENTATION == "c":
    VARIANTS[" (Python)"] = (_threadsafe.ThreadSafeFlag, _threadsafe.ThreadSafeEvent)

perf = time.perf_counter_ns
PAUSE = 0.0002  # seconds the partner waits so that the other side is asleep


# ---------------------------------------------------------------------------
# thread -> task: (make_state, thread_set, task_wait)


def _fwd_impls(loop):
    impls = {}
    for suffix, (flag_cls, event_cls) in VARIANTS.items():
        f = flag_cls()
        impls["ThreadSafeFlag" + suffix] = (f.set, f.wait)

        e = event_cls()

        async def e_wait(e=e):
            await e.wait()
            e.clear()

        impls["ThreadSafeEvent" + suffix] = (e.set, e_wait)

    aev = asyncio.Event()

    async def a_wait():
        await aev.wait()
        aev.clear()

    impls["call_soon_threadsafe"] = (lambda: loop.call_soon_threadsafe(aev.set), a_wait)

    tev = threading.Event()

    async def t_wait():
        await asyncio.to_thread(tev.wait)
        tev.clear()

    impls["to_thread"] = (tev.set, t_wait)
    if aiologic is not None:
        rev = aiologic.REvent()

        async def r_wait():
            await rev
            rev.clear()

        impls["aiologic"] = (rev.set, r_wait)
    return impls


def _bwd_impls(loop):
    """task -> thread: (task_set, thread_wait)."""
    impls = {}
    for suffix, (_, event_cls) in VARIANTS.items():
        e = event_cls()

        def e_wait(e=e):
            e.wait_sync()
            e.clear()

        impls["ThreadSafeEvent" + suffix] = (e.set, e_wait)
    tev = threading.Event()

    def t_wait():
        tev.wait()
        tev.clear()

    impls["threading.Event"] = (tev.set, t_wait)
    aev = asyncio.Event()

    def rc_wait():
        asyncio.run_coroutine_threadsafe(aev.wait(), loop).result()
        aev.clear()  # the loop is idle: no waiter can be touched concurrently

    impls["run_coroutine_threadsafe"] = (aev.set, rc_wait)
    if aiologic is not None:
        rev = aiologic.REvent()

        def r_wait():
            rev.wait()
            rev.clear()

        impls["aiologic"] = (rev.set, r_wait)
    return impls


def _thread(fn):
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    return t


async def t2t_latency(fwd, n):
    thread_set, task_wait = fwd
    ready = asynclocks.ThreadSafeEvent()  # task -> thread: "I am about to wait"
    t0 = [0]
    lats = []

    def partner():
        for _ in range(n):
            ready.wait_sync()
            ready.clear()
            time.sleep(PAUSE)
            t0[0] = perf()
            thread_set()

    th = _thread(partner)
    for _ in range(n):
        ready.set()
        await task_wait()
        lats.append(perf() - t0[0])
    th.join()
    return statistics.median(lats)


async def task_to_thread_latency(bwd, n):
    task_set, thread_wait = bwd
    ready = asynclocks.ThreadSafeFlag()  # thread -> task: "I am about to wait"
    t0 = [0]
    lats = []

    def partner():
        for _ in range(n):
            ready.set()
            thread_wait()
            lats.append(perf() - t0[0])

    th = _thread(partner)
    for _ in range(n):
        await ready.wait()
        await asyncio.sleep(PAUSE)
        t0[0] = perf()
        task_set()
    await asyncio.to_thread(th.join)
    return statistics.median(lats)


async def round_trip(fwd, bwd, n, chunks=10):
    """Median over chunks of ns per round trip (short chunks: a chunk that
    another process preempts does not move the median)."""
    thread_set, task_wait = fwd
    task_set, thread_wait = bwd
    per = max(n // chunks, 1)

    def partner():
        for _ in range(per * chunks):
            thread_set()
            thread_wait()

    th = _thread(partner)
    times = []
    for _ in range(chunks):
        start = perf()
        for _ in range(per):
            await task_wait()
            task_set()
        times.append((perf() - start) / per)
    await asyncio.to_thread(th.join)
    return statistics.median(times)


async def same_loop(make, n, chunks=10):
    """Median over chunks of ns per round trip between two tasks."""
    a, b = make(), make()
    per = max(n // chunks, 1)

    async def side(x, y, first):
        for _ in range(per):
            if first:
                x.set()
            await y.wait()
            y.clear()
            if not first:
                x.set()

    times = []
    for _ in range(chunks):
        start = perf()
        await asyncio.gather(side(a, b, True), side(b, a, False))
        times.append((perf() - start) / per)
    return statistics.median(times)


def _same_loop_impls():
    impls = {"asyncio.Event": asyncio.Event}
    for suffix, (flag_cls, event_cls) in VARIANTS.items():
        impls["ThreadSafeFlag" + suffix] = flag_cls
        impls["ThreadSafeEvent" + suffix] = event_cls
    if aiologic is not None:

        class _R(aiologic.REvent):
            __slots__ = ()

            async def wait(self):  # noqa: D401 - aiologic's async wait is `await ev`
                return await self

        impls["aiologic"] = _R
    return impls


# round trip pairs: forward name -> backward name
ROUND_TRIP = {
    "ThreadSafeFlag": "ThreadSafeEvent",
    "ThreadSafeEvent": "ThreadSafeEvent",
    "ThreadSafeFlag (Python)": "ThreadSafeEvent (Python)",
    "ThreadSafeEvent (Python)": "ThreadSafeEvent (Python)",
    "call_soon_threadsafe": "threading.Event",
    "to_thread": "threading.Event",
    "aiologic": "aiologic",
}


def run_loop(flavour, rounds, n):
    loop = uvloop.new_event_loop() if flavour == "uvloop" else asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    samples: dict = {}
    try:
        fwd = _fwd_impls(loop)
        bwd = _bwd_impls(loop)
        jobs = []
        for name, f in fwd.items():
            jobs.append(("thread->task latency", name, lambda f=f: t2t_latency(f, n)))
        for name, b in bwd.items():
            jobs.append(("task->thread latency", name, lambda b=b: task_to_thread_latency(b, n)))
        for name, f in fwd.items():
            b = bwd[ROUND_TRIP[name]]
            jobs.append(("round trip", name, lambda f=f, b=b: round_trip(f, b, n * 4)))
        for name, make in _same_loop_impls().items():
            jobs.append(("task<->task, one loop", name, lambda m=make: same_loop(m, n * 4)))
        # warm-up, then interleaved rounds, rotating the order
        for _, _, job in jobs:
            loop.run_until_complete(job())
        for r in range(rounds):
            k = r % len(jobs)
            for row, name, job in jobs[k:] + jobs[:k]:
                v = loop.run_until_complete(job())
                samples.setdefault(row, {}).setdefault(name, []).append(v)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    return samples


def report(all_samples):
    """Markdown tables: median (and minimum) over rounds; ratios of medians
    and of minimums to the fastest non-asynclocks column."""
    out = []
    for flavour, samples in all_samples.items():
        out.append(f"\n## {flavour}\n")
        for row, cols in samples.items():
            med = {name: statistics.median(v) for name, v in cols.items()}
            low = {name: min(v) for name, v in cols.items()}
            others = [k for k in med if not k.startswith("ThreadSafe")]
            best_med = min(others, key=med.__getitem__)
            best_low = min(others, key=low.__getitem__)
            out.append(f"### {row} (ns: median, min in brackets; lower is better)")
            out.append("| " + " | ".join(med) + " |")
            out.append("|" + "---|" * len(med))
            out.append("| " + " | ".join(f"{med[k]:,.0f} ({low[k]:,.0f})" for k in med) + " |")
            for k in med:
                if k.startswith("ThreadSafe"):
                    out.append(
                        f"- {k}: {med[best_med] / med[k]:.2f}x the fastest other by median "
                        f"({best_med}), {low[best_low] / low[k]:.2f}x by minimum ({best_low})"
                    )
            out.append("")
    return "\n".join(out)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.threadsafe")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--rounds", type=int)
    p.add_argument("--n", type=int, help="hand-offs per sample")
    p.add_argument("--loop", choices=("asyncio", "uvloop", "both"), default="both")
    p.add_argument("--json", metavar="PATH")
    a = p.parse_args(argv)
    rounds = a.rounds or (2 if a.quick else 9)
    n = a.n or (50 if a.quick else 300)
    flavours = ["asyncio", "uvloop"] if a.loop == "both" else [a.loop]
    if uvloop is None and "uvloop" in flavours:
        print("uvloop not installed: skipped")
        flavours.remove("uvloop")
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(
        f"Python {platform.python_version()}, asynclocks {asynclocks.IMPLEMENTATION}, "
        f"aiologic {getattr(aiologic, '__version__', 'not installed')}, "
        f"uvloop {getattr(uvloop, '__version__', 'not installed')}; "
        f"{rounds} rounds x {n} hand-offs; load average before: {load}"
    )
    all_samples = {fl: run_loop(fl, rounds, n) for fl in flavours}
    print(report(all_samples))
    print(f"load average after: {os.getloadavg() if load else None}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(
                {
                    "python": platform.python_version(),
                    "load_before": load,
                    "rounds": rounds,
                    "n": n,
                    "samples": all_samples,
                },
                fh,
                indent=1,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
