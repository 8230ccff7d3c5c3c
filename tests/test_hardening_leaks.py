"""Leak hardening: long loops over every path, each in a subprocess.

Every scenario of ``tests/hardening/leak_run.py`` (uncontended and contended
acquire/release/``async with``, cancelled waiters, cancellation after wake-up,
``asyncio.wait_for``/``asyncio.timeout`` timeouts, Condition
wait/notify/wait_for and raising predicates, Event set/clear/wait, Semaphore and
BoundedSemaphore, Barrier wait/abort/reset, awaitables driven by hand, error
paths, primitives dropped while tasks still wait on them, the queues (every
path of Queue/LifoQueue/PriorityQueue, queues dropped holding items that refer
to them, queues dropped while tasks wait in get/put/join), and ThreadSafeFlag /
ThreadSafeEvent set from a thread, cancelled after the grant, waited on by a
thread, and waited on by tasks of a loop closed with them pending) runs in a fresh
interpreter, once for the stdlib (the control: the same bounds must hold for
it, which shows they are not vacuous) and once for asynclocks. After a warm-up
and after the measured run the probe takes, after ``gc.collect()``:

* tracemalloc's current size: growth must stay below
  ``min(256 KiB, 64 KiB + 32 B * iterations)`` (the fixed part: one-time
  growth of the interpreter's and asyncio's caches, 46 KB for the stdlib's
  queues dropped while waiting at 300 iterations, the sanitizer run's size);
* the RSS (coarse, catches only large leaks): growth below 16 MiB (not
  checked under ASan, whose quarantine grows the RSS for the stdlib too);
* ``sys.getrefcount`` of the persistent primitives (and, before 3.12, of
  True/False/None): growth below ``iterations // 10 + 200`` in absolute value
  (a per-iteration reference leak or over-release moves it by at least
  ``iterations``; the interpreter's own caches move None's by a few dozen);
* once the loop is closed: no future, task, primitive or asynclocks awaitable
  left alive, and weakrefs to the primitives and tasks of the last iterations
  dead, including when they were only kept alive by cycles through futures and
  tasks (scenario ``dropped_while_waiting``).

``leaky_selftest`` leaks on purpose; a test asserts that the checks reject it.

How to run the long forms
-------------------------

The CI form runs ``ASYNCLOCKS_LEAK_ITERATIONS`` iterations per scenario
(default 2000; the whole file takes well under a minute per Python)::

    python -m pytest tests/test_hardening_leaks.py

Full form (hundreds of thousands of operations; several minutes)::

    ASYNCLOCKS_LEAK_ITERATIONS=100000 python -m pytest tests/test_hardening_leaks.py

One scenario by hand (prints the measurements as JSON)::

    python tests/hardening/leak_run.py asynclocks lock_contended 200000
    python tests/hardening/leak_run.py list

The other hardening files have long forms too: ``ASYNCLOCKS_FUZZ_SECONDS=600``
(and ``ASYNCLOCKS_FUZZ_EXAMPLES``) for the fuzzer of
``tests/test_hardening_module.py``. Under the sanitizer build (see CONTRIBUTING.md)::

    LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \\
      PYTHONMALLOC=malloc ASAN_OPTIONS=detect_leaks=0 \\
      python -m pytest tests/test_hardening_*.py

(the subprocesses inherit the environment). Valgrind memcheck of a focused
subset (about a minute on a normal build)::

    PYTHONMALLOC=malloc valgrind --error-exitcode=1 --errors-for-leak-kinds=none \\
      --suppressions=tests/hardening/python.supp python tests/hardening/memcheck.py

or ``ASYNCLOCKS_VALGRIND=1 python -m pytest tests/test_hardening_module.py -k valgrind``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import asynclocks
import pytest

# These scenarios exercise the C extension (their subprocesses check that it
# is the one imported); with ASYNCLOCKS_NO_EXTENSIONS=1 there is none.
pytestmark = pytest.mark.skipif(
    asynclocks.IMPLEMENTATION != "c", reason="hardening scenarios need the C extension"
)

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "hardening", "leak_run.py")
ITERATIONS = int(os.environ.get("ASYNCLOCKS_LEAK_ITERATIONS", "2000"))
TIMEOUT = float(os.environ.get("ASYNCLOCKS_LEAK_TIMEOUT", str(120 + ITERATIONS / 100)))

# ASan's quarantine keeps freed memory mapped: RSS grows for the stdlib too.
UNDER_ASAN = "asan" in os.environ.get("LD_PRELOAD", "")

SCENARIOS = [
    "lock_uncontended",
    "lock_contended",
    "lock_cancelled_waiters",
    "lock_cancel_after_wakeup",
    "timeouts",
    "condition",
    "condition_predicates",
    "event",
    "semaphore",
    "barrier",
    "dropped_while_waiting",
    "awaitables_by_hand",
    "errors",
    "threadsafe",
    "threadsafe_dropped_while_waiting",
    "queue_ops",
    "queue_dropped_with_items",
    "queue_dropped_while_waiting",
    "tsqueue",
    "tsqueue_dropped_while_waiting",
]
# ThreadSafeFlag/ThreadSafeEvent have no stdlib counterpart (no control run).
HAS_QUEUES = getattr(asynclocks, "Queue", None) is not None
NO_STDLIB = {
    "threadsafe",
    "threadsafe_dropped_while_waiting",
    "tsqueue",
    "tsqueue_dropped_while_waiting",
}

try:
    import uvloop  # noqa: F401

    HAS_UVLOOP = True
except ImportError:  # pragma: no cover
    HAS_UVLOOP = False


def run_probe(impl, scenario, iterations=ITERATIONS, flavour="asyncio"):
    proc = subprocess.run(
        [sys.executable, RUNNER, impl, scenario, str(iterations), flavour],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert proc.returncode == 0, (
        f"probe {impl}/{scenario} exited with {proc.returncode}\n"
        f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-5000:]}"
    )
    for marker in ("Fatal Python error", "AddressSanitizer", "runtime error:", "Segmentation"):
        assert marker not in proc.stderr, proc.stderr[-5000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def check(result):
    """Assert the probe's measurements are within bounds."""
    n = result["iterations"]
    tm_bound = min(256 * 1024, 64 * 1024 + 32 * n)
    problems = []
    if result["tm_growth"] >= tm_bound:
        problems.append(f"tracemalloc grew by {result['tm_growth']} B (bound {tm_bound})")
    if not UNDER_ASAN and result["rss_growth"] >= 16 * 1024 * 1024:
        problems.append(f"RSS grew by {result['rss_growth']} B")
    for name, growth in result["refcount_growth"].items():
        if abs(growth) >= n // 10 + 200:
            problems.append(f"refcount of {name} grew by {growth}")
    if result["census"]:
        problems.append(f"objects alive after the loop closed: {result['census']}")
    if result["weak_alive"]:
        problems.append(f"{result['weak_alive']}/{result['weak_total']} weakrefs still alive")
    assert not problems, f"{result['impl']}/{result['scenario']}: " + "; ".join(problems)


