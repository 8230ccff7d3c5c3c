"""asynclocks: asyncio's synchronization primitives, implemented in C.

Drop-in replacements for asyncio.Lock, Event, Condition, Semaphore,
BoundedSemaphore, (Python 3.11+) Barrier, Queue, LifoQueue and PriorityQueue,
with the behaviour of the running interpreter's asyncio; and ThreadSafeFlag and
ThreadSafeEvent, which threads and signal handlers can set to wake tasks.
install() puts the classes in place of asyncio's. IMPLEMENTATION says whether
the C extension is in use.
"""

# The package's public API as type checkers see it (they read this file, not
# __init__.py). The classes are declared here, so that type checkers name them
# asynclocks.Lock and so on, as the runtime does (their __module__ is
# "asynclocks"); the extension's stubs, _core.pyi, re-export them. A new class:
# its stub at the end of this file and its name in __all__, and one
# `from asynclocks import X as X` line in _core.pyi (CONTRIBUTING.md, "Type stubs").

import asyncio
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Literal, TypeVar

from _typeshed import SupportsRichComparisonT
from typing_extensions import disjoint_base

from asynclocks._install import install as install
from asynclocks._install import is_installed as is_installed
from asynclocks._install import uninstall as uninstall

# The thread-safe queues are Python classes (asynclocks/_tsqueue.py, typed there).
from asynclocks._tsqueue import AsyncQueueShutDown as AsyncQueueShutDown
from asynclocks._tsqueue import SyncQueueShutDown as SyncQueueShutDown
from asynclocks._tsqueue import ThreadSafeLifoQueue as ThreadSafeLifoQueue
from asynclocks._tsqueue import ThreadSafePriorityQueue as ThreadSafePriorityQueue
from asynclocks._tsqueue import ThreadSafeQueue as ThreadSafeQueue

if sys.version_info >= (3, 11):
    from asyncio import BrokenBarrierError as BrokenBarrierError
from asyncio import QueueEmpty as QueueEmpty
from asyncio import QueueFull as QueueFull

if sys.version_info >= (3, 13):
    from asyncio import QueueShutDown as QueueShutDown

_T = TypeVar("_T")

__version__: str

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
    "ThreadSafeFlag",
    "ThreadSafeEvent",
    "Queue",
    "LifoQueue",
    "PriorityQueue",
    "QueueEmpty",
    "QueueFull",
]
if sys.version_info >= (3, 11):
    __all__ += ["Barrier", "BrokenBarrierError"]
if sys.version_info >= (3, 13):
    __all__ += ["QueueShutDown"]

__all__ += [
    "ThreadSafeQueue",
    "ThreadSafeLifoQueue",
    "ThreadSafePriorityQueue",
    "SyncQueueShutDown",
    "AsyncQueueShutDown",
]

IMPORT_ERROR: ImportError | None
"""Why the C extension is not used (failed import, free-threaded build); None
when it is, or when ``ASYNCLOCKS_NO_EXTENSIONS`` asked for the fallback."""

IMPLEMENTATION: Literal["c", "stdlib"]
"""``"c"`` when the C extension is in use, ``"stdlib"`` for the fallback."""

def __dir__() -> list[str]:
    """The public API (and __version__); submodules such as _core are not listed."""

# The classes subclass the running interpreter's asyncio classes.

@disjoint_base
class Lock(asyncio.Lock):
    """A mutual-exclusion lock for asyncio tasks, behaving as asyncio.Lock.

    acquire() is a coroutine; `async with lock:` acquires and releases it.
    Waiters are served in FIFO order.
    """

    def __init__(self) -> None: ...
    def locked(self) -> bool:
        """Return True if the lock is acquired."""
    async def acquire(self) -> Literal[True]:
        """Acquire the lock (a coroutine); wait until it is unlocked, then return True."""
    def release(self) -> None:
        """Release the lock and let the first waiter, if any, proceed.

        RuntimeError if the lock is not locked.
        """
    async def __aenter__(self) -> None:
        """Await acquire(); return None."""
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Call release()."""

@disjoint_base
class Event(asyncio.Event):
    """An event flag for asyncio tasks, behaving as asyncio.Event.

    wait() blocks until set() makes the flag true; clear() resets it.
    """

    def __init__(self) -> None: ...
    def is_set(self) -> bool:
        """Return True if the flag is true."""
    def set(self) -> None:
        """Set the flag and wake every waiter."""
    def clear(self) -> None:
        """Reset the flag to false."""
    async def wait(self) -> Literal[True]:
        """Wait until the flag is true (a coroutine); return True."""

@disjoint_base
class Condition(asyncio.Condition):
    """A condition variable for asyncio tasks, behaving as asyncio.Condition.

    With no lock, a new Lock is made; any lock with acquire(), release()
    and locked() is accepted.
    """

    def __init__(self, lock: asyncio.Lock | None = None) -> None: ...
    def locked(self) -> bool:
        """The underlying lock's locked()."""
    async def acquire(self) -> Literal[True]:
        """The underlying lock's acquire() (a coroutine)."""
    def release(self) -> None:
        """The underlying lock's release()."""
    async def wait(self) -> Literal[True]:
        """Release the lock, wait until notified, re-acquire the lock (a coroutine); return True.

        RuntimeError if the lock is not acquired.
        """
    async def wait_for(self, predicate: Callable[[], _T]) -> _T:
        """wait() until predicate() is true (a coroutine); return its last result."""
    def notify(self, n: int = 1) -> None:
        """Wake up to n waiters. RuntimeError if the lock is not acquired."""
    def notify_all(self) -> None:
        """Wake up every waiter. RuntimeError if the lock is not acquired."""
    async def __aenter__(self) -> None:
        """Await the lock's acquire(); return None."""
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Call the lock's release()."""

