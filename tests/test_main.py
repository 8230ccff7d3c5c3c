"""``python -m asynclocks``: the report explains itself, flags noisy rows, and
``--json`` is machine-readable; it always measures asynclocks against asyncio's
original classes, says so, and says what runs (``--version``, the header).

The bench code (``asynclocks._bench``: workloads, runner, report) is used
through each module's public names only.
"""

from __future__ import annotations

import ast
import asyncio
import asyncio.locks
import json
import os
import pathlib
import platform
import subprocess
import sys
import types

import asynclocks
import pytest
from asynclocks import __main__ as cli
from asynclocks._bench import report, runner, workloads

NAMES = ["Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"] + (
    ["Barrier"] if sys.version_info >= (3, 11) else []
)
FALLBACK_ENV = os.environ.get("ASYNCLOCKS_NO_EXTENSIONS")
C = asynclocks.IMPLEMENTATION == "c"
needs_c = pytest.mark.skipif(not C, reason="install() is a no-op without the C extension")
ORIGINALS = {name: getattr(asyncio.locks, name) for name in NAMES}  # asynclocks not installed


def _result(stdlib, ours):
    workload = next(wl for wl in workloads.WORKLOADS if wl.name == "lock_async_with")
    return runner.Result(workload, 10, {"stdlib": list(stdlib), "asynclocks": list(ours)})


def test_steady_row_is_trusted():
    result = _result([200, 204, 198], [100, 101, 99])
    spread, per_round, trusted = report.row_quality(result, cli.UNTRUSTED_SPREAD)
    assert trusted
    assert spread is not None and spread < 0.1
    assert [round(r, 2) for r in per_round] == [2.0, 2.02, 2.0]


def test_noisy_row_is_flagged():
    # the same code in both columns, one round disturbed: 0.5x-1.7x, as on a busy machine
    result = _result([100, 170, 100], [200, 100, 100])
    spread, per_round, trusted = report.row_quality(result, cli.UNTRUSTED_SPREAD)
    assert not trusted
    assert min(per_round) == 0.5 and max(per_round) == 1.7
    table, flagged = report.speedup_table([result], cli.UNTRUSTED_SPREAD)
    assert flagged == 1
    assert table.splitlines()[-1].rstrip().endswith("!")


# ---------------------------------------------------------------------------
# The bench modules


def test_workloads_are_registered_once_each_with_their_constructor_rows():
    names = [wl.name for wl in workloads.WORKLOADS]
    assert len(names) == len(set(names))
    assert {f"construct_{cls}" for cls in workloads.CLASSES} <= set(names)
    assert list(workloads.CLASSES) == NAMES
    for wl in workloads.WORKLOADS:
        assert wl.primitive == wl.needs[0]
        assert getattr(workloads, wl.name, wl.fn) is wl.fn, wl.name
    with pytest.raises(ValueError, match="already used"):
        workloads.workload("Lock", "x", ops=1, quick_ops=1, name="lock_async_with")(
            workloads.lock_async_with
        )
    assert len(workloads.WORKLOADS) == len(names)


