"""C implementations of asyncio's synchronization primitives."""

import sys
from collections.abc import Callable, Coroutine, Generator
from types import TracebackType
from typing import Any, Literal, TypeVar, final, type_check_only

from typing_extensions import disjoint_base

_T = TypeVar("_T")

@final
@type_check_only
class Awaitable(Coroutine[Any, Any, _T]):
    """The coroutine-like object returned by the coroutine methods.

    Behaves as a coroutine object: await it, run it as a task, or drive it
    with send(), throw() and close(). Nothing happens until it is awaited.
    """

    __name__: str
    __qualname__: str
    @property
    def cr_running(self) -> bool:
        """True while the awaitable is executing."""
    @property
    def cr_await(self) -> Any:
        """The object it waits on (a future's iterator), or None."""
    if sys.version_info >= (3, 11):
        @property
        def cr_suspended(self) -> bool:
            """True while the awaitable is suspended at a future."""

    def __await__(self) -> Generator[Any, None, _T]:
        """Return an iterator for `await`."""
    def send(self, value: Any, /) -> Any:
        """Send a value into the awaitable; return the next yielded value or raise StopIteration."""
    def throw(
        self,
        typ: type[BaseException] | BaseException,
        val: Any = ...,
        tb: TracebackType | None = ...,
        /,
    ) -> Any:
        """Raise an exception inside; return the next yielded value or raise StopIteration."""
    def close(self) -> None:
        """Raise GeneratorExit inside the awaitable, running its clean-up."""

@disjoint_base
class Lock:
    """A mutual-exclusion lock for asyncio tasks, behaving as asyncio.Lock.

    acquire() is a coroutine; `async with lock:` acquires and releases it.
    Waiters are served in FIFO order.
    """

    def __init__(self) -> None: ...
    def locked(self) -> bool:
        """Return True if the lock is acquired."""
    def acquire(self) -> Awaitable[Literal[True]]:
        """Acquire the lock (a coroutine); wait until it is unlocked, then return True."""
    def release(self) -> None:
        """Release the lock and let the first waiter, if any, proceed.

        RuntimeError if the lock is not locked.
        """
    def __aenter__(self) -> Awaitable[None]:
        """Await acquire(); return None."""
    def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> Awaitable[None]:
        """Call release()."""

@disjoint_base
class Event:
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
    def wait(self) -> Awaitable[Literal[True]]:
        """Wait until the flag is true (a coroutine); return True."""

@disjoint_base
class Condition:
    """A condition variable for asyncio tasks, behaving as asyncio.Condition.

    With no lock, a new Lock is made; any lock with acquire(), release()
    and locked() is accepted.
    """

    def __init__(self, lock: Any | None = None) -> None: ...
    @property
    def _lock(self) -> Any:
        """The underlying lock."""
    def locked(self) -> bool:
        """The underlying lock's locked()."""
    def acquire(self) -> Awaitable[Literal[True]]:
        """The underlying lock's acquire() (a coroutine)."""
    def release(self) -> None:
        """The underlying lock's release()."""
    def wait(self) -> Awaitable[Literal[True]]:
        """Release the lock, wait until notified, re-acquire the lock (a coroutine); return True.

        RuntimeError if the lock is not acquired.
        """
    def wait_for(self, predicate: Callable[[], _T]) -> Awaitable[_T]:
        """wait() until predicate() is true (a coroutine); return its last result."""
    def notify(self, n: int = 1) -> None:
        """Wake up to n waiters. RuntimeError if the lock is not acquired."""
    def notify_all(self) -> None:
        """Wake up every waiter. RuntimeError if the lock is not acquired."""
    def __aenter__(self) -> Awaitable[None]:
        """Await the lock's acquire(); return None."""
    def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> Awaitable[None]:
        """Call the lock's release()."""

@disjoint_base
class Semaphore:
    """A counting semaphore for asyncio tasks, behaving as asyncio.Semaphore.

    ValueError if value is negative.
    """

    def __init__(self, value: int = 1) -> None: ...
    def locked(self) -> bool:
        """Return True if acquire() would not return at once."""
    def acquire(self) -> Awaitable[Literal[True]]:
        """Acquire the semaphore (a coroutine); wait while the counter is zero, then return True."""
    def release(self) -> None:
        """Increment the counter and wake the first waiter, if any."""
    def __aenter__(self) -> Awaitable[None]:
        """Await acquire(); return None."""
    def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
        /,
    ) -> Awaitable[None]:
        """Call release()."""

@disjoint_base
class BoundedSemaphore(Semaphore):
    """A semaphore that refuses to be released above its initial value.

    Behaves as asyncio.BoundedSemaphore.
    """

    def release(self) -> None:
        """Increment the counter; ValueError if it would exceed the initial value."""

if sys.version_info >= (3, 11):
    @disjoint_base
    class Barrier:
        """A barrier for a fixed number of asyncio tasks, behaving as asyncio.Barrier.

        ValueError if parties < 1.
        """

        def __init__(self, parties: int) -> None: ...
        def __aenter__(self) -> Awaitable[int]:
            """Await wait(); return its index."""
        def __aexit__(self, *args: object) -> Awaitable[None]:
            """Do nothing."""
        def wait(self) -> Awaitable[int]:
            """Wait until `parties` tasks wait (a coroutine); return this task's index."""
        def reset(self) -> Awaitable[None]:
            """Return the barrier to its empty state (a coroutine).

            Waiting tasks get BrokenBarrierError.
            """
        def abort(self) -> Awaitable[None]:
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
    def wait(self) -> Awaitable[None]:
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
    def wait(self) -> Awaitable[Literal[True]]:
        """Wait until the flag is set (a coroutine); return True."""
    def wait_sync(self, timeout: float | None = None) -> bool:
        """Block the calling thread until the flag is set or the timeout (seconds) passes.

        Return the flag, as threading.Event.wait.
        """

def _recycled_count() -> int:
    """Number of finished awaitables kept for reuse."""
