"""Runs janus's own tests (aio-libs/janus, Apache-2.0, see LICENSE-janus and
README.md here) against asynclocks' thread-safe queues.

janus's tests use pytest-asyncio's ``@pytest.mark.asyncio``; this conftest
runs those coroutine tests with ``asyncio.run`` itself (no plugin needed).
Tests that do not apply to asynclocks are skipped with their reason
(NOT_APPLICABLE below; README.md lists them)."""

from __future__ import annotations

import asyncio
import inspect
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

_LOOP = (
    "janus binds a queue to the first event loop that uses it (_loop, _get_loop()); "
    "asynclocks' queues serve tasks of any number of loops"
)
_SHRINK = (
    "assigns _maxsize on janus's sync proxy (a private attribute janus itself never reads "
    "back); the faces of asynclocks' queues have no instance attributes to assign"
)
NOT_APPLICABLE: dict[str, str] = {
    "test_mixed.py::TestMixedMode::test_get_loop_ok": _LOOP,
    "test_mixed.py::TestMixedMode::test_get_loop_different_loop": _LOOP,
    "test_sync.py::TestQueue::test_shrinking_queue": _SHRINK,
    "test_sync.py::TestLifoQueue::test_shrinking_queue": _SHRINK,
    "test_sync.py::TestPriorityQueue::test_shrinking_queue": _SHRINK,
    "test_sync.py::TestFailingQueue::test_closed_loop_non_failing": (
        "counts janus's calls to loop.is_closed() (a mock); asynclocks never calls it: a "
        "closed loop shows as call_soon_threadsafe's RuntimeError and the wake-up goes to the "
        "next waiter (tests/test_tsqueue.py::test_getter_of_a_closed_loop_passes_the_item_on)"
    ),
}


def pytest_configure(config):
    config.addinivalue_line("markers", "asyncio: run the coroutine test with asyncio.run")


def pytest_collection_modifyitems(config, items):
    here = os.path.dirname(os.path.abspath(__file__))
    for item in items:
        if not str(item.fspath).startswith(here):
            continue
        cls = f"{item.cls.__name__}::" if item.cls else ""
        key = f"{os.path.basename(str(item.fspath))}::{cls}{item.originalname}"
        reason = NOT_APPLICABLE.get(key)
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=f"not applicable: {reason}"))


def _loopless(fn) -> bool:
    """janus's sync tests are coroutines only because janus needed a running
    loop to create a queue before Python 3.10: those whose body awaits nothing
    but wait_closed()/aclose() (they never ask for the running loop) run here
    outside any loop. Inside one, their blocking sync_q calls would raise
    RuntimeError, by design (asynclocks refuses to freeze a running loop)."""
    if os.path.basename(inspect.getsourcefile(fn) or "") != "test_sync.py":
        return False
    return "get_running_loop" not in inspect.getsource(fn)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    coro = pyfuncitem.obj(**kwargs)
    if _loopless(pyfuncitem.obj):
        try:
            coro.send(None)
        except StopIteration:
            return True
        coro.close()
        raise AssertionError("the test suspended: it needs an event loop")
    asyncio.run(coro)
    return True
