"""What ``asynclocks.install()`` buys a whole program that waits on queues.

Each workload is a small but complete asyncio program, timed end to end (wall
clock, GC on, as the program would run), in two configurations:

* ``stdlib``: asyncio as it is;
* ``install()``: ``asynclocks.install()`` called first thing in the process,
  before the workload imports anything else, so that every ``asyncio.Queue``,
  ``asyncio.Lock``... the program and its libraries create is asynclocks'.

Every sample is a fresh interpreter (``sys.executable``), so that nothing
warmed by one configuration helps the other. Each round runs every workload
once per configuration, the two configurations in alternating order from one
round to the next; the figures are medians over the rounds, and the speedup is
the ratio of the medians (above 1: faster with ``install()``), with the
smallest and largest per-round ratio beside it.

    python benchmarks/realworld_queues.py                 # all workloads, 9 rounds
    python benchmarks/realworld_queues.py --quick         # CI smoke: small sizes, 2 rounds
    python benchmarks/realworld_queues.py pipeline pool   # some workloads
    python benchmarks/realworld_queues.py --rounds 15 --json realworld.json
    python benchmarks/realworld_queues.py --loop uvloop

Workloads (``--list`` prints them):

* ``pipeline``: three stages joined by bounded ``asyncio.Queue``\\ s (maxsize
  100), four workers per stage, ``task_done()`` on every item, ``join()`` on
  each queue in turn; per item (through all three stages).
* ``pool``: a connection pool shaped like asyncpg's (the idle connections in an
  ``asyncio.LifoQueue``, ``await get()`` to acquire, ``put_nowait()`` to
  release), 10 connections, 200 client tasks limited by an
  ``asyncio.Semaphore(50)``; each "query" is ``await asyncio.sleep(0)``; per
  query.
* ``sqlalchemy``: SQLAlchemy's async engine on aiosqlite (a file database),
  ``AsyncAdaptedQueuePool`` of 5 connections without overflow, 20 tasks doing
  short ``SELECT`` by primary key, one ``engine.connect()`` each; per query.
  SQLAlchemy's pool creates its ``asyncio.Queue`` when first used, through
  ``asyncio.Queue``; each connection also holds an ``asyncio.Lock``.
  Needs ``sqlalchemy`` and ``aiosqlite`` (``pip install ".[realworld]"``).
* ``redis``: redis-py's asyncio client through a ``BlockingConnectionPool``
  of 10 connections, 50 tasks doing ``GET``; per command. The pool waits on an
  ``asyncio.Condition`` and takes an ``asyncio.Lock`` (not a queue). Needs
  ``redis`` and ``redis-server`` on PATH (Debian: ``apt-get install
  redis-server``); the script starts one on a free port of 127.0.0.1 and
  stops it at the end.

A workload whose library or server is missing is skipped with a note. The
output is a Markdown table (ready to paste), preceded by what ran: CPython,
asynclocks and which classes ``install()`` replaced (the locks only, or the
locks and the queues).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import pathlib
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from typing import Any

CONFIGS = ("stdlib", "install()")
CLOCKS = ("wall", "cpu")
CLOCK_TEXT = {"wall": "wall-clock time", "cpu": "CPU time of the process (all its threads)"}
REPLACEABLE = (
    "Lock",
    "Event",
    "Condition",
    "Semaphore",
    "BoundedSemaphore",
    "Barrier",
    "Queue",
    "LifoQueue",
    "PriorityQueue",
)


# ---------------------------------------------------------------------------
# The workloads (run in the child process). Each is async def (n) -> (ops,
# {role: class used}); asyncio and the libraries are imported inside, after
# install().


def _cls(obj: object) -> str:
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


async def pipeline(n: int) -> tuple[int, dict[str, str]]:
    import asyncio

    workers = 4
    q1: asyncio.Queue[int] = asyncio.Queue(maxsize=100)
    q2: asyncio.Queue[int] = asyncio.Queue(maxsize=100)
    q3: asyncio.Queue[int] = asyncio.Queue(maxsize=100)
    total = 0

    async def stage(src: asyncio.Queue[int], dst: asyncio.Queue[int], k: int) -> None:
        while True:
            item = await src.get()
            await dst.put(item * k + 1)
            src.task_done()

    async def sink(src: asyncio.Queue[int]) -> None:
        nonlocal total
        while True:
            item = await src.get()
            total += item
            src.task_done()

    tasks = [asyncio.ensure_future(stage(q1, q2, 2)) for _ in range(workers)]
    tasks += [asyncio.ensure_future(stage(q2, q3, 3)) for _ in range(workers)]
    tasks += [asyncio.ensure_future(sink(q3)) for _ in range(workers)]
    for i in range(n):
        await q1.put(i)
    await q1.join()
    await q2.join()
    await q3.join()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    # item i becomes (2i + 1) * 3 + 1 = 6i + 4
    expected = 6 * (n * (n - 1) // 2) + 4 * n
    if total != expected:
        raise AssertionError(f"pipeline lost items: {total} != {expected}")
    return n, {"queues": _cls(q1)}


async def pool(n: int) -> tuple[int, dict[str, str]]:
    import asyncio

    class Connection:
        __slots__ = ("queries",)

        def __init__(self) -> None:
            self.queries = 0

        async def fetch(self) -> int:
            await asyncio.sleep(0)  # the round trip to the server
            self.queries += 1
            return self.queries

    class Pool:
        """asyncpg's Pool in miniature: idle connections in a LifoQueue."""

        def __init__(self, size: int) -> None:
            self._queue: asyncio.LifoQueue[Connection] = asyncio.LifoQueue(maxsize=size)
            self.connections = [Connection() for _ in range(size)]
            for c in self.connections:
                self._queue.put_nowait(c)

        async def acquire(self) -> Connection:
            return await self._queue.get()

        def release(self, conn: Connection) -> None:
            self._queue.put_nowait(conn)

    p = Pool(10)
    limit = asyncio.Semaphore(50)
    clients = 200
    per_client = max(1, n // clients)

    async def client() -> None:
        for _ in range(per_client):
            async with limit:
                conn = await p.acquire()
                try:
                    await conn.fetch()
                finally:
                    p.release(conn)

    await asyncio.gather(*(client() for _ in range(clients)))
    done = sum(c.queries for c in p.connections)
    if done != clients * per_client:
        raise AssertionError(f"pool: {done} queries, expected {clients * per_client}")
    return done, {"pool queue": _cls(p._queue), "limit": _cls(limit)}


async def sqlalchemy(n: int) -> tuple[int, dict[str, str]]:
    import asyncio

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import AsyncAdaptedQueuePool

    tmp = tempfile.mkdtemp(prefix="asynclocks-realworld-")
    engine = create_async_engine(
        f"sqlite+aiosqlite:///{tmp}/bench.db",
        poolclass=AsyncAdaptedQueuePool,
        pool_size=5,
        max_overflow=0,
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)"))
            await conn.execute(
                text("INSERT INTO item (id, name) VALUES (:id, :name)"),
                [{"id": i, "name": f"item {i}"} for i in range(100)],
            )
        tasks = 20
        per_task = max(1, n // tasks)
        query = text("SELECT name FROM item WHERE id = :id")
        found = 0

        async def worker(w: int) -> None:
            nonlocal found
            for i in range(per_task):
                async with engine.connect() as conn:
                    result = await conn.execute(query, {"id": (w + i) % 100})
                    row = result.scalar_one()
                found += row is not None

        # warm the pool (its connections are opened on first use)
        await asyncio.gather(*(worker(w) for w in range(5)))
        found = 0
        _mark_start()
        await asyncio.gather(*(worker(w) for w in range(tasks)))
        _mark_stop()
        if found != tasks * per_task:
            raise AssertionError(f"sqlalchemy: {found} rows, expected {tasks * per_task}")
        pool_obj: Any = engine.pool
        used = {"pool queue": _cls(pool_obj._pool._queue)}
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            mutex = getattr(raw.driver_connection, "_execute_mutex", None)
            dbapi_conn: Any = raw.dbapi_connection
            mutex = getattr(dbapi_conn, "_execute_mutex", mutex)
            if mutex is not None:
                used["connection lock"] = _cls(mutex)
        return tasks * per_task, used
    finally:
        await engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


async def redis(n: int) -> tuple[int, dict[str, str]]:
    import asyncio

    from redis.asyncio import BlockingConnectionPool, Redis

    port = int(os.environ["ASYNCLOCKS_REALWORLD_REDIS_PORT"])
    pool_obj = BlockingConnectionPool(host="127.0.0.1", port=port, max_connections=10)
    client = Redis(connection_pool=pool_obj)
    try:
        await client.set("asynclocks-realworld", b"value")
        tasks = 50
        per_task = max(1, n // tasks)
        got = 0

        async def worker() -> None:
            nonlocal got
            for _ in range(per_task):
                value = await client.get("asynclocks-realworld")
                got += value == b"value"

        await asyncio.gather(*(worker() for _ in range(10)))  # open the connections
        got = 0
        _mark_start()
        await asyncio.gather(*(worker() for _ in range(tasks)))
        _mark_stop()
        if got != tasks * per_task:
            raise AssertionError(f"redis: {got} replies, expected {tasks * per_task}")
        used = {"pool condition": _cls(pool_obj._condition)}
        lock = getattr(pool_obj, "_lock", None)
        if lock is not None:
            used["pool lock"] = _cls(lock)
        return tasks * per_task, used
    finally:
        await client.aclose()
        await pool_obj.disconnect()


Workload = Callable[[int], Coroutine[Any, Any, tuple[int, dict[str, str]]]]

# name -> (function, full size, quick size, needs, description)
WORKLOADS: dict[str, tuple[Workload, int, int, tuple[str, ...], str]] = {
    "pipeline": (
        pipeline,
        100_000,
        2_000,
        (),
        "3-stage pipeline, Queue(100) x3, 4 workers/stage, task_done/join; per item",
    ),
    "pool": (
        pool,
        100_000,
        2_000,
        (),
        "asyncpg-style pool: LifoQueue of 10 conns + Semaphore(50), 200 clients; per query",
    ),
    "sqlalchemy": (
        sqlalchemy,
        4_000,
        200,
        ("sqlalchemy", "aiosqlite", "greenlet"),
        "SQLAlchemy async engine + aiosqlite, pool of 5, 20 tasks, SELECT by key; per query",
    ),
    "redis": (
        redis,
        20_000,
        500,
        ("redis",),
        "redis-py BlockingConnectionPool(10), 50 tasks, GET; per command",
    ),
}

# The timed region: (wall clock, CPU time of the whole process) at its start
# and end. The whole workload call unless the workload marks a narrower region
# (set-up and tear-down outside it).
_REGION: list[int] = []


def _mark_start() -> None:
    _REGION[:] = [time.perf_counter_ns(), time.process_time_ns()]


def _mark_stop() -> None:
    _REGION[2:] = [time.perf_counter_ns(), time.process_time_ns()]


def child(name: str, config: str, n: int, loop_kind: str) -> dict[str, Any]:
    """One sample: install() first when asked, then run the workload once."""
    installed: dict[str, str] = {}
    if config == "install()":
        import asynclocks

        asynclocks.install()
    import asyncio

    for cls_name in REPLACEABLE:
        cls = getattr(asyncio, cls_name, None)
        if cls is not None:
            installed[cls_name] = cls.__module__
    if loop_kind == "uvloop":
        import uvloop

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    func = WORKLOADS[name][0]
    try:
        loop.run_until_complete(func(max(1, n // 20)))  # warm-up
        _REGION.clear()
        start = (time.perf_counter_ns(), time.process_time_ns())
        ops, used = loop.run_until_complete(func(n))
        stop = (time.perf_counter_ns(), time.process_time_ns())
        if len(_REGION) != 4:
            _REGION[:] = [*start, *stop]
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    wall0, cpu0, wall1, cpu1 = _REGION
    return {
        "wall_ns": wall1 - wall0,
        "cpu_ns": cpu1 - cpu0,
        "ops": ops,
        "used": used,
        "asyncio": installed,
    }


# ---------------------------------------------------------------------------
# The parent: redis-server, subprocesses, table.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_redis(work: pathlib.Path) -> tuple[subprocess.Popen[bytes], int] | str:
    exe = shutil.which("redis-server")
    if exe is None:
        return "redis-server not on PATH (Debian: apt-get install redis-server)"
    for _ in range(5):
        port = free_port()
        proc = subprocess.Popen(
            [exe, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
            + ["--dir", str(work), "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if proc.poll() is not None:
                break
            with socket.socket() as s:
                s.settimeout(0.2)
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return proc, port
            time.sleep(0.05)
        proc.terminate()
        proc.wait(timeout=10)
    return "redis-server did not start"


def run_child(
    name: str, config: str, n: int, loop_kind: str, env: dict[str, str]
) -> dict[str, Any]:
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--child", name, config]
    cmd += ["--n", str(n), "--loop", loop_kind]
    proc = subprocess.run(cmd, env=env, text=True, capture_output=True)
    if proc.returncode != 0:
        raise SystemExit(f"{name} ({config}) failed:\n{proc.stdout}{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def fmt_us(ns_per_op: float) -> str:
    us = ns_per_op / 1000
    return f"{us:.2f}" if us < 100 else f"{us:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workloads", nargs="*", help=f"default: all of {', '.join(WORKLOADS)}")
    parser.add_argument("--rounds", type=int, help="rounds (default 9, quick 2)")
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 rounds (CI smoke)")
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="the table's clock: wall (default) or the process's CPU time, less disturbed "
        "by other processes on a busy machine (the JSON has both)",
    )
    parser.add_argument("--json", metavar="PATH", help="write every sample and figure as JSON")
    parser.add_argument("--list", action="store_true", help="list the workloads")
    parser.add_argument("--child", nargs=2, metavar=("WORKLOAD", "CONFIG"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        name, config = args.child
        print(json.dumps(child(name, config, args.n, args.loop)))
        return 0
    if args.list:
        for name, (_, full, quick, needs, what) in WORKLOADS.items():
            extra = f" (needs {', '.join(needs)})" if needs else ""
            print(f"{name}: {what}; {full:,} ops, quick {quick:,}{extra}")
        return 0

    names = args.workloads or list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; known: {list(WORKLOADS)}")
    rounds = args.rounds or (2 if args.quick else 9)

    import asynclocks

    env = dict(os.environ)
    for key in ("ASYNCLOCKS_INSTALL", "ASYNCLOCKS_NO_EXTENSIONS"):
        env.pop(key, None)
    skipped: dict[str, str] = {}
    if args.loop == "uvloop" and importlib.util.find_spec("uvloop") is None:
        raise SystemExit("uvloop is not installed")
    if asynclocks.IMPLEMENTATION != "c":
        print(
            f"note: asynclocks.IMPLEMENTATION is {asynclocks.IMPLEMENTATION!r}: install() "
            "does nothing, both configurations run asyncio's classes",
            file=sys.stderr,
        )
    for name in names:
        missing = [m for m in WORKLOADS[name][3] if importlib.util.find_spec(m) is None]
        if missing:
            skipped[name] = f"not installed: {', '.join(missing)} (pip install '.[realworld]')"
    redis_proc: subprocess.Popen[bytes] | None = None
    work = pathlib.Path(tempfile.mkdtemp(prefix="asynclocks-realworld-"))
    if "redis" in names and "redis" not in skipped:
        started = start_redis(work)
        if isinstance(started, str):
            skipped["redis"] = started
        else:
            redis_proc, port = started
            env["ASYNCLOCKS_REALWORLD_REDIS_PORT"] = str(port)
    active = [n for n in names if n not in skipped]
    for name, why in skipped.items():
        print(f"skipped {name}: {why}", file=sys.stderr)

    # samples[workload][clock][config]: ns per operation, one per round
    samples: dict[str, dict[str, dict[str, list[float]]]] = {
        n: {clock: {c: [] for c in CONFIGS} for clock in CLOCKS} for n in active
    }
    used: dict[str, dict[str, dict[str, str]]] = {n: {} for n in active}
    asyncio_classes: dict[str, dict[str, str]] = {}
    try:
        for r in range(rounds):
            order = CONFIGS if r % 2 == 0 else CONFIGS[::-1]
            for name in active:
                size = WORKLOADS[name][2] if args.quick else WORKLOADS[name][1]
                for config in order:
                    res = run_child(name, config, size, args.loop, env)
                    for clock in CLOCKS:
                        samples[name][clock][config].append(res[f"{clock}_ns"] / res["ops"])
                    used[name][config] = res["used"]
                    asyncio_classes[config] = res["asyncio"]
            print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)

    replaced = [k for k, v in asyncio_classes.get("install()", {}).items() if v == "asynclocks"]
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "asynclocks": asynclocks.__version__,
        "implementation": asynclocks.IMPLEMENTATION,
        "install_replaces": replaced,
        "loop": args.loop,
        "rounds": rounds,
        "quick": args.quick,
        "table_clock": args.clock,
    }
    rows = []
    for name in active:
        row: dict[str, Any] = {
            "workload": name,
            "description": WORKLOADS[name][4],
            "ops": WORKLOADS[name][2] if args.quick else WORKLOADS[name][1],
            "classes_used": used[name],
        }
        for clock in CLOCKS:
            a = samples[name][clock]["stdlib"]
            b = samples[name][clock]["install()"]
            ratios = [x / y for x, y in zip(a, b, strict=True)]
            row[clock] = {
                "ns_per_op": {"stdlib": a, "install()": b},
                "median_ns_per_op": {
                    "stdlib": statistics.median(a),
                    "install()": statistics.median(b),
                },
                "speedup": statistics.median(a) / statistics.median(b),
                "round_ratio_min": min(ratios),
                "round_ratio_max": max(ratios),
            }
        rows.append(row)

    queues = "locks and queues" if "Queue" in replaced else "locks only"
    print(
        f"\nCPython {meta['python']} ({meta['machine']}), asynclocks {meta['asynclocks']} "
        f"(IMPLEMENTATION={meta['implementation']}; install() replaces {queues}: "
        f"{', '.join(replaced) or 'nothing'}), {args.loop} loop, {meta['date']}. "
        f"Each configuration in its own process, {rounds} rounds alternating the order, "
        f"{CLOCK_TEXT[args.clock]} per operation, medians; "
        "speedup = stdlib / install() (above 1: faster with install()), "
        "with the range of the per-round ratios.\n"
    )
    print(
        "| workload | µs per op, stdlib | µs per op, install() | speedup | per-round range "
        "| classes with install() |"
    )
    print("|---|---|---|---|---|---|")
    for row in rows:
        fig = row[args.clock]
        med = fig["median_ns_per_op"]
        classes = ", ".join(
            f"{role}: {cls.rsplit('.', 1)[-1]} ({cls.split('.', 1)[0]})"
            for role, cls in row["classes_used"].get("install()", {}).items()
        )
        print(
            f"| {row['workload']} | {fmt_us(med['stdlib'])} | {fmt_us(med['install()'])} | "
            f"{fig['speedup']:.2f}x | {fig['round_ratio_min']:.2f}-{fig['round_ratio_max']:.2f} "
            f"| {classes} |"
        )
    print()
    for row in rows:
        print(f"- {row['workload']}: {row['description']}")
    for name, why in skipped.items():
        print(f"- {name}: skipped ({why})")
    if args.json:
        payload = {"meta": meta, "results": rows, "skipped": skipped}
        pathlib.Path(args.json).write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
