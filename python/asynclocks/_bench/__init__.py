"""Benchmark code shared by ``python -m asynclocks`` and the repository's ``benchmarks/``.

Three modules, each used through its public names only:

- :mod:`~asynclocks._bench.workloads`: what is timed, one decorated function
  per row (see its docstring to add one);
- :mod:`~asynclocks._bench.runner`: implementations (asyncio's original
  classes, asynclocks'), interleaved rounds, bytes per object;
- :mod:`~asynclocks._bench.report`: what was measured, tables, JSON.

The names below are re-exported for code that imports ``asynclocks._bench``.
This package is not public API: names and figures may change between releases.
"""

from asynclocks._bench.report import (
    format_bytes_table,
    format_results,
    format_table,
    machine_info,
    results_to_json,
)
from asynclocks._bench.runner import (
    Implementation,
    Result,
    default_implementations,
    loop_factories,
    measure_bytes,
    method_info,
    run_workloads,
)
from asynclocks._bench.workloads import CLASSES, WORKLOADS, Workload

__all__ = [
    "CLASSES",
    "WORKLOADS",
    "Implementation",
    "Result",
    "Workload",
    "default_implementations",
    "format_bytes_table",
    "format_results",
    "format_table",
    "loop_factories",
    "machine_info",
    "measure_bytes",
    "method_info",
    "results_to_json",
    "run_workloads",
]
