"""asynclocks: asyncio's synchronization primitives, implemented in C.

Drop-in replacements for :class:`asyncio.Lock`, :class:`asyncio.Event`,
:class:`asyncio.Condition`, :class:`asyncio.Semaphore`,
:class:`asyncio.BoundedSemaphore`, (Python 3.11+) :class:`asyncio.Barrier`,
:class:`asyncio.Queue`, :class:`asyncio.LifoQueue` and
:class:`asyncio.PriorityQueue`, with the behaviour of the running
interpreter's :mod:`asyncio`; and
:class:`ThreadSafeFlag` and :class:`ThreadSafeEvent`, which threads and signal
handlers can set to wake tasks; and :class:`ThreadSafeQueue`, :class:`ThreadSafeLifoQueue` and
:class:`ThreadSafePriorityQueue`, which carry items between threads and tasks
of any event loops with janus's API.

The C implementation is used unless the environment variable
``ASYNCLOCKS_NO_EXTENSIONS`` is set to a non-empty value other than ``0``, the
interpreter is a free-threaded build (the extension would re-enable the GIL),
or the extension cannot be imported. asyncio's classes are exported then, with
pure-Python ThreadSafeFlag and ThreadSafeEvent; :data:`IMPORT_ERROR` says why
(unless the fallback was asked for), and a RuntimeWarning says so at import
(not when asked for). With ``ASYNCLOCKS_REQUIRE_EXTENSION`` set (non-empty,
not ``0``) the import raises ImportError instead of falling back.
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
    "Queue",
    "LifoQueue",
    "PriorityQueue",
    "QueueEmpty",
    "QueueFull",
    "install",
    "uninstall",
    "is_installed",
    "ThreadSafeFlag",
    "ThreadSafeEvent",
]
if sys.version_info >= (3, 11):
    __all__ += ["Barrier", "BrokenBarrierError"]
if sys.version_info >= (3, 13):
    __all__ += ["QueueShutDown"]

IMPORT_ERROR: ImportError | None = None
"""Why the C extension is not used (failed import, free-threaded build); None
when it is, or when ``ASYNCLOCKS_NO_EXTENSIONS`` asked for the fallback."""

IMPLEMENTATION: str  # Literal["c", "stdlib"] in __init__.pyi
"""``"c"`` when the C extension is in use, ``"stdlib"`` for the fallback."""

if _typing.TYPE_CHECKING:
    # Type checkers read __init__.pyi instead of this file: the public classes
    # are declared there (so that they are named asynclocks.Lock, ...).
    pass
else:
    from asynclocks import _select

    _source: _typing.Any = _asyncio
    _use, _reason = _select.choose(
        _os.environ, _select.gil_disabled_build(), _select.gil_enabled_now()
    )
    if _use:
        try:
            _source = _importlib.import_module("asynclocks._core")
        except ImportError as exc:  # exercised by the packaging tests
            IMPORT_ERROR = exc
            _reason = _select.import_failed(exc)
    elif _reason == _select.FREE_THREADED:
        IMPORT_ERROR = ImportError(_reason)
    IMPLEMENTATION = "stdlib" if _source is _asyncio else "c"
    if _reason is not None:
        _action, _message = _select.after_fallback(_os.environ, _reason)
        if _action == "raise":
            raise ImportError(_message) from IMPORT_ERROR
        if _action == "warn":
            import warnings as _warnings

            _warnings.warn(_message, RuntimeWarning, stacklevel=2)
            del _warnings
        del _action, _message
    Lock = _source.Lock
    Event = _source.Event
    Condition = _source.Condition
    Semaphore = _source.Semaphore
    BoundedSemaphore = _source.BoundedSemaphore
    if sys.version_info >= (3, 11):
        Barrier = _source.Barrier
    Queue = _source.Queue
    LifoQueue = _source.LifoQueue
    PriorityQueue = _source.PriorityQueue
    if IMPLEMENTATION == "c":
        ThreadSafeFlag = _source.ThreadSafeFlag
        ThreadSafeEvent = _source.ThreadSafeEvent
    else:  # no stdlib counterpart: the pure-Python ones
        from asynclocks._threadsafe import ThreadSafeEvent, ThreadSafeFlag
    del _source, _use, _reason, _select

if sys.version_info >= (3, 11):
    BrokenBarrierError = _asyncio.BrokenBarrierError
# asyncio's own exception classes (the queues raise these).
QueueEmpty = _asyncio.QueueEmpty
QueueFull = _asyncio.QueueFull
if sys.version_info >= (3, 13):
    QueueShutDown = _asyncio.QueueShutDown

# Thread-safe queues (janus's API): the C types when the extension is in use,
# else the Python implementation (asynclocks._tsqueue, their specification).
from asynclocks._tsqueue import AsyncQueueShutDown, SyncQueueShutDown  # noqa: E402

_tsq_source = _importlib.import_module(
    "asynclocks._core" if IMPLEMENTATION == "c" else "asynclocks._tsqueue"
)
ThreadSafeQueue = _tsq_source.ThreadSafeQueue
ThreadSafeLifoQueue = _tsq_source.ThreadSafeLifoQueue
ThreadSafePriorityQueue = _tsq_source.ThreadSafePriorityQueue
del _tsq_source

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
