"""Type stubs for the C extension asynclocks._core.

The classes are declared in the package's stubs (``__init__.pyi``), where type
checkers name them ``asynclocks.Lock`` and so on; this module re-exports them.
"""

# A new class of the extension: declare it (with docstrings) at the end of
# __init__.pyi, add it to __all__ there, and re-export it here with one
# `from asynclocks import X as X` line (CONTRIBUTING.md, "Type stubs").

import sys

from asynclocks import BoundedSemaphore as BoundedSemaphore
from asynclocks import Condition as Condition
from asynclocks import Event as Event
from asynclocks import LifoQueue as LifoQueue
from asynclocks import Lock as Lock
from asynclocks import PriorityQueue as PriorityQueue
from asynclocks import Queue as Queue
from asynclocks import Semaphore as Semaphore
from asynclocks import ThreadSafeEvent as ThreadSafeEvent
from asynclocks import ThreadSafeFlag as ThreadSafeFlag
from asynclocks import ThreadSafeLifoQueue as ThreadSafeLifoQueue
from asynclocks import ThreadSafePriorityQueue as ThreadSafePriorityQueue
from asynclocks import ThreadSafeQueue as ThreadSafeQueue
from asynclocks._tsqueue import AsyncQueue as AsyncQueue
from asynclocks._tsqueue import SyncQueue as SyncQueue

if sys.version_info >= (3, 11):
    from asynclocks import Barrier as Barrier

def _recycled_count() -> int:
    """Number of finished awaitables kept for reuse."""
