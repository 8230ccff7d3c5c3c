"""Misuse hardening: threads, two loops, reused awaitables, odd coroutine-protocol
calls, over-release, closed loops, interpreter shutdown with waiters, deleting
primitives while tasks wait, gc.collect() mid-wait; for the queues: two
loops, task_done() too often, non-comparable PriorityQueue items, odd maxsize
values and arguments, calls from a thread, queues deleted or collected while
tasks wait, interpreter exit with waiters.

Each scenario of ``tests/hardening/misuse_run.py`` runs in its own subprocess
(a crash kills only that process) for the stdlib and for asynclocks; both must
exit with status 0 within the timeout, print no fatal error or sanitizer
report, and record the same trace (exception types and messages, return
values, bracketed repr states).
"""

from __future__ import annotations

import json
import os
import signal
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
RUNNER = os.path.join(HERE, "hardening", "misuse_run.py")
TIMEOUT = 60

CRASH_MARKERS = (
    "Fatal Python error",
    "AddressSanitizer",
    "runtime error:",
    "Segmentation",
    "Aborted",
)

SCENARIOS = [
    "release_from_thread",
    "event_set_threadsafe",
    "hammer_from_threads",
    "two_loops",
    "await_twice",
    "odd_states",
    "close_delegating",
    "over_release",
    "after_loop_closed",
    "delete_while_waiting",
    "gc_mid_wait",
    "shutdown_with_waiters",
    "queue_two_loops",
    "queue_misuse_calls",
    "queue_from_thread",
    "queue_delete_while_waiting",
    "queue_gc_mid_wait",
    "queue_shutdown_with_waiters",
]
HAS_QUEUES = getattr(asynclocks, "Queue", None) is not None


def run_scenario(impl, name):
    proc = subprocess.run(
        [sys.executable, "-X", "faulthandler", RUNNER, impl, name],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    detail = f"{impl}/{name} exit {proc.returncode}\nstderr:\n{proc.stderr[-6000:]}"
    assert proc.returncode == 0, detail
    for marker in CRASH_MARKERS:
        assert marker not in proc.stderr, detail
    lines = proc.stdout.strip().splitlines()
    assert lines, detail
    return json.loads(lines[-1]), proc.stderr


@pytest.mark.parametrize("name", SCENARIOS)
def test_misuse(name):
    if name.startswith("queue") and not HAS_QUEUES:
        pytest.skip("asynclocks has no queues")
    std, _ = run_scenario("stdlib", name)
    al, _ = run_scenario("asynclocks", name)
    assert al == std


# ThreadSafeFlag/ThreadSafeEvent: no stdlib counterpart; the expected trace.
TS_SCENARIOS = {
    "ts_shutdown_with_waiters": ["exiting"],
    "ts_delete_while_waiting": [["pending", False, False], ["CancelledError", "CancelledError"]],
    "ts_await_twice": [
        None,
        ["RuntimeError", "cannot reuse already awaited coroutine"],
        ["ok", "Future"],  # driven by hand while a task waits on it: yields its future
        ["ok", None],
    ],
    "ts_signal_storm": [["done", True]],
}


@pytest.mark.parametrize("name", sorted(TS_SCENARIOS))
def test_misuse_threadsafe(name):
    if name == "ts_signal_storm" and not hasattr(signal, "pthread_kill"):
        pytest.skip("needs pthread_kill")
    trace, _ = run_scenario("asynclocks", name)
    assert trace == TS_SCENARIOS[name]


def test_shutdown_hard_exit():
    """os._exit() with waiters pending: the freelist and module state are not
    finalised at all; still a clean exit."""
    env = dict(os.environ, ASYNCLOCKS_MISUSE_HARD_EXIT="1")
    proc = subprocess.run(
        [sys.executable, RUNNER, "asynclocks", "shutdown_with_waiters"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == ["exiting"]
