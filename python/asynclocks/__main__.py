"""``python -m asynclocks``: quick side-by-side benchmark against :mod:`asyncio`.

Times the common operations with the stdlib's classes and with asynclocks',
interleaved round by round in this one process on the default event loop, and
prints ns per operation, the speedup with its spread, and bytes per object,
followed by a legend. ``--quick`` takes fewer rounds and smaller samples;
``--json`` prints the figures as JSON instead. Progress goes to stderr when it
is a terminal. The full harness, with a C floor, uvloop and contended
workloads, lives in the repository's ``benchmarks/`` folder.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

import asynclocks
from asynclocks import _bench

SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
"""CPython versions asynclocks supports and is tested on (also the wheel's classifiers)."""

UNTRUSTED_SPREAD = 0.25
"""A row whose samples (or per-round speedups) vary by more than this, relative
to their median, is flagged: the machine was too busy to trust it."""

_COLUMNS = (("stdlib ns", "stdlib"), ("asynclocks ns", "asynclocks"))
_NUM, _DEN = "stdlib", "asynclocks"

LEGEND = f"""\
How to read this:
  stdlib ns, asynclocks ns  nanoseconds per operation (wall time, event loop included),
                            median over the rounds: lower is better.
  speedup                   stdlib ns / asynclocks ns: higher is better. 2.00x means
                            asynclocks takes half the time; 1.00x the same; below 1.00x
                            asynclocks is slower.
  per round                 lowest and highest speedup of single rounds (each round times
                            both implementations back to back).
  spread                    (slowest - fastest) / median of a column's samples, the larger
                            of the two columns. Above {UNTRUSTED_SPREAD:.0%} (or per-round speedups
                            that far apart) the row is marked "!": the machine was busy,
                            do not trust that row; rerun on an idle machine, without --quick.
  bytes                     memory per live object (tracemalloc): lower is better;
                            stdlib/asynclocks is how many times smaller asynclocks' is."""


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m asynclocks",
        description="Compare asynclocks with asyncio's own primitives: nanoseconds per "
        "operation (lower is better), speedup = stdlib / asynclocks (higher is better), "
        "the spread of the samples, and bytes per object.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller samples")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    return parser.parse_args(argv)


class _Progress:
    """A one-line progress display on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.enabled or (done < total and now - self.last < 0.1):
            return
        self.last = now
        width = 30
        filled = width * done // total
        bar = "#" * filled + "." * (width - filled)
        sys.stderr.write(f"\rmeasuring [{bar}] {done}/{total} samples")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 60 + "\r")
            sys.stderr.flush()


def _row_quality(result: _bench.Result) -> tuple[float | None, list[float], bool]:
    """(largest column spread, per-round speedups, trustworthy)."""
    spreads = [s for s in (result.spread(_NUM), result.spread(_DEN)) if s is not None]
    spread = max(spreads) if spreads else None
    per_round = result.round_ratios(_NUM, _DEN)
    ratio = result.ratio(_NUM, _DEN)
    ratio_spread = (max(per_round) - min(per_round)) / ratio if per_round and ratio else 0.0
    trusted = (spread or 0.0) <= UNTRUSTED_SPREAD and ratio_spread <= UNTRUSTED_SPREAD
    return spread, per_round, trusted


def _table(results: Sequence[_bench.Result]) -> tuple[str, int]:
    """The results table and the number of rows marked untrustworthy."""
    headers = ["workload", *(h for h, _ in _COLUMNS), "speedup", "per round", "spread", ""]
    rows = []
    flagged = 0
    for result in results:
        spread, per_round, trusted = _row_quality(result)
        ratio = result.ratio(_NUM, _DEN)
        flagged += not trusted
        rows.append(
            [
                result.workload.title(result.ops),
                *(_bench._fmt_ns(result.median(impl)) for _, impl in _COLUMNS),
                "-" if ratio is None else f"{ratio:.2f}x",
                f"{min(per_round):.2f}-{max(per_round):.2f}x" if per_round else "-",
                "-" if spread is None else f"{spread:.0%}",
                "" if trusted else "!",
            ]
        )
    return _bench.format_table(headers, rows), flagged


def _json_report(
    results: Sequence[_bench.Result],
    sizes: dict[str, dict[str, float]],
    rounds: int,
    quick: bool,
    elapsed: float,
) -> dict[str, Any]:
    figures = _bench.results_to_json(results, [("speedup", _NUM, _DEN)])
    for result in results:
        spread, per_round, trusted = _row_quality(result)
        figures[result.workload.name].update(
            spread={name: result.spread(name) for name in result.samples},
            speedup_per_round=per_round,
            trustworthy=trusted,
        )
    return {
        "machine": _bench.machine_info(),
        "method": _bench.method_info(rounds, quick),
        "supported_pythons": list(SUPPORTED_PYTHONS),
        "loop": "asyncio",
        "units": {
            "median_ns": "nanoseconds per operation, median over rounds; lower is better",
            "samples_ns": "nanoseconds per operation, one value per round",
            "speedup": "median stdlib ns / median asynclocks ns; higher is better",
            "speedup_per_round": "stdlib ns / asynclocks ns of each round",
            "spread": "(max - min) / median of an implementation's samples",
            "trustworthy": f"false when a spread or the per-round speedups vary by more "
            f"than {UNTRUSTED_SPREAD:.0%}",
            "bytes_per_object": "bytes per live object (tracemalloc); lower is better",
        },
        "results": figures,
        "bytes_per_object": sizes,
        "seconds": elapsed,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report; return the exit status."""
    args = _parse_args(argv)
    rounds = 3 if args.quick else 7
    progress = _Progress()
    started = time.perf_counter()
    impls = _bench.default_implementations()
    workloads = [wl for wl in _bench.WORKLOADS if wl.common]
    try:
        results = _bench.run_workloads(
            impls, workloads, rounds=rounds, quick=args.quick, on_sample=progress
        )
        if progress.enabled:
            sys.stderr.write("\rmeasuring bytes per object" + " " * 30)
            sys.stderr.flush()
        sizes = _bench.measure_bytes(impls, count=500 if args.quick else 2_000)
    finally:
        progress.clear()
    elapsed = time.perf_counter() - started

    if args.json:
        json.dump(_json_report(results, sizes, rounds, args.quick, elapsed), sys.stdout, indent=2)
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
    table, flagged = _table(results)
    print(table)
    if flagged:
        print(
            f"\n! {flagged} row(s) varied by more than {UNTRUSTED_SPREAD:.0%} between rounds: "
            "the machine was busy and those figures are not reliable. Rerun on an idle "
            "machine" + (", without --quick." if args.quick else ".")
        )
    print()
    print(_bench.format_bytes_table(sizes, ["stdlib", "asynclocks"]))
    print()
    print(LEGEND)
    print(f"\n({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
