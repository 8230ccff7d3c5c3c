"""Reporting benchmark results: what was measured, tables, JSON.

:func:`asynclocks_info` says which asynclocks ran (version, implementation,
extension file, whether :func:`asynclocks.install` is active) and
:func:`classes_measured` which classes each column timed; the ``format_*``
functions render plain-text tables, :func:`results_to_json` JSON-ready
figures.

This module is not public API: names and figures may change between releases.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
import sysconfig
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from asynclocks._bench.runner import Implementation, Result

__all__ = [
    "asynclocks_info",
    "classes_measured",
    "format_bytes_table",
    "format_classes",
    "format_ns",
    "format_ratio",
    "format_results",
    "format_table",
    "machine_info",
    "qualified_name",
    "results_to_json",
    "row_quality",
    "speedup_table",
    "version_line",
]


# ---------------------------------------------------------------------------
# What was measured


def qualified_name(cls: type) -> str:
    """``module.qualname`` of a class, e.g. ``asyncio.locks.Lock``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def classes_measured(
    implementations: Sequence[Implementation], names: Iterable[str]
) -> dict[str, dict[str, str]]:
    """Implementation name -> class name -> qualified name of the class it times."""
    wanted = list(names)
    return {
        impl.name: {name: qualified_name(cls) for name, cls in impl.classes(wanted).items()}
        for impl in implementations
    }


def format_classes(classes: Mapping[str, str]) -> str:
    """``asyncio.locks.{Lock, Event}``: qualified names grouped by module, in order."""
    by_module: dict[str, list[str]] = {}
    for qualified in classes.values():
        module, _, name = qualified.rpartition(".")
        by_module.setdefault(module, []).append(name)
    parts = [
        f"{module}.{names[0]}" if len(names) == 1 else f"{module}.{{{', '.join(names)}}}"
        for module, names in by_module.items()
    ]
    return ", ".join(parts) or "-"


def _python() -> str:
    build = " free-threading build" if sysconfig.get_config_var("Py_GIL_DISABLED") else ""
    return f"{platform.python_implementation()} {sys.version.split()[0]}{build}"


def asynclocks_info() -> dict[str, Any]:
    """Which asynclocks runs here: version, implementation, extension, install state.

    ``extension`` is the C extension's file when it is in use, else None and
    ``extension_error`` says why (the import error, or the variable that
    turned it off).
    """
    import asynclocks

    extension: str | None = None
    error: str | None = None
    if asynclocks.IMPLEMENTATION == "c":
        core = importlib.import_module("asynclocks._core")
        extension = getattr(core, "__file__", None) or "(no file)"
        label = "C extension"
    else:
        label = "stdlib fallback"
        if asynclocks.IMPORT_ERROR is not None:
            error = str(asynclocks.IMPORT_ERROR)
        elif os.environ.get("ASYNCLOCKS_NO_EXTENSIONS", "") not in ("", "0"):
            value = os.environ["ASYNCLOCKS_NO_EXTENSIONS"]
            error = f"ASYNCLOCKS_NO_EXTENSIONS={value!r} asks for the stdlib fallback"
        else:
            error = "the C extension is not in use"
    return {
        "version": asynclocks.__version__,
        "implementation": asynclocks.IMPLEMENTATION,
        "implementation_label": label,
        "python": _python(),
        "extension": extension,
        "extension_error": error,
        "installed": asynclocks.is_installed(),
        "ASYNCLOCKS_INSTALL": os.environ.get("ASYNCLOCKS_INSTALL"),
    }


def version_line(info: Mapping[str, Any]) -> str:
    """``asynclocks 0.1.0 (C extension, CPython 3.13.0)``."""
    return f"asynclocks {info['version']} ({info['implementation_label']}, {info['python']})"