@disjoint_base
class Semaphore(asyncio.Semaphore):
    """A counting semaphore for asyncio tasks, behaving as asyncio.Semaphore.

    ValueError if value is negative.
    """

    def __init__(self, value: int = 1) -> None: ...
    def locked(self) -> bool:
        """Return True if acquire() would not return at once."""
    async def acquire(self) -> Literal[True]:
        """Acquire the semaphore (a coroutine); wait while the counter is zero, then return True."""
    def release(self) -> None:
        """Increment the counter and wake the first waiter, if any."""
    async def __aenter__(self) -> None:
        """Await acquire(); return None."""
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Call release()."""

@disjoint_base
class BoundedSemaphore(Semaphore, asyncio.BoundedSemaphore):
    """A semaphore that refuses to be released above its initial value.

    Behaves as asyncio.BoundedSemaphore.
    """

    def __init__(self, value: int = 1) -> None: ...
    def release(self) -> None:
        """Increment the counter; ValueError if it would exceed the initial value."""

if sys.version_info >= (3, 11):
    @disjoint_base
    class Barrier(asyncio.Barrier):
        """A barrier for a fixed number of asyncio tasks, behaving as asyncio.Barrier.

        ValueError if parties < 1.
        """

        def __init__(self, parties: int) -> None: ...
        # typeshed declares Self; asyncio.Barrier.__aenter__ returns wait()'s index
        async def __aenter__(self) -> int:  # type: ignore[override]
            """Await wait(); return its index."""
        async def __aexit__(self, *args: object) -> None:
            """Do nothing."""
        async def wait(self) -> int:
            """Wait until `parties` tasks wait (a coroutine); return this task's index."""
        async def reset(self) -> None:
            """Return the barrier to its empty state (a coroutine).

            Waiting tasks get BrokenBarrierError.
            """
        async def abort(self) -> None:
            """Put the barrier into the broken state (a coroutine)."""
        @property
        def parties(self) -> int:
            """Number of tasks required to trip the barrier."""
        @property
        def n_waiting(self) -> int:
            """Number of tasks waiting while the barrier fills."""
        @property
        def broken(self) -> bool:
            """True if the barrier is broken."""

@disjoint_base
class ThreadSafeFlag:
    """A flag that threads and signal handlers set and asyncio tasks of any loop wait for.

    Each set() releases one waiting task (the longest-waiting); with no waiter
    the flag stays set until a wait() takes it.
    """

    def __init__(self) -> None: ...
    def is_set(self) -> bool:
        """Return True if the flag is set."""
    def set(self) -> None:
        """Release the longest-waiting task, or set the flag when none waits.

        Callable from any thread and from signal handlers.
        """
    def clear(self) -> None:
        """Reset the flag."""
    async def wait(self) -> None:
        """Wait until the flag is set, then clear it (a coroutine); return None."""

@disjoint_base
class ThreadSafeEvent:
    """An event that threads and signal handlers set.

    It wakes asyncio tasks of any loop (await wait()) and threads (wait_sync()).
    """

    def __init__(self) -> None: ...
    def is_set(self) -> bool:
        """Return True if the flag is set."""
    def set(self) -> None:
        """Set the flag and wake every waiting task and thread.

        Callable from any thread and from signal handlers.
        """
    def clear(self) -> None:
        """Reset the flag."""
    async def wait(self) -> Literal[True]:
        """Wait until the flag is set (a coroutine); return True."""
    def wait_sync(self, timeout: float | None = None) -> bool:
        """Block the calling thread until the flag is set or the timeout (seconds) passes.

        Return the flag, as threading.Event.wait.
        """

# Queues: subclasses of the running interpreter's asyncio.queues classes.

@disjoint_base
class Queue(asyncio.Queue[_T]):
    """A queue for coordinating producer and consumer tasks, behaving as asyncio.Queue.

    If maxsize is less than or equal to zero, the queue size is infinite;
    otherwise put() waits while the queue holds maxsize items.
    """

    def __init__(self, maxsize: int = 0) -> None: ...
    async def put(self, item: _T) -> None:
        """Put an item into the queue (a coroutine).

        If the queue is full, wait until a free slot is available before adding item.
        """
    async def get(self) -> _T:
        """Remove and return an item from the queue (a coroutine).

        If queue is empty, wait until an item is available.
        """
    async def join(self) -> None:
        """Block until all items in the queue have been gotten and processed (a coroutine)."""
    def put_nowait(self, item: _T) -> None:
        """Put an item into the queue without blocking.

        If no free slot is immediately available, raise QueueFull.
        """
    def get_nowait(self) -> _T:
        """Remove and return an item from the queue.

        Return an item if one is immediately available, else raise QueueEmpty.
        """
    def task_done(self) -> None:
        """Indicate that a formerly enqueued task is complete."""
    def qsize(self) -> int:
        """Number of items in the queue."""
    def empty(self) -> bool:
        """Return True if the queue is empty, False otherwise."""
    def full(self) -> bool:
        """Return True if there are maxsize items in the queue."""
    if sys.version_info >= (3, 13):
        def shutdown(self, immediate: bool = False) -> None:
            """Shut-down the queue, making queue gets and puts raise QueueShutDown."""

class LifoQueue(Queue[_T], asyncio.LifoQueue[_T]):
    """A Queue that retrieves most recently added entries first, behaving as asyncio.LifoQueue."""

class PriorityQueue(Queue[SupportsRichComparisonT], asyncio.PriorityQueue[SupportsRichComparisonT]):
    """A Queue that retrieves entries in priority order (lowest first).

    Behaves as asyncio.PriorityQueue.
    """
