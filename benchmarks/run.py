"""Full benchmark harness: stdlib asyncio vs asynclocks vs the C floor, per event loop.

Run from the repository root as ``python -m benchmarks`` or ``python benchmarks/run.py``.
The workloads, the runner and the tables are :mod:`asynclocks._bench` (its
modules ``workloads``, ``runner`` and ``report``); this script adds the floor
(``floor.c``, built at run time), uvloop, the contended workloads and
``--json``. The stdlib column is asyncio's original classes, even under
``ASYNCLOCKS_INSTALL=1``. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
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

_COLUMNS = (
    ("stdlib ns", "stdlib"),
    ("asynclocks ns", "asynclocks"),
    ("floor ns", "floor"),
)
_RATIOS = (
    ("stdlib/asynclocks", "stdlib", "asynclocks"),
    ("asynclocks/floor", "asynclocks", "floor"),
)
_JSON_RATIOS = (
    ("speedup", "stdlib", "asynclocks"),
    ("asynclocks_over_floor", "asynclocks", "floor"),
    ("stdlib_over_floor", "stdlib", "floor"),
)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark asynclocks against asyncio and a C floor (ns per operation).",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="CI smoke run: 3 rounds of small samples, no timing assertions",
    )
    parser.add_argument("--json", metavar="PATH", help="also write all figures as JSON")
    parser.add_argument(
        "--loop",
        choices=("asyncio", "uvloop", "both"),
        default="both",
        help="event loop(s) to run on (default: both; uvloop skipped if not installed)",
    )
    parser.add_argument("--rounds", type=int, help="rounds per workload (default 11, quick 3)")
    parser.add_argument("--no-floor", action="store_true", help="do not build or run the C floor")
    args = parser.parse_args(argv)
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def _implementations(use_floor: bool) -> tuple[list[runner.Implementation], str | None]:
    """stdlib, asynclocks and (if it builds) the floor; plus why the floor is missing."""
    impls = runner.default_implementations()
    if not use_floor:
        return impls, "disabled (--no-floor)"
    try:
        module = load_floor()
    except FloorUnavailable as exc:
        return impls, str(exc)
    impls.append(runner.Implementation("floor", floor_namespace(module), floor=True))
    return impls, None


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the harness and print the report; return the exit status."""
    args = _parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 11)
    wanted = ("asyncio", "uvloop") if args.loop == "both" else (args.loop,)
    loops = runner.loop_factories(wanted)
    if args.loop == "uvloop" and not loops:
        print("uvloop is not installed", file=sys.stderr)
        return 2

    started = time.perf_counter()
    impls, floor_missing = _implementations(not args.no_floor)
    info = report.machine_info()
    print(
        f"Python {info['python']} ({info['compiler']}), {info['platform']}, "
        f"{info['cpu_count']} CPUs"
    )
    print(
        f"asynclocks {asynclocks.__version__}, IMPLEMENTATION={asynclocks.IMPLEMENTATION!r}; "
        f"median of {rounds} interleaved rounds{' (quick)' if args.quick else ''}"
    )
    if asynclocks.IMPLEMENTATION != "c":
        reason = f": {asynclocks.IMPORT_ERROR}" if asynclocks.IMPORT_ERROR else ""
        print(f"note: C extension not in use{reason}; stdlib and asynclocks are the same code")
    if asynclocks.is_installed():
        print("note: install() is active; the stdlib column is still asyncio's original classes")
    if floor_missing:
        print(f"note: floor unavailable: {floor_missing}")
    for name in wanted:
        if name not in loops:
            print(f"note: {name} not importable, skipped")

    document: dict[str, Any] = {
        "machine": info,
        "method": {**runner.method_info(rounds, args.quick), "floor": _floor_method()},
        "floor_available": floor_missing is None,
        "classes": report.classes_measured(impls, workloads.class_names()),
        "loops": {},
    }
    for loop_name, factory in loops.items():
        print(f"\n== {loop_name} ==", flush=True)
        results = runner.run_workloads(
            impls,
            workloads.WORKLOADS,
            loop_factory=factory,
            rounds=rounds,
            quick=args.quick,
            progress=_progress,
        )
        columns = [c for c in _COLUMNS if c[1] != "floor" or floor_missing is None]
        ratios = [r for r in _RATIOS if "floor" not in r[1:] or floor_missing is None]
        print(report.format_results(results, columns, ratios))
        document["loops"][loop_name] = report.results_to_json(results, _JSON_RATIOS)

    sizes = runner.measure_bytes(impls, count=500 if args.quick else 5_000)
    document["bytes_per_object"] = sizes
    print("\n== bytes per object (tracemalloc) ==")
    print(report.format_bytes_table(sizes, ["stdlib", "asynclocks"]))
    elapsed = time.perf_counter() - started
    document["seconds"] = elapsed
    print(f"\n({elapsed:.1f} s)")

    if args.json:
        path = Path(args.json)
        path.write_text(json.dumps(document, indent=2) + "\n")
        print(f"wrote {path}")
    return 0


def _floor_method() -> str:
    return (
        "benchmarks/floor.c built at run time with sysconfig CC/LDSHARED, -O2: methods "
        "returning a fresh awaitable from a 16-entry freelist that completes when first "
        "driven (am_send on 3.10/3.11, tp_iternext with a shared StopIteration(True) on 3.12+)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