def machine_info() -> dict[str, Any]:
    """Interpreter and machine description for reports."""
    import asynclocks

    return {
        "python": sys.version.split()[0],
        "python_full": sys.version,
        "implementation": platform.python_implementation(),
        "compiler": platform.python_compiler(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
        "asynclocks_version": asynclocks.__version__,
        "asynclocks_implementation": asynclocks.IMPLEMENTATION,
    }


# ---------------------------------------------------------------------------
# Figures


def format_ns(value: float | None) -> str:
    """Nanoseconds for a table cell: ``1,234``, ``89.9`` or ``-``."""
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def format_ratio(value: float | None) -> str:
    """A ratio for a table cell: ``2.00x`` or ``-``."""
    return "-" if value is None else f"{value:.2f}x"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Render a plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def format_results(
    results: Sequence[Result],
    columns: Sequence[tuple[str, str]],
    ratios: Sequence[tuple[str, str, str]],
) -> str:
    """Table of medians: ``columns`` are ``(header, impl)``; ``ratios`` ``(header, num, den)``."""
    headers = ["workload", *(h for h, _ in columns), *(h for h, _, _ in ratios)]
    rows = [
        [
            r.workload.title(r.ops),
            *(format_ns(r.median(impl)) for _, impl in columns),
            *(format_ratio(r.ratio(num, den)) for _, num, den in ratios),
        ]
        for r in results
    ]
    return format_table(headers, rows)


def row_quality(
    result: Result, limit: float, numerator: str = "stdlib", denominator: str = "asynclocks"
) -> tuple[float | None, list[float], bool]:
    """(largest column spread, per-round ratios, trustworthy).

    A row is trustworthy when neither column's spread nor the spread of the
    per-round ratios (relative to the median ratio) exceeds ``limit``.
    """
    spreads = [s for s in (result.spread(numerator), result.spread(denominator)) if s is not None]
    spread = max(spreads) if spreads else None
    per_round = result.round_ratios(numerator, denominator)
    ratio = result.ratio(numerator, denominator)
    ratio_spread = (max(per_round) - min(per_round)) / ratio if per_round and ratio else 0.0
    trusted = (spread or 0.0) <= limit and ratio_spread <= limit
    return spread, per_round, trusted


def speedup_table(
    results: Sequence[Result],
    limit: float,
    numerator: str = "stdlib",
    denominator: str = "asynclocks",
) -> tuple[str, int]:
    """The stdlib-vs-asynclocks table with per-round speedups and spreads, and the
    number of rows marked ``!`` (not trustworthy at ``limit``)."""
    headers = [
        "workload",
        f"{numerator} ns",
        f"{denominator} ns",
        "speedup",
        "per round",
        "spread",
        "",
    ]
    rows = []
    flagged = 0
    for result in results:
        spread, per_round, trusted = row_quality(result, limit, numerator, denominator)
        flagged += not trusted
        rows.append(
            [
                result.workload.title(result.ops),
                format_ns(result.median(numerator)),
                format_ns(result.median(denominator)),
                format_ratio(result.ratio(numerator, denominator)),
                f"{min(per_round):.2f}-{max(per_round):.2f}x" if per_round else "-",
                "-" if spread is None else f"{spread:.0%}",
                "" if trusted else "!",
            ]
        )
    return format_table(headers, rows), flagged


def format_bytes_table(table: Mapping[str, Mapping[str, float]], impls: Sequence[str]) -> str:
    """Bytes-per-object table with a stdlib/asynclocks ratio column when both exist."""
    headers = ["class", *(f"{name} bytes" for name in impls)]
    with_ratio = "stdlib" in impls and "asynclocks" in impls
    if with_ratio:
        headers.append("stdlib/asynclocks")
    rows = []
    for cls_name, row in table.items():
        cells = [cls_name, *(f"{row[name]:,.0f}" if name in row else "-" for name in impls)]
        if with_ratio:
            std, ours = row.get("stdlib"), row.get("asynclocks")
            cells.append(format_ratio(std / ours if std and ours else None))
        rows.append(cells)
    return format_table(headers, rows)


def results_to_json(
    results: Sequence[Result], pairs: Sequence[tuple[str, str, str]]
) -> dict[str, Any]:
    """JSON-ready figures; ``pairs`` are ``(key, numerator, denominator)`` ratios to add."""
    out: dict[str, Any] = {}
    for result in results:
        wl = result.workload
        out[wl.name] = {
            "label": wl.title(result.ops),
            "ops_per_sample": result.ops,
            "contended": wl.contended,
            "median_ns": {name: result.median(name) for name in result.samples},
            "samples_ns": {name: values for name, values in result.samples.items()},
            **{key: result.ratio(num, den) for key, num, den in pairs},
        }
    return out
