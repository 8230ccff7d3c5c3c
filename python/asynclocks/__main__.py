"""``python -m asynclocks``: quick side-by-side benchmark against :mod:`asyncio`.

Prints stdlib and asynclocks ns/op and the speedup for the common operations
on the default event loop, and bytes per object. ``--quick`` takes fewer
rounds and smaller samples; ``--json`` prints the figures as JSON instead.
The full harness, with a C floor, uvloop and contended workloads, lives in
the repository's ``benchmarks/`` folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

import asynclocks
from asynclocks import _bench

SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
"""CPython versions asynclocks supports and is tested on (also the wheel's classifiers)."""

_COLUMNS = (("stdlib ns", "stdlib"), ("asynclocks ns", "asynclocks"))
_RATIOS = (("speedup", "stdlib", "asynclocks"),)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m asynclocks",
        description="Compare asynclocks with asyncio's own primitives (ns per operation).",
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller samples")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report; return the exit status."""
    args = _parse_args(argv)
    rounds = 3 if args.quick else 7
    started = time.perf_counter()
    impls = _bench.default_implementations()
    workloads = [wl for wl in _bench.WORKLOADS if wl.common]
    results = _bench.run_workloads(impls, workloads, rounds=rounds, quick=args.quick)
    sizes = _bench.measure_bytes(impls, count=500 if args.quick else 2_000)
    elapsed = time.perf_counter() - started

    if args.json:
        report = {
            "machine": _bench.machine_info(),
            "method": _bench.method_info(rounds, args.quick),
            "loop": "asyncio",
            "supported_pythons": list(SUPPORTED_PYTHONS),
            "results": _bench.results_to_json(results, [("speedup", "stdlib", "asynclocks")]),
            "bytes_per_object": sizes,
            "seconds": elapsed,
        }
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0

    print(
        f"asynclocks {asynclocks.__version__} (IMPLEMENTATION={asynclocks.IMPLEMENTATION!r}) "
        f"on Python {sys.version.split()[0]}, default asyncio loop; "
        f"median of {rounds} interleaved rounds"
    )
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    print(
        f"supported and tested: CPython {SUPPORTED_PYTHONS[0]} to {SUPPORTED_PYTHONS[-1]}"
        + ("" if running in SUPPORTED_PYTHONS else f" (not {running})")
    )
    if asynclocks.IMPLEMENTATION != "c":
        reason = f": {asynclocks.IMPORT_ERROR}" if asynclocks.IMPORT_ERROR else ""
        print(f"note: C extension not in use{reason}; both columns are the stdlib")
    print()
    print(_bench.format_results(results, _COLUMNS, _RATIOS))
    print()
    print(_bench.format_bytes_table(sizes, ["stdlib", "asynclocks"]))
    print(f"\n({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