@pytest.mark.parametrize("impl", ["stdlib", "asynclocks"])
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_leak(scenario, impl):
    if scenario == "barrier" and sys.version_info < (3, 11):
        pytest.skip("asyncio.Barrier needs Python 3.11+")
    if scenario in NO_STDLIB and impl == "stdlib":
        pytest.skip("no stdlib counterpart")
    if scenario.startswith("queue") and impl == "asynclocks" and not HAS_QUEUES:
        pytest.skip("asynclocks has no queues")
    result = run_probe(impl, scenario, ITERATIONS)
    check(result)
    if scenario in (
        "dropped_while_waiting",
        "threadsafe_dropped_while_waiting",
        "queue_dropped_while_waiting",
        "tsqueue_dropped_while_waiting",
    ):
        # the tasks really were pending when their cycle was collected
        assert result["destroyed_pending"] > 0
        assert result["weak_total"] > 0


@pytest.mark.skipif(not HAS_UVLOOP, reason="uvloop not installed")
@pytest.mark.parametrize("impl", ["stdlib", "asynclocks"])
@pytest.mark.parametrize(
    "scenario",
    [
        "lock_contended",
        "lock_cancel_after_wakeup",
        "condition",
        "dropped_while_waiting",
        "threadsafe",
        "threadsafe_dropped_while_waiting",
        "queue_ops",
        "queue_dropped_while_waiting",
        "tsqueue",
        "tsqueue_dropped_while_waiting",
    ],
)
def test_no_leak_uvloop(scenario, impl):
    if scenario in NO_STDLIB and impl == "stdlib":
        pytest.skip("no stdlib counterpart")
    if scenario.startswith("queue") and impl == "asynclocks" and not HAS_QUEUES:
        pytest.skip("asynclocks has no queues")
    check(run_probe(impl, scenario, max(ITERATIONS // 2, 100), "uvloop"))


@pytest.mark.parametrize("impl", ["stdlib", "asynclocks"])
def test_probe_detects_a_leak(impl):
    """The bounds are not vacuous: a scenario leaking one future per iteration fails them."""
    result = run_probe(impl, "leaky_selftest", max(ITERATIONS, 1000))
    with pytest.raises(AssertionError) as info:
        check(result)
    msg = str(info.value)
    assert "tracemalloc grew" in msg
    assert "refcount of lock grew" in msg
    assert "objects alive after the loop closed" in msg
