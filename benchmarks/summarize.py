"""Summarise ``python -m benchmarks --json`` files as Markdown tables.

Usage: ``python benchmarks/summarize.py results/3.10.json results/3.11.json ...``

One table per loop kind: a row per workload, and per file (Python version,
columns in version order whatever the order of the files)
the speedup over the stdlib (stdlib ns / asynclocks ns) and, where the floor
runs, asynclocks' distance from the C floor (asynclocks ns / floor ns). For
the contended workloads with a floor, and for any row with a floor that
asynclocks does not run (a class it lacks: ``-``), the best speedup any
implementation could reach is added in brackets (stdlib ns / floor ns).
Then bytes per object (``-`` for a class a column lacks).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any


def _load(paths: list[str]) -> list[dict[str, Any]]:
    return [json.loads(Path(p).read_text()) for p in paths]


def _version_key(run: dict[str, Any]) -> tuple[int, ...]:
    """(3, 13, 18) for "3.13.18"; pre-release suffixes are ignored."""
    return tuple(int(m) for m in re.findall(r"\d+", run["machine"]["python"])[:3])


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def _bytes(row: dict[str, float], impl: str) -> str:
    """Bytes per object of ``impl``, or ``-`` when that column lacks the class."""
    return f"{row[impl]:.0f}" if impl in row else "-"


def summarize(runs: list[dict[str, Any]]) -> str:
    """Return the Markdown tables for a list of parsed JSON results."""
    runs = sorted(runs, key=_version_key)
    versions = [r["machine"]["python"] for r in runs]
    out: list[str] = []
    loops = [name for name in runs[0]["loops"] if all(name in r["loops"] for r in runs)]
    for loop in loops:
        out.append(
            f"**{loop} loop**: stdlib/asynclocks (speedup); asynclocks/floor "
            "[stdlib/floor, the best speedup possible]\n"
        )
        out.append("| workload | " + " | ".join(versions) + " |")
        out.append("|---|" + "---|" * len(versions))
        keys: list[str] = []
        for r in runs:
            keys += [k for k in r["loops"][loop] if k not in keys]
        for key in keys:
            label = None
            cells = []
            for r in runs:
                entry = r["loops"][loop].get(key)
                if entry is None:
                    cells.append("n/a")
                    continue
                label = entry["label"]
                cell = _fmt(entry.get("speedup"))
                floor = entry.get("asynclocks_over_floor")
                bound = entry.get("stdlib_over_floor")
                if floor is not None:
                    cell += f"; {_fmt(floor)}"
                    if entry.get("contended") and bound is not None:
                        cell += f" [{_fmt(bound)}]"
                elif bound is not None:  # asynclocks lacks the class: the room there is
                    cell += f" [{_fmt(bound)}]"
                cells.append(cell)
            out.append(f"| {label} | " + " | ".join(cells) + " |")
        out.append("")
    out.append("**bytes per object** (tracemalloc): stdlib / asynclocks\n")
    out.append("| class | " + " | ".join(versions) + " |")
    out.append("|---|" + "---|" * len(versions))
    classes: list[str] = []
    for r in runs:
        classes += [c for c in r["bytes_per_object"] if c not in classes]
    for cls in classes:
        cells = []
        for r in runs:
            b = r["bytes_per_object"].get(cls)
            cells.append(
                "n/a" if b is None else f"{_bytes(b, 'stdlib')} / {_bytes(b, 'asynclocks')}"
            )
        out.append(f"| {cls} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    print(summarize(_load(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
