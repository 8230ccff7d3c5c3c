"""``python -m asynclocks``: quick side-by-side benchmark against :mod:`asyncio`.

Times the common operations with asyncio's original classes and with
asynclocks', interleaved round by round in this one process on the default
event loop, and prints ns per operation, the speedup with its spread, and bytes
per object, followed by a legend. The stdlib column is asyncio's own classes
even when :func:`asynclocks.install` is active (``ASYNCLOCKS_INSTALL=1``):
they are put back in asyncio while measuring. The header says which classes
each column times, the implementation and extension file in use and whether
install() is active. ``--quick`` takes fewer rounds and smaller samples;
``--json`` prints the figures as JSON instead; ``--version`` prints the
version and the implementation. Progress goes to stderr when it
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

from asynclocks._bench import report, runner, workloads

SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
"""CPython versions asynclocks supports and is tested on (also the wheel's classifiers)."""

UNTRUSTED_SPREAD = 0.25
"""A row whose samples (or per-round speedups) vary by more than this, relative
to their median, is flagged: the machine was too busy to trust it."""

MEASURED = "asyncio's original classes (stdlib column) against asynclocks' (asynclocks column)"
"""What ``python -m asynclocks`` compares, whatever install() has put in asyncio."""

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
        description="Compare asynclocks with asyncio's own primitives (its original "
        "classes, even when asynclocks.install() is active): nanoseconds per "
        "operation (lower is better), speedup = stdlib / asynclocks (higher is better), "
        "the spread of the samples, and bytes per object.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller samples")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument(
        "--version",
        action="version",
        version=report.version_line(report.asynclocks_info()),
        help="print the version and the implementation in use, and exit",
    )
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


def _json_report(
    results: Sequence[runner.Result],
    sizes: dict[str, dict[str, float]],
    measured: Measured,
    rounds: int,
    quick: bool,
    elapsed: float,
) -> dict[str, Any]:
    figures = report.results_to_json(results, [("speedup", "stdlib", "asynclocks")])
    for result in results:
        spread, per_round, trusted = report.row_quality(result, UNTRUSTED_SPREAD)
        figures[result.workload.name].update(
            spread={name: result.spread(name) for name in result.samples},
            speedup_per_round=per_round,
            trustworthy=trusted,
        )
    return {
        "machine": report.machine_info(),
        "method": runner.method_info(rounds, quick),
        "supported_pythons": list(SUPPORTED_PYTHONS),
        "loop": "asyncio",
        "measured": MEASURED,
        "asynclocks": measured.info,
        "classes": measured.classes,
        "warnings": measured.warnings,
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


class Measured:
    """What runs in this process and which classes each column times, read before measuring.

    ``warnings`` says when the stdlib column would not time asyncio's own
    classes, and when the C extension is not in use.
    """

    def __init__(self, impls: Sequence[runner.Implementation], names: Sequence[str]) -> None:
        self.info = report.asynclocks_info()
        self.classes = report.classes_measured(impls, names)
        self.warnings: list[str] = []
        stdlib = self.classes.get("stdlib", {})
        strangers = {name: q for name, q in stdlib.items() if not q.startswith("asyncio.")}
        if strangers:
            self.warnings.append(
                "the stdlib column does not time asyncio's own classes: "
                + ", ".join(f"{name} is {q}" for name, q in strangers.items())
            )
        if self.info["implementation"] != "c":
            self.warnings.append(
                f"C extension not in use ({self.info['extension_error']}): "
                "both columns are the stdlib"
            )

    def header(self, rounds: int, quick: bool) -> list[str]:
        info = self.info
        if info["installed"]:
            how = (
                f" (ASYNCLOCKS_INSTALL={info['ASYNCLOCKS_INSTALL']!r})"
                if info["ASYNCLOCKS_INSTALL"] not in (None, "", "0")
                else ""
            )
            install = (
                f"active{how}: asyncio.Lock and the others are asynclocks' in this\n"
                "            process; asyncio's own are put back in asyncio while measuring"
            )
        else:
            install = "not active: asyncio's classes are its own"
        extension = info["extension"] or f"not loaded: {info['extension_error']}"
        running = f"{sys.version_info[0]}.{sys.version_info[1]}"
        supported = f"CPython {SUPPORTED_PYTHONS[0]} to {SUPPORTED_PYTHONS[-1]}" + (
            "" if running in SUPPORTED_PYTHONS else f" (not {running})"
        )
        lines = [
            report.version_line(info),
            f"measured:   {MEASURED}",
            f"  stdlib:     {report.format_classes(self.classes.get('stdlib', {}))}",
            f"  asynclocks: {report.format_classes(self.classes.get('asynclocks', {}))}",
            f"extension:  {extension}",
            f"install():  {install}",
            f"supported and tested: {supported}",
            f"default asyncio loop; median of {rounds} interleaved rounds"
            + (" (--quick)" if quick else ""),
        ]
        return lines + [f"warning: {text}" for text in self.warnings]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the report; return the exit status."""
    args = _parse_args(argv)
    rounds = 3 if args.quick else 7
    progress = _Progress()
    started = time.perf_counter()
    impls = runner.default_implementations()
    common = [wl for wl in workloads.WORKLOADS if wl.common]
    measured = Measured(impls, workloads.class_names(common))
    try:
        results = runner.run_workloads(
            impls, common, rounds=rounds, quick=args.quick, on_sample=progress
        )
        if progress.enabled:
            sys.stderr.write("\rmeasuring bytes per object" + " " * 30)
            sys.stderr.flush()
        sizes = runner.measure_bytes(impls, count=500 if args.quick else 2_000)
    finally:
        progress.clear()
    elapsed = time.perf_counter() - started

    if args.json:
        document = _json_report(results, sizes, measured, rounds, args.quick, elapsed)
        json.dump(document, sys.stdout, indent=2)
        print()
        return 0

    print("\n".join(measured.header(rounds, args.quick)))
    print()
    table, flagged = report.speedup_table(results, UNTRUSTED_SPREAD)
    print(table)
    if flagged:
        print(
            f"\n! {flagged} row(s) varied by more than {UNTRUSTED_SPREAD:.0%} between rounds: "
            "the machine was busy and those figures are not reliable. Rerun on an idle "
            "machine" + (", without --quick." if args.quick else ".")
        )
    print()
    print(report.format_bytes_table(sizes, ["stdlib", "asynclocks"]))
    print()
    print(LEGEND)
    print(f"\n({elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
