"""asynclocks: asyncio's synchronization primitives, implemented in C.

Drop-in replacements for :class:`asyncio.Lock`, :class:`asyncio.Event`,
:class:`asyncio.Condition`, :class:`asyncio.Semaphore`,
:class:`asyncio.BoundedSemaphore` and (Python 3.11+) :class:`asyncio.Barrier`,
with the behaviour of the running interpreter's :mod:`asyncio`; and
:class:`ThreadSafeFlag` and :class:`ThreadSafeEvent`, which threads and signal
handlers can set to wake tasks (C extension only: the stdlib has no
counterpart); and :class:`ThreadSafeQueue`, :class:`ThreadSafeLifoQueue` and
:class:`ThreadSafePriorityQueue`, which carry items between threads and tasks
of any event loops with janus's API (C, or Python without the extension).

The C implementation is used unless the environment variable
``ASYNCLOCKS_NO_EXTENSIONS`` is set to a non-empty value other than ``0``, or
the extension cannot be imported; the stdlib classes are exported then.
:data:`IMPLEMENTATION` says which one is active (``"c"`` or ``"stdlib"``).

:func:`install` puts these classes in place of asyncio's (``asyncio.Lock``
and the others), :func:`uninstall` puts asyncio's back; the environment
variable ``ASYNCLOCKS_INSTALL=1`` installs them at interpreter start-up, and
``pytest --asynclocks`` before a test suite's modules are imported.

(PYTEST_DONT_REWRITE: pytest leaves this package's asserts alone, so it does
not warn when ``ASYNCLOCKS_INSTALL=1`` imported it before pytest started.)
"""

# Only the public names stay module globals (dir(asynclocks) is the API): the
# modules used below are deleted at the end (sys keeps its name for type checkers).
import asyncio as _asyncio
import importlib as _importlib
import os as _os
import sys
import typing as _typing

# The single place the version is written: the build reads it from here.
__version__ = "0.1.0"

__all__ = [
    "IMPLEMENTATION",
    "IMPORT_ERROR",
    "Lock",
    "Event",
    "Condition",
    "Semaphore",
    "BoundedSemaphore",
    "install",
    "uninstall",
    "is_installed",
]
if sys.version_info >= (3, 11):
    __all__ += ["Barrier", "BrokenBarrierError"]

IMPORT_ERROR: ImportError | None = None
"""Why the C extension could not be imported, when it was wanted but failed."""

IMPLEMENTATION: str
"""``"c"`` when the C extension is in use, ``"stdlib"`` for the fallback."""

if _typing.TYPE_CHECKING:
    # Type checkers read __init__.pyi instead of this file: the public classes
    # are declared there (so that they are named asynclocks.Lock, ...).
    pass
else:
    _source: _typing.Any = _asyncio
    if _os.environ.get("ASYNCLOCKS_NO_EXTENSIONS", "") in ("", "0"):
        try:
            _source = _importlib.import_module("asynclocks._core")
        except ImportError as exc:  # exercised by the packaging tests
            IMPORT_ERROR = exc
    IMPLEMENTATION = "stdlib" if _source is _asyncio else "c"
    Lock = _source.Lock
    Event = _source.Event
    Condition = _source.Condition
    Semaphore = _source.Semaphore
    BoundedSemaphore = _source.BoundedSemaphore
    if sys.version_info >= (3, 11):
        Barrier = _source.Barrier
    if IMPLEMENTATION == "c":  # no stdlib counterpart: absent in the fallback
        ThreadSafeFlag = _source.ThreadSafeFlag
        ThreadSafeEvent = _source.ThreadSafeEvent
        __all__ += ["ThreadSafeFlag", "ThreadSafeEvent"]
    del _source

if sys.version_info >= (3, 11):
    BrokenBarrierError = _asyncio.BrokenBarrierError

# Thread-safe queues (janus's API): the C types when the extension is in use,
# else the Python implementation (asynclocks._tsqueue, their specification).
from asynclocks._tsqueue import (  # noqa: E402
    AsyncQueueShutDown,
    SyncQueueShutDown,
    ThreadSafeLifoQueue,
    ThreadSafePriorityQueue,
    ThreadSafeQueue,
)

if IMPLEMENTATION == "c":
    _core = _importlib.import_module("asynclocks._core")
    ThreadSafeQueue = _core.ThreadSafeQueue
    ThreadSafeLifoQueue = _core.ThreadSafeLifoQueue
    ThreadSafePriorityQueue = _core.ThreadSafePriorityQueue
    del _core

__all__ += [
    "ThreadSafeQueue",
    "ThreadSafeLifoQueue",
    "ThreadSafePriorityQueue",
    "SyncQueueShutDown",
    "AsyncQueueShutDown",
]

# Imported last: install() reads IMPLEMENTATION and the classes above.
from asynclocks._install import install, is_installed, uninstall  # noqa: E402


def __dir__() -> list[str]:
    """The public API (and __version__); submodules such as _core are not listed."""
    return sorted([*__all__, "__version__"])


del _asyncio, _importlib, _os, _typing, sys