def _imported_bench_modules(tree: ast.Module) -> set[str]:
    """Local names bound to asynclocks modules (``from asynclocks._bench import runner``)."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("asynclocks"):
            bound.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            bound.update(
                (alias.asname or alias.name).split(".")[0]
                for alias in node.names
                if alias.name.startswith("asynclocks")
            )
    return bound


def test_bench_modules_use_only_each_others_public_names():
    package = pathlib.Path(asynclocks.__file__).parent
    sources = [package / "__main__.py", *sorted((package / "_bench").glob("*.py"))]
    assert len(sources) == 5, sources
    offences = []
    for path in sources:
        tree = ast.parse(path.read_text(), str(path))
        modules = _imported_bench_modules(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("asynclocks"):
                offences += [
                    f"{path.name}: from {node.module} import {alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_")
                ]
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                offences.append(f"{path.name}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not offences


# ---------------------------------------------------------------------------
# The stdlib column is asyncio's original classes, installed or not


@pytest.fixture
def installed():
    """asynclocks installed for the test; uninstalled afterwards."""
    assert not asynclocks.is_installed()
    asynclocks.install()
    try:
        yield
    finally:
        asynclocks.uninstall()
    assert all(getattr(asyncio, name) is cls for name, cls in ORIGINALS.items())


@needs_c
def test_stdlib_implementation_is_asyncios_originals_after_install(installed):
    assert asyncio.Lock is asynclocks.Lock
    stdlib, ours = runner.default_implementations()
    assert (stdlib.name, ours.name) == ("stdlib", "asynclocks")
    for name, cls in ORIGINALS.items():
        assert getattr(stdlib.namespace, name) is cls, name
        assert getattr(ours.namespace, name) is getattr(asynclocks, name), name
    classes = report.classes_measured([stdlib, ours], NAMES)
    assert classes["stdlib"] == {name: f"asyncio.locks.{name}" for name in NAMES}
    assert classes["asynclocks"] == {
        name: report.qualified_name(getattr(asynclocks, name)) for name in NAMES
    }


def _probe_namespace(seen: list[dict[str, object]]) -> types.SimpleNamespace:
    """A namespace whose "Lock" records what asyncio holds when it runs."""

    def Lock() -> object:  # noqa: N802 (a class name for the runner)
        seen.append(
            {
                "asyncio.locks.Lock": asyncio.locks.Lock,
                "stdlib Condition's lock": type(ORIGINALS["Condition"]()._lock),
                **(
                    {"stdlib Barrier's condition": type(ORIGINALS["Barrier"](2)._cond)}
                    if "Barrier" in ORIGINALS
                    else {}
                ),
            }
        )
        return ORIGINALS["Lock"]()

    return types.SimpleNamespace(Lock=Lock)


@needs_c
def test_asyncio_holds_its_own_classes_while_measuring(installed):
    # The stdlib's Condition takes its default Lock, and its Barrier its
    # Condition, from asyncio.locks' globals: an active install() would slip
    # asynclocks' classes into the stdlib column.
    seen: list[dict[str, object]] = []
    probe = runner.Implementation("probe", _probe_namespace(seen))
    wl = next(wl for wl in workloads.WORKLOADS if wl.name == "lock_acquire_release")
    runner.run_workloads([probe], [wl], rounds=1, quick=True)
    runner.measure_bytes([probe], ["Lock"], count=3)
    assert asynclocks.is_installed()  # put back afterwards
    assert len(seen) >= 3
    expected = {
        "asyncio.locks.Lock": ORIGINALS["Lock"],
        "stdlib Condition's lock": ORIGINALS["Lock"],
        **(
            {"stdlib Barrier's condition": ORIGINALS["Condition"]}
            if "Barrier" in ORIGINALS
            else {}
        ),
    }
    assert all(record == expected for record in seen), seen


def test_header_warns_when_the_stdlib_column_is_not_asyncios():
    # What the report said nothing about before: a "stdlib" namespace holding
    # asynclocks' classes (every ratio ~1.00x).
    impls = [runner.Implementation(name, asynclocks) for name in ("stdlib", "asynclocks")]
    measured = cli.Measured(impls, NAMES)
    strange = [w for w in measured.warnings if "does not time asyncio's own classes" in w]
    assert bool(strange) is C
    right = cli.Measured(runner.default_implementations(), NAMES)
    assert not [w for w in right.warnings if "does not time asyncio's own classes" in w]
    assert [f"warning: {w}" for w in measured.warnings] == [
        line for line in measured.header(3, True) if line.startswith("warning: ")
    ]


# ---------------------------------------------------------------------------
# The command


def _env(install: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("ASYNCLOCKS_INSTALL", "ASYNCLOCKS_NO_EXTENSIONS", "PYTHONPATH"):
        env.pop(key, None)
    if install is not None:
        env["ASYNCLOCKS_INSTALL"] = install
    if FALLBACK_ENV is not None:
        env["ASYNCLOCKS_NO_EXTENSIONS"] = FALLBACK_ENV
    return env


def _run(*args, install=None, quick=True):
    out = subprocess.run(
        [sys.executable, "-m", "asynclocks", *(["--quick"] if quick else []), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(install),
        cwd="/",
    )
    assert out.returncode == 0, out.stderr
    return out


def _python() -> str:
    return f"{platform.python_implementation()} {platform.python_version()}"


def test_version():
    out = _run("--version", quick=False)
    label = "C extension" if C else "stdlib fallback"
    assert out.stdout.startswith(f"asynclocks {asynclocks.__version__} ({label}, {_python()}")
    assert out.stdout.endswith(")\n") and out.stdout.count("\n") == 1, out.stdout
    assert out.stderr == ""


def _extension_line() -> str:
    if C:
        return f"extension:  {sys.modules['asynclocks._core'].__file__}"
    return "extension:  not loaded: "


@pytest.mark.parametrize("install", [None, "1"])
def test_text_report_has_header_legend_and_versions(install):
    out = _run(install=install)
    text = out.stdout
    lines = text.splitlines()
    label = "C extension" if C else "stdlib fallback"
    assert lines[0].startswith(f"asynclocks {asynclocks.__version__} ({label}, {_python()}")
    assert "measured:   asyncio's original classes (stdlib column) against asynclocks'" in text
    stdlib_line = next(line for line in lines if line.startswith("  stdlib: "))
    assert stdlib_line.split(None, 1)[1] == "asyncio.locks.{" + ", ".join(NAMES) + "}"
    ours_line = next(line for line in lines if line.startswith("  asynclocks: "))
    module = asynclocks.Lock.__module__
    assert ours_line.split(None, 1)[1] == module + ".{" + ", ".join(NAMES) + "}"
    assert any(line.startswith(_extension_line()) for line in lines), text
    if install and C:
        assert "install():  active (ASYNCLOCKS_INSTALL='1')" in text
    else:
        assert "install():  not active" in text
    assert ("warning: C extension not in use" in text) is (not C)
    assert "the stdlib column does not time asyncio's own classes" not in text
    for words in ("lower is better", "higher is better", "nanoseconds per operation", "spread"):
        assert words in text, f"the report does not say {words!r}"
    assert "supported and tested: CPython 3.10 to 3.15" in text
    assert any("speedup" in line and "per round" in line for line in lines)
    # not a terminal: no progress output on stderr
    assert "measuring" not in out.stderr


@pytest.mark.parametrize("install", [None, "1"])
def test_json_report(install):
    report_ = json.loads(_run("--json", install=install).stdout)
    assert report_["units"]["speedup"].startswith("median stdlib ns / median asynclocks ns")
    assert report_["results"]
    assert report_["supported_pythons"] == ["3.10", "3.11", "3.12", "3.13", "3.14", "3.15"]
    for name, row in report_["results"].items():
        assert set(row["samples_ns"]) == {"stdlib", "asynclocks"}, name
        assert len(row["speedup_per_round"]) == report_["method"]["rounds"], name
        assert isinstance(row["trustworthy"], bool), name
        assert set(row["spread"]) == {"stdlib", "asynclocks"}, name
    assert set(report_["bytes_per_object"]) >= {"Lock", "Event", "Condition"}

    assert report_["measured"].startswith("asyncio's original classes")
    assert report_["classes"]["stdlib"] == {name: f"asyncio.locks.{name}" for name in NAMES}
    assert report_["classes"]["asynclocks"] == {
        name: report.qualified_name(getattr(asynclocks, name)) for name in NAMES
    }
    info = report_["asynclocks"]
    assert info["version"] == asynclocks.__version__
    assert info["implementation"] == asynclocks.IMPLEMENTATION
    assert info["installed"] is bool(install and C)
    assert info["ASYNCLOCKS_INSTALL"] == install
    if C:
        assert info["extension"] == sys.modules["asynclocks._core"].__file__
        assert info["extension_error"] is None
    else:
        assert info["extension"] is None and info["extension_error"]
    assert bool(report_["warnings"]) is (not C)
