"""asynclocks: asyncio's synchronization primitives, implemented in C.

Drop-in replacements for :class:`asyncio.Lock`, :class:`asyncio.Event`,
:class:`asyncio.Condition`, :class:`asyncio.Semaphore`,
:class:`asyncio.BoundedSemaphore` and (Python 3.11+) :class:`asyncio.Barrier`,
with the behaviour of the running interpreter's :mod:`asyncio`.

The C implementation is used unless the environment variable
``ASYNCLOCKS_NO_EXTENSIONS`` is set to a non-empty value other than ``0``, or
the extension cannot be imported; the stdlib classes are exported then.
:data:`IMPLEMENTATION` says which one is active (``"c"`` or ``"stdlib"``).
"""

from __future__ import annotations

import asyncio
import os
import sys

__version__ = "0.1.0"

__all__ = [
    "IMPLEMENTATION",
    "Lock",
    "Event",
    "Condition",
    "Semaphore",
    "BoundedSemaphore",
]
if sys.version_info >= (3, 11):
    __all__ += ["Barrier", "BrokenBarrierError"]


def _want_extension() -> bool:
    flag = os.environ.get("ASYNCLOCKS_NO_EXTENSIONS", "")
    return flag in ("", "0")


IMPORT_ERROR: ImportError | None = None
"""Why the C extension could not be imported, when it was wanted but failed."""

if _want_extension():
    try:
        from asynclocks import _core
    except ImportError as exc:  # pragma: no cover - exercised by packaging tests
        IMPORT_ERROR = exc
        _core = None  # type: ignore[assignment]
else:
    _core = None  # type: ignore[assignment]

if _core is not None:
    IMPLEMENTATION = "c"
    Lock = _core.Lock
    Event = _core.Event
    Condition = _core.Condition
    Semaphore = _core.Semaphore
    BoundedSemaphore = _core.BoundedSemaphore
    if sys.version_info >= (3, 11):
        Barrier = _core.Barrier
else:
    IMPLEMENTATION = "stdlib"
    Lock = asyncio.Lock  # type: ignore[misc,assignment]
    Event = asyncio.Event  # type: ignore[misc,assignment]
    Condition = asyncio.Condition  # type: ignore[misc,assignment]
    Semaphore = asyncio.Semaphore  # type: ignore[misc,assignment]
    BoundedSemaphore = asyncio.BoundedSemaphore  # type: ignore[misc,assignment]
    if sys.version_info >= (3, 11):
        Barrier = asyncio.Barrier  # type: ignore[misc,assignment]

if sys.version_info >= (3, 11):
    BrokenBarrierError = asyncio.BrokenBarrierError
