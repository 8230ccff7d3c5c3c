"""Fixtures for the asynclocks behaviour-parity suite.

The tests import the *installed* ``asynclocks`` package.  Helpers live in
``paritylib.py`` next to this file; it is put on ``sys.path`` here so that the
suite works with any pytest import mode.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import asynclocks  # noqa: E402

if asynclocks.is_installed():
    # paritylib takes the stdlib's classes from asyncio: with asynclocks
    # installed in their place, every parity test would compare asynclocks
    # with itself.
    raise pytest.UsageError(
        "this suite compares asynclocks with asyncio's classes: run it without "
        "ASYNCLOCKS_INSTALL and without --asynclocks"
    )

import paritylib  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "asynclocks",
    max_examples=paritylib.HYPOTHESIS_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("ASYNCLOCKS_HYPOTHESIS_PROFILE", "asynclocks"))


def pytest_report_header(config):
    return [
        f"asynclocks {asynclocks.__version__} from {os.path.dirname(asynclocks.__file__)}",
        f"asynclocks.IMPLEMENTATION = {asynclocks.IMPLEMENTATION!r}"
        + (
            f" (extension import error: {asynclocks.IMPORT_ERROR})"
            if getattr(asynclocks, "IMPORT_ERROR", None)
            else ""
        ),
        f"loop flavours: {paritylib.ALL_FLAVOURS}",
        f"hypothesis examples per property: {paritylib.HYPOTHESIS_EXAMPLES}",
    ]


@pytest.fixture(params=sorted(paritylib.IMPLS), ids=lambda n: n)
def impl(request):
    """Namespace with the classes of one implementation ("stdlib" or "asynclocks")."""
    return paritylib.IMPLS[request.param]


@pytest.fixture(params=paritylib.LOOP_FLAVOURS)
def flavour(request):
    """Event loop flavour: the default asyncio loop and, if importable, uvloop."""
    return request.param


@pytest.fixture(params=paritylib.ALL_FLAVOURS)
def any_flavour(request):
    """Like ``flavour`` plus the eager task factory on Python 3.12+."""
    return request.param


@pytest.fixture
def barrier_impl(impl):
    if not paritylib.HAS_BARRIER:
        pytest.skip("asyncio.Barrier needs Python 3.11+")
    return impl


@pytest.fixture
def queue_impl(impl):
    """``impl`` for the queue tests: skipped while asynclocks has no queues."""
    if impl.Queue is None:
        pytest.skip(f"{impl.name} has no Queue/LifoQueue/PriorityQueue")
    return impl


@pytest.fixture(params=paritylib.QUEUE_KINDS)
def kind(request):
    """One of the queue classes: "Queue", "LifoQueue", "PriorityQueue"."""
    return request.param
