"""Instructions per operation of benchmark rows, under ``valgrind --tool=callgrind``.

Usage (from the repository root)::

    python benchmarks/callgrind_rows.py queue_put_get_nowait lock_async_with
    python benchmarks/callgrind_rows.py --ops 20000 --impl stdlib,floor queue_put_get_await
    python benchmarks/callgrind_rows.py --list

Each row (a workload of :mod:`asynclocks._bench.workloads`, by its JSON key)
runs in a fresh interpreter under callgrind once with ``--ops`` operations and
once with none, for each implementation (``stdlib``: asyncio's original
classes; ``asynclocks``; ``floor``: ``benchmarks/floor.c``, for the rows it
runs). Both runs first do the same warm-up sample (a tenth of ``--ops``, at
most 1,000), so their difference is exactly ``--ops`` operations of the row:
instructions per operation = (Ir(ops) - Ir(0)) / ops. Instruction counts do not
depend on what else the machine runs, so this is the per-operation measure to
trust on a busy machine (it does not see cache misses or branch mispredictions:
compare with the timed ratios of ``python -m benchmarks``). ``PYTHONHASHSEED``
is fixed to 0 in the children so that the two runs start alike.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_REPO = Path(__file__).resolve().parent.parent

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(_REPO))

try:
    import asynclocks
except ImportError:  # not installed: use the source tree (no C extension unless built there)
    sys.path.insert(0, str(_REPO / "python"))
    import asynclocks

from asynclocks._bench import report, runner, workloads  # noqa: E402

from benchmarks.floor import FloorUnavailable, floor_namespace, load_floor  # noqa: E402

IMPLEMENTATIONS = ("stdlib", "asynclocks", "floor")
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def _workload(name: str) -> workloads.Workload:
    for wl in workloads.WORKLOADS:
        if wl.name == name:
            return wl
    raise SystemExit(f"unknown row {name!r}; --list shows them")


def _implementation(name: str) -> runner.Implementation:
    """The named implementation; raises FloorUnavailable for a floor that does not build."""
    if name == "floor":
        return runner.Implementation("floor", floor_namespace(load_floor()), floor=True)
    for impl in runner.default_implementations():
        if impl.name == name:
            return impl
    raise SystemExit(f"unknown implementation {name!r}")


def _child(row: str, impl_name: str, ops: int, warmup: int, loop_name: str) -> int:
    """Run the warm-up sample, then ``ops`` operations of ``row``, once."""
    wl = _workload(row)
    impl = _implementation(impl_name)
    factory = runner.loop_factories([loop_name])[loop_name]
    with runner.asyncio_originals_in_place():
        loop = factory()
        try:
            if wl.contended:  # as the timed runner does
                gc.disable()
            loop.run_until_complete(wl.fn(impl.namespace, warmup))
            gc.collect()
            loop.run_until_complete(wl.fn(impl.namespace, ops))
        finally:
            gc.enable()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
    return 0


def _instructions(row: str, impl: str, ops: int, warmup: int, loop_name: str, valgrind: str) -> int:
    """Instructions (Ir) of one child run under callgrind."""
    with tempfile.TemporaryDirectory(prefix="callgrind-rows-") as tmp:
        cmd = [
            valgrind,
            "--tool=callgrind",
            f"--callgrind-out-file={Path(tmp) / 'callgrind.out'}",
            sys.executable,
            str(Path(__file__).resolve()),
            "--child",
            row,
            impl,
            str(ops),
            str(warmup),
            loop_name,
        ]
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    found = _COLLECTED.findall(proc.stderr)
    if proc.returncode != 0 or not found:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        raise RuntimeError(f"{row} on {impl} (ops={ops}) failed:\n{tail}")
    return int(found[-1])


def per_op(total: int, baseline: int, ops: int) -> float:
    """Instructions per operation from a run of ``ops`` operations and one of none."""
    return (total - baseline) / ops


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _ratio(num: float | None, den: float | None) -> str:
    return "-" if num is None or den is None or den <= 0 else f"{num / den:.2f}x"


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/callgrind_rows.py",
        description="Instructions per operation of benchmark rows under valgrind's callgrind: "
        "(Ir with --ops operations - Ir with none) / --ops, per implementation.",
    )
    parser.add_argument("rows", nargs="*", help="row keys (see --list)")
    parser.add_argument("--list", action="store_true", help="list the rows and exit")
    parser.add_argument("--ops", type=int, default=20_000, help="operations (default 20000)")
    parser.add_argument(
        "--impl",
        default=",".join(IMPLEMENTATIONS),
        help="comma-separated implementations (default stdlib,asynclocks,floor)",
    )
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.ops < 1:
        parser.error("--ops must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Measure the rows and print a table; return the exit status."""
    args = _parse_args(argv)
    if args.child:
        row, impl, ops, warmup, loop_name = args.rows
        return _child(row, impl, int(ops), int(warmup), loop_name)
    if args.list:
        for wl in workloads.WORKLOADS:
            floor = " (floor)" if wl.floor else ""
            print(f"{wl.name:28} {wl.title(wl.quick_ops)}{floor}")
        return 0
    if not args.rows:
        print("no rows given; --list shows them", file=sys.stderr)
        return 2
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print("valgrind is not installed", file=sys.stderr)
        return 2
    if args.loop not in runner.loop_factories([args.loop]):
        print(f"{args.loop} is not importable", file=sys.stderr)
        return 2
    rows = [_workload(name) for name in args.rows]
    warmup = min(1_000, max(1, args.ops // 10))
    impls: list[runner.Implementation] = []
    for name in args.impl.split(","):
        try:
            impls.append(_implementation(name.strip()))  # builds the floor before valgrind
        except FloorUnavailable as exc:
            print(f"note: floor unavailable: {exc}", file=sys.stderr)
    info = report.machine_info()
    print(
        f"Python {info['python']}, asynclocks {asynclocks.__version__} "
        f"IMPLEMENTATION={asynclocks.IMPLEMENTATION!r}, {args.loop} loop; "
        f"instructions per operation, callgrind, ({args.ops:,} ops - 0 ops) / {args.ops:,}",
        flush=True,
    )
    figures: dict[str, dict[str, float]] = {}
    for wl in rows:
        figures[wl.name] = {}
        for impl in impls:
            if not impl.supports(wl):
                continue
            print(f"  {wl.name} on {impl.name}...", file=sys.stderr, flush=True)
            full = _instructions(wl.name, impl.name, args.ops, warmup, args.loop, valgrind)
            base = _instructions(wl.name, impl.name, 0, warmup, args.loop, valgrind)
            figures[wl.name][impl.name] = per_op(full, base, args.ops)
    headers = [
        "row",
        *(f"{impl.name} Ir/op" for impl in impls),
        "stdlib/asynclocks",
        "asynclocks/floor",
        "stdlib/floor",
    ]
    table = []
    for wl in rows:
        got = figures[wl.name]
        table.append(
            [
                wl.title(args.ops),
                *(_fmt(got.get(impl.name)) for impl in impls),
                _ratio(got.get("stdlib"), got.get("asynclocks")),
                _ratio(got.get("asynclocks"), got.get("floor")),
                _ratio(got.get("stdlib"), got.get("floor")),
            ]
        )
    print(report.format_table(headers, table))
    if args.json:
        document: dict[str, Any] = {
            "machine": info,
            "method": "valgrind --tool=callgrind, Ir of (warm-up + ops) minus Ir of "
            "(warm-up + 0 ops), divided by ops; PYTHONHASHSEED=0",
            "ops": args.ops,
            "loop": args.loop,
            "instructions_per_op": figures,
        }
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
