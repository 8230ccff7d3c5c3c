"""Thread-safe queues between threads and tasks, side by side in one process,
on asyncio's loop and uvloop.

    python -m benchmarks.tsqueue             # from the repository root
    python -m benchmarks.tsqueue --quick     # smoke run
    python -m benchmarks.tsqueue --json tsqueue.json

Rows (ns per item, or per round trip; median over rounds, and the minimum,
which is less disturbed when other processes share the CPUs; lower is
better). Queues are unbounded except in the rows that say ``maxsize 64``:

* ``thread->task``: a thread puts N items, a task gets them.
* ``task->thread``: a task puts N items, a thread gets them.
* ``round trip``: a thread puts an item into one queue, a task gets it and
  puts it into a second queue, the thread gets it back; per round trip.
* ``4 threads->task``: four threads put N/4 items each, one task gets them.

Columns: ``asynclocks`` (``asynclocks.ThreadSafeQueue``: the C type when the
extension has it, else the Python one) and ``asynclocks-py`` (the Python
implementation, when the exported one is C); ``janus``, ``culsans``
(``sync_q``/``async_q``), ``aiologic`` (``aiologic.Queue``:
``green_put``/``async_get`` and so on), each if installed (``pip install
.[bench]``); ``stdlib``: thread->task ``loop.call_soon_threadsafe(q.put_nowait,
item)`` into an ``asyncio.Queue`` (unbounded: call_soon_threadsafe cannot
wait), task->thread a ``queue.Queue`` the task fills with ``put_nowait`` and,
when full, ``await asyncio.to_thread(q.put, item)``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import platform
import queue
import random
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


def _optional(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


uvloop = _optional("uvloop")
janus = _optional("janus")
culsans = _optional("culsans")
aiologic = _optional("aiologic")

perf = time.perf_counter_ns


class Ends:
    """The four ends of one queue: thread put/get, task put/get (coroutines)."""

    def __init__(self, tput, tget, aput, aget, close=None):
        self.tput, self.tget, self.aput, self.aget = tput, tget, aput, aget
        self.close = close or (lambda: None)


def _faces(q):
    return Ends(q.sync_q.put, q.sync_q.get, q.async_q.put, q.async_q.get)


def _stdlib(loop, maxsize):
    aq: asyncio.Queue = asyncio.Queue()  # call_soon_threadsafe cannot wait: unbounded
    qq: queue.Queue = queue.Queue(maxsize)

    def tput(x):
        loop.call_soon_threadsafe(aq.put_nowait, x)

    async def aput(x):
        try:
            qq.put_nowait(x)
        except queue.Full:
            await asyncio.to_thread(qq.put, x)

    return Ends(tput, qq.get, aput, aq.get)


def _aiologic(loop, maxsize):
    q = aiologic.Queue(maxsize if maxsize > 0 else None)
    return Ends(q.green_put, q.green_get, q.async_put, q.async_get)


def _makers():
    """name -> make(loop, maxsize) -> Ends (called inside the loop's thread)."""
    makers = {"asynclocks": lambda loop, m: _faces(asynclocks.ThreadSafeQueue(m))}
    py = importlib.import_module("asynclocks._tsqueue")
    if asynclocks.ThreadSafeQueue is not py.ThreadSafeQueue:
        makers["asynclocks-py"] = lambda loop, m: _faces(py.ThreadSafeQueue(m))
    if janus is not None:
        makers["janus"] = lambda loop, m: _faces(janus.Queue(m))
    if culsans is not None:
        makers["culsans"] = lambda loop, m: _faces(culsans.Queue(m))
    if aiologic is not None:
        makers["aiologic"] = _aiologic
    makers["stdlib"] = _stdlib
    return makers


# ---------------------------------------------------------------------------
# workloads: async def wl(make, n) -> ns per item (run in the loop's thread)


async def _thread_to_task(make, n, maxsize, producers=1):
    loop = asyncio.get_running_loop()
    e = make(loop, maxsize)
    per = n // producers
    start = threading.Barrier(producers + 1)

    def produce():
        start.wait()
        put = e.tput
        for i in range(per):
            put(i)

    ths = [threading.Thread(target=produce) for _ in range(producers)]
    for t in ths:
        t.start()
    await asyncio.to_thread(start.wait)
    t0 = perf()
    get = e.aget
    for _ in range(per * producers):
        await get()
    t1 = perf()
    for t in ths:
        t.join()
    e.close()
    return (t1 - t0) / (per * producers)


async def thread_to_task(make, n, maxsize):
    return await _thread_to_task(make, n, maxsize)


async def many_to_task(make, n, maxsize):
    return await _thread_to_task(make, n, maxsize, producers=4)


async def task_to_thread(make, n, maxsize):
    loop = asyncio.get_running_loop()
    e = make(loop, maxsize)
    done = threading.Event()
    ends = []

    def consume():
        get = e.tget
        for _ in range(n):
            get()
        ends.append(perf())
        done.set()

    th = threading.Thread(target=consume)
    th.start()
    t0 = perf()
    put = e.aput
    for i in range(n):
        await put(i)
    await asyncio.to_thread(done.wait)
    th.join()
    e.close()
    return (ends[0] - t0) / n


async def round_trip(make, n, maxsize):
    loop = asyncio.get_running_loop()
    fwd, bwd = make(loop, maxsize), make(loop, maxsize)
    result = []

    def client():
        put, get = fwd.tput, bwd.tget
        t0 = perf()
        for i in range(n):
            put(i)
            get()
        result.append(perf() - t0)

    th = threading.Thread(target=client)
    th.start()
    get, put = fwd.aget, bwd.aput
    for _ in range(n):
        await put(await get())
    await asyncio.to_thread(th.join)
    fwd.close()
    bwd.close()
    return result[0] / n


# name -> (workload, divisor of n, maxsize)
WORKLOADS = {
    "thread->task": (thread_to_task, 1, 0),
    "thread->task, maxsize 64": (thread_to_task, 1, 64),
    "task->thread": (task_to_thread, 1, 0),
    "task->thread, maxsize 64": (task_to_thread, 1, 64),
    "round trip": (round_trip, 4, 0),  # n // 4 round trips
    "4 threads->task": (many_to_task, 1, 0),
}


def _new_loop(flavour):
    if flavour == "uvloop":
        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def measure(flavours, n, rounds, seed=1):
    makers = _makers()
    rng = random.Random(seed)
    samples: dict = {}
    for _ in range(rounds):
        for flavour in flavours:
            loop = _new_loop(flavour)
            try:
                for wname, (wl, div, maxsize) in WORKLOADS.items():
                    names = list(makers)
                    rng.shuffle(names)
                    for name in names:
                        if name == "stdlib" and wname == "thread->task, maxsize 64":
                            continue  # call_soon_threadsafe cannot wait for room
                        ns = loop.run_until_complete(wl(makers[name], n // div, maxsize))
                        samples.setdefault((flavour, wname, name), []).append(ns)
            finally:
                loop.close()
    return list(makers), samples


def report(names, samples, flavours):
    rows = []
    for flavour in flavours:
        for wname in WORKLOADS:
            got = [n for n in names if (flavour, wname, n) in samples]
            med = {n: statistics.median(samples[(flavour, wname, n)]) for n in got}
            mins = {n: min(samples[(flavour, wname, n)]) for n in got}
            others = {n: v for n, v in med.items() if not n.startswith("asynclocks")}
            fastest = min(others, key=others.__getitem__)
            rows.append(
                {
                    "loop": flavour,
                    "workload": wname,
                    "median_ns": med,
                    "min_ns": mins,
                    "fastest_other": fastest,
                    "ratio_fastest_other": others[fastest] / med["asynclocks"],
                    "ratio_janus": (med["janus"] / med["asynclocks"]) if "janus" in med else None,
                }
            )
    return rows


def print_table(names, rows):
    head = ["loop", "workload", *names, "fastest other", "x fastest", "x janus"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = [r["loop"], r["workload"]]
        cells += [f"{r['median_ns'][n]:,.0f}" if n in r["median_ns"] else "-" for n in names]
        cells += [r["fastest_other"], f"{r['ratio_fastest_other']:.2f}"]
        cells += [f"{r['ratio_janus']:.2f}" if r["ratio_janus"] else "-"]
        print("| " + " | ".join(cells) + " |")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="few items, one round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("-n", type=int, default=20000, help="items per measurement")
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args(argv)
    n, rounds = (2000, 1) if args.quick else (args.n, args.rounds)
    flavours = ["asyncio"] + (["uvloop"] if uvloop is not None else [])
    names, samples = measure(flavours, n, rounds)
    rows = report(names, samples, flavours)
    impl = "python" if asynclocks.ThreadSafeQueue.__module__ == "asynclocks._tsqueue" else "c"
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, "
        f"asynclocks.ThreadSafeQueue: {asynclocks.ThreadSafeQueue.__module__} ({impl}), "
        f"{n} items x {rounds} rounds, load {os.getloadavg()[0]:.1f}; ns per item (median)"
    )
    print_table(names, rows)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"python": platform.python_version(), "n": n, "rounds": rounds, "rows": rows},
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
