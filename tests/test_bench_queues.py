"""The queue rows of the benchmarks: they run on asyncio's classes, a column
without a queue class is left out of them, bytes per object count what the
constructor creates, and the C floor for queues builds and behaves as its
rows need. No timing is asserted.
"""

from __future__ import annotations

import asyncio
import asyncio.queues
import collections
import json
import pathlib
import subprocess
import sys
import types

import asynclocks
import pytest
from asynclocks._bench import report, runner, workloads

ROOT = pathlib.Path(__file__).resolve().parent.parent
HAVE_BENCHMARKS = (ROOT / "benchmarks" / "floor.c").exists()
needs_benchmarks = pytest.mark.skipif(not HAVE_BENCHMARKS, reason="no benchmarks/ directory")
QUEUES = ("Queue", "LifoQueue", "PriorityQueue")
ORIGINALS = {name: getattr(asyncio.queues, name) for name in QUEUES}  # not installed yet
UNCONTENDED = (
    "queue_put_get_nowait",
    "lifo_put_get_nowait",
    "priority_put_get_nowait",
    "queue_put_get_await",
)
CONTENDED = ("queue_handoff", "queue_worker_pool")
ROWS = (*UNCONTENDED, *(f"construct_{name}" for name in QUEUES), *CONTENDED)


def _rows(names):
    by_name = {wl.name: wl for wl in workloads.WORKLOADS}
    return [by_name[name] for name in names]


def _stdlib() -> runner.Implementation:
    return runner.Implementation("stdlib", runner.stdlib_namespace())


def test_queue_rows_are_registered():
    rows = {wl.name: wl for wl in _rows(ROWS)}
    assert {rows[name].primitive for name in UNCONTENDED} == set(QUEUES)
    assert all(rows[name].floor and not rows[name].contended for name in UNCONTENDED)
    assert all(rows[name].contended and not rows[name].floor for name in CONTENDED)
    common = {wl.name for wl in workloads.WORKLOADS if wl.common}
    assert {"queue_put_get_nowait", "queue_put_get_await", *CONTENDED} <= common
    assert set(QUEUES) <= set(workloads.CLASSES)


def test_stdlib_namespace_has_asyncios_queues():
    namespace = runner.stdlib_namespace()
    for name, cls in ORIGINALS.items():
        assert getattr(namespace, name) is cls


@pytest.mark.skipif(asynclocks.IMPLEMENTATION != "c", reason="install() is a no-op")
def test_stdlib_namespace_has_asyncios_queues_after_install():
    asynclocks.install()
    try:
        namespace = runner.stdlib_namespace()
    finally:
        asynclocks.uninstall()
    for name, cls in ORIGINALS.items():
        assert getattr(namespace, name) is cls


def test_queue_rows_run_quick_on_the_stdlib():
    results = runner.run_workloads([_stdlib()], _rows(ROWS), rounds=1, quick=True)
    for result in results:
        assert list(result.samples) == ["stdlib"], result.workload.name
        (value,) = result.samples["stdlib"]
        assert value > 0


class _Counting(asyncio.Queue):  # type: ignore[type-arg]
    """asyncio's Queue, counting every item its rows put in and take out."""

    puts = 0
    gets = 0

    def _put(self, item: object) -> None:
        type(self).puts += 1
        super()._put(item)

    def _get(self) -> object:
        type(self).gets += 1
        return super()._get()


@pytest.mark.parametrize("name", ["queue_put_get_await", *CONTENDED])
def test_queue_rows_move_every_item_once(name):
    (wl,) = _rows([name])
    _Counting.puts = _Counting.gets = 0
    asyncio.run(wl.fn(types.SimpleNamespace(Queue=_Counting), 300))
    assert (_Counting.puts, _Counting.gets) == (300, 300)


def test_a_column_without_queues_is_left_out_of_their_rows():
    locks_only = runner.Implementation("locks", types.SimpleNamespace(Lock=asyncio.Lock))
    rows = _rows(("lock_acquire_release", *ROWS))
    results = runner.run_workloads([_stdlib(), locks_only], rows, rounds=1, quick=True)
    assert "locks" in results[0].samples
    assert all("locks" not in result.samples for result in results[1:])
    table = report.format_results(
        results, [("stdlib ns", "stdlib"), ("locks ns", "locks")], [("ratio", "stdlib", "locks")]
    )
    queue_line = next(line for line in table.splitlines() if "q.put_nowait" in line)
    assert queue_line.split()[-2:] == ["-", "-"]
    sizes = runner.measure_bytes([_stdlib(), locks_only], QUEUES, count=20)
    assert all(list(sizes[name]) == ["stdlib"] for name in QUEUES)
    assert "-" in report.format_bytes_table(sizes, ["stdlib", "locks"])


