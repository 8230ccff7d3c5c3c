"""janus's names, bound to asynclocks' thread-safe queues, for janus's own tests.

The vendored tests import this module as ``janus``. The implementation is
the one ``asynclocks`` exports (the C one when the extension has it), or the
one ``ASYNCLOCKS_TSQ_IMPL`` names (``python`` or ``c``).
"""

from __future__ import annotations

import importlib
import os
import re
from asyncio import QueueEmpty as AsyncQueueEmpty
from asyncio import QueueFull as AsyncQueueFull
from queue import Empty as SyncQueueEmpty
from queue import Full as SyncQueueFull

import asynclocks
from asynclocks import AsyncQueueShutDown, SyncQueueShutDown

_which = os.environ.get("ASYNCLOCKS_TSQ_IMPL", "")
_source = {
    "": asynclocks,
    "python": importlib.import_module("asynclocks._tsqueue"),
    "c": importlib.import_module("asynclocks._core") if _which == "c" else None,
}[_which]


# Subclasses with janus's class names (janus's tests key results on them).
class Queue(_source.ThreadSafeQueue):
    pass


class LifoQueue(_source.ThreadSafeLifoQueue):
    pass


class PriorityQueue(_source.ThreadSafePriorityQueue):
    pass


__all__ = [
    "Queue",
    "LifoQueue",
    "PriorityQueue",
    "SyncQueueEmpty",
    "SyncQueueFull",
    "SyncQueueShutDown",
    "AsyncQueueEmpty",
    "AsyncQueueFull",
    "AsyncQueueShutDown",
    "waiting",
]


def waiting(q, what: str) -> int:
    """Threads and tasks waiting in list ``what`` (getters, putters, joiners),
    read from the repr (janus's tests read private counters instead)."""
    m = re.search(rf"{what}\[(\d+)\]", repr(q))
    return int(m.group(1)) if m else 0
