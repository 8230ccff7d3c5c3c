"""``python -m asynclocks``: the report explains itself, flags noisy rows, and
``--json`` is machine-readable."""

from __future__ import annotations

import json
import subprocess
import sys

from asynclocks import __main__ as cli
from asynclocks import _bench


def _result(stdlib, ours):
    workload = next(wl for wl in _bench.WORKLOADS if wl.name == "lock_async_with")
    return _bench.Result(workload, 10, {"stdlib": list(stdlib), "asynclocks": list(ours)})


def test_steady_row_is_trusted():
    spread, per_round, trusted = cli._row_quality(_result([200, 204, 198], [100, 101, 99]))
    assert trusted
    assert spread is not None and spread < 0.1
    assert [round(r, 2) for r in per_round] == [2.0, 2.02, 2.0]


def test_noisy_row_is_flagged():
    # the same code in both columns, one round disturbed: 0.5x-1.7x, as on a busy machine
    spread, per_round, trusted = cli._row_quality(_result([100, 170, 100], [200, 100, 100]))
    assert not trusted
    assert min(per_round) == 0.5 and max(per_round) == 1.7
    table, flagged = cli._table([_result([100, 170, 100], [200, 100, 100])])
    assert flagged == 1
    assert table.splitlines()[-1].rstrip().endswith("!")


def _run(*args):
    out = subprocess.run(
        [sys.executable, "-m", "asynclocks", "--quick", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return out


def test_text_report_has_legend_and_versions():
    out = _run()
    text = out.stdout
    for words in ("lower is better", "higher is better", "nanoseconds per operation", "spread"):
        assert words in text, f"the report does not say {words!r}"
    assert "supported and tested: CPython 3.10 to 3.15" in text
    assert any("speedup" in line and "per round" in line for line in text.splitlines())
    # not a terminal: no progress output on stderr
    assert "measuring" not in out.stderr


def test_json_report():
    report = json.loads(_run("--json").stdout)
    assert report["units"]["speedup"].startswith("median stdlib ns / median asynclocks ns")
    assert report["results"]
    assert report["supported_pythons"] == ["3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]
    for name, row in report["results"].items():
        assert set(row["samples_ns"]) == {"stdlib", "asynclocks"}, name
        assert len(row["speedup_per_round"]) == report["method"]["rounds"], name
        assert isinstance(row["trustworthy"], bool), name
        assert set(row["spread"]) == {"stdlib", "asynclocks"}, name
    assert set(report["bytes_per_object"]) >= {"Lock", "Event", "Condition"}