def test_bytes_per_queue_count_what_the_constructor_creates():
    sizes = runner.measure_bytes([_stdlib()], QUEUES, count=200)
    # asyncio's Queue makes its getter and putter deques (and, on every
    # version, an Event with a deque of its own) in __init__.
    at_least = 2 * sys.getsizeof(collections.deque())
    for name in QUEUES:
        assert sizes[name]["stdlib"] > at_least, (name, sizes[name])


# ---------------------------------------------------------------------------
# The floor (benchmarks/floor.c) and the scripts


@pytest.fixture(scope="module")
def floor():
    if not HAVE_BENCHMARKS:
        pytest.skip("no benchmarks/ directory")
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.floor import FloorUnavailable, load_floor

        try:
            return load_floor()
        except FloorUnavailable as exc:
            if "not found" in str(exc):  # no compiler: the harness leaves the floor out
                pytest.skip(str(exc))
            raise
    finally:
        sys.path.remove(str(ROOT))


def test_floor_queue_keeps_items_in_order(floor):
    queue = floor.FloorQueue(16)  # maxsize accepted and ignored
    for i in range(100):  # past the initial ring size, wrapped around
        queue.put_nowait(i)
        if i % 3 == 0:
            assert queue.get_nowait() == i // 3
    assert queue.qsize() == 100 - 34
    assert [queue.get_nowait() for _ in range(66)] == list(range(34, 100))
    with pytest.raises(IndexError):
        queue.get_nowait()


@pytest.mark.parametrize("item", [1, None, (1, 2), StopIteration(3), "x"])
def test_floor_queue_awaitables_return_the_item(floor, item):
    async def main():
        queue = floor.FloorQueue()
        put_result = await queue.put(item)
        got = await queue.get()
        queue.put_nowait(item)
        awaitable = queue.get()
        try:
            next(awaitable)  # tp_iternext: the path `await` takes on 3.12-3.14
        except StopIteration as exc:
            by_hand = exc.value
        else:
            pytest.fail("the floor's get() did not complete at once")
        return put_result, got, by_hand

    put_result, got, by_hand = asyncio.run(main())
    assert put_result is None
    assert got is item
    assert by_hand is item


def test_floor_runs_the_uncontended_queue_rows(floor):
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks.floor import floor_namespace
    finally:
        sys.path.remove(str(ROOT))
    impl = runner.Implementation("floor", floor_namespace(floor), floor=True)
    assert [wl.name for wl in _rows(ROWS) if impl.supports(wl)] == list(UNCONTENDED)
    results = runner.run_workloads([impl], _rows(UNCONTENDED), rounds=1, quick=True)
    assert all(len(result.samples["floor"]) == 1 for result in results)


@needs_benchmarks
def test_run_py_quick_json_has_the_queue_rows(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--loop", "asyncio", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    document = json.loads(out.read_text())
    rows = document["loops"]["asyncio"]
    ours = all(hasattr(asynclocks, name) for name in QUEUES)
    for name in ROWS:
        medians = rows[name]["median_ns"]
        assert medians["stdlib"] > 0, name
        assert ("asynclocks" in medians) == ours, name
    if document["floor_available"]:
        assert all(rows[name]["median_ns"]["floor"] > 0 for name in UNCONTENDED)
        assert all("floor" not in rows[name]["median_ns"] for name in CONTENDED)
    assert set(QUEUES) <= set(document["bytes_per_object"])
    summary = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "summarize.py"), str(out)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "q.put_nowait(i); q.get_nowait()" in summary
    assert "| Queue |" in summary


@needs_benchmarks
def test_callgrind_rows_child_runs_a_row_and_list_names_the_rows():
    script = ROOT / "benchmarks" / "callgrind_rows.py"
    listed = subprocess.run(
        [sys.executable, str(script), "--list"], capture_output=True, text=True, check=True
    ).stdout
    assert all(name in listed for name in (*ROWS, "lock_async_with"))
    for impl in ("stdlib", "floor"):
        subprocess.run(
            [
                sys.executable,
                str(script),
                "--child",
                "queue_put_get_await",
                impl,
                "50",
                "5",
                "asyncio",
            ],
            check=True,
            timeout=300,
        )
