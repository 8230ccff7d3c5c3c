"""ThreadSafeFlag and ThreadSafeEvent in pure Python.

``asynclocks.ThreadSafeFlag`` and ``asynclocks.ThreadSafeEvent`` are these
classes when the C extension is not used (``ASYNCLOCKS_NO_EXTENSIONS=1``, the
extension failed to import, or a free-threaded build), and the C ones
otherwise. Same API and semantics as the C types; the design follows the header
comment of ``src/threadsafe.c`` step by step (node states, the flag's hand-off,
one ``call_soon_threadsafe`` per loop, the direct wake-up inside a task of the
waiter's loop).

Locking. Each object keeps its flag and its FIFO of waiters (an OrderedDict of
nodes) under its own ``threading.RLock``, not under the GIL, so it is correct
on a free-threaded build too. No Python-level callback (``create_future``,
``call_soon_threadsafe``, ``set_result``) runs while the lock is held: ``set()``
takes what it must wake under the lock, releases it, then wakes.

Unlike C, Python code can be interrupted between two bytecodes by a signal
handler or a finalizer that runs in the same thread. Such code calling
``set()`` while its thread is inside one of the object's critical sections
must neither deadlock nor see the state half-updated: the lock is re-entrant
and ``_busy`` says that a critical section is in progress; a ``set()`` that
finds it so (only the owning thread can) is queued and runs as soon as that
section ends (``_exit``). ``clear()`` and ``is_set()`` store and load one
attribute and take no lock.
"""

from __future__ import annotations

import _thread
import asyncio
import threading
from asyncio import events
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal

__all__ = ["ThreadSafeFlag", "ThreadSafeEvent"]

# Node states (under the lock), as in src/threadsafe.c.
_LINKED, _HANDING, _GRANTED, _REVOKED = range(4)
# What a waiter that finished while its node was HANDING left behind.
_PRESENT, _LEFT_CONSUMED, _LEFT_UNCONSUMED = range(3)

_get_running_loop = events._get_running_loop
_current_task = asyncio.current_task
_Futs = tuple["asyncio.Future[Any]", ...]


def _probe_nan() -> bool:
    """Whether threading.Event().wait(nan) raises ValueError (3.14+), as the C probe."""
    try:
        threading.Event().wait(float("nan"))
    except ValueError:
        return True
    return False


_NAN_RAISES = _probe_nan()


def _noop() -> None:
    pass


class _Node:
    """A waiter: a task (its loop and future) or a thread (a lock it sleeps on)."""

    __slots__ = ("loop", "fut", "sync", "state", "left")

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop | None,
        fut: asyncio.Future[Any] | None,
        sync: _thread.LockType | None = None,
    ) -> None:
        self.loop = loop
        self.fut = fut
        self.sync = sync
        self.state = _LINKED
        self.left = _PRESENT


def _wake(futs: _Futs, value: object) -> None:
    """Give value to each future still pending; raise the first error after all."""
    err: BaseException | None = None
    for fut in futs:
        try:
            if not fut.done():
                fut.set_result(value)
        except BaseException as exc:  # noqa: B036 - re-raised below
            if err is None:
                err = exc
    if err is not None:
        raise err


def _in_loop_task(loop: asyncio.AbstractEventLoop) -> bool:
    """True if this thread runs `loop` and is inside a step of one of its tasks."""
    try:
        return _get_running_loop() is loop and _current_task(loop) is not None
    except Exception:
        return False


def _wake_loop(loop: asyncio.AbstractEventLoop, futs: _Futs, value: object) -> bool:
    """Wake futs of loop: directly inside one of its tasks, else through
    call_soon_threadsafe. False if the loop refused (closed: RuntimeError)."""
    if _in_loop_task(loop):
        _wake(futs, value)
        return True
    try:
        loop.call_soon_threadsafe(_wake, futs, value)
    except RuntimeError:
        return False
    return True


class _ThreadSafeBase:
    __slots__ = ("_lock", "_busy", "_deferred", "_flag", "_waiters", "__weakref__")

    _lock: threading.RLock
    _busy: bool
    _deferred: list[Callable[[], None]]
    _flag: bool
    _waiters: OrderedDict[_Node, None]

    def __new__(cls, *args: object, **kwargs: object) -> Any:
        self = super().__new__(cls)
        self._lock = threading.RLock()
        self._busy = False
        self._deferred = []
        self._flag = False
        self._waiters = OrderedDict()
        return self

    def __init__(self) -> None:
        pass

    # -- the lock --------------------------------------------------------

    def _enter(self, later: Callable[[], None] | None = None) -> bool:
        """Take the lock and start a critical section: True. When this thread
        is already inside one (a signal handler or finalizer interrupted it),
        queue `later` to run when that section ends and return False."""
        self._lock.acquire()
        if self._busy:
            if later is None:
                self._lock.release()
                raise RuntimeError(
                    f"{type(self).__name__} used from a signal handler or finalizer "
                    "that interrupted one of its own operations"
                )
            self._deferred.append(later)
            self._lock.release()
            return False
        self._busy = True
        return True

    def _exit(self) -> None:
        """End the critical section, release the lock, run what was queued."""
        self._busy = False
        ops = self._deferred
        if ops:
            self._deferred = []
        self._lock.release()
        err: BaseException | None = None
        for op in ops:
            try:
                op()
            except BaseException as exc:  # noqa: B036 - re-raised below
                if err is None:
                    err = exc
        if err is not None:
            raise err

    # -- the shared API --------------------------------------------------

    def is_set(self) -> bool:
        """Return True if the flag is set."""
        return self._flag

    def clear(self) -> None:
        """Reset the flag."""
        self._flag = False

    def __repr__(self) -> str:
        if self._enter(_noop):
            try:
                flag, n = self._flag, len(self._waiters)
            finally:
                self._exit()
        else:
            flag, n = self._flag, len(self._waiters)
        state = "set" if flag else "unset"
        extra = f"{state}, waiters:{n}" if n else state
        return f"<{object.__repr__(self)[1:-1]} [{extra}]>"

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError(f"cannot pickle '{type(self).__module__}.{type(self).__qualname__}' object")

    # -- await wait() ----------------------------------------------------

    async def _wait(self, consume: bool) -> None:
        """Take the flag (consume) or see it set, else queue a waiter of the
        running loop and wait for the wake-up."""
        self._enter()
        try:
            got = self._flag
            if got and consume:
                self._flag = False
        finally:
            self._exit()
        if got:
            return
        loop = _get_running_loop()
        if loop is None:
            raise RuntimeError("no running event loop")
        fut = loop.create_future()
        node = _Node(loop, fut)
        self._enter()
        try:
            got = self._flag  # set while the future was made
            if got:
                if consume:
                    self._flag = False
            else:
                self._waiters[node] = None
        finally:
            self._exit()
        if got:
            return
        try:
            await fut
        except BaseException:
            self._finish(node, False, consume, loop)
            raise
        self._finish(node, True, consume, loop)

    def _finish(
        self, node: _Node, ok: bool, consume: bool, loop: asyncio.AbstractEventLoop
    ) -> None:
        """The waiter resumed (ok) or failed: leave the queue; a flag waiter
        granted the flag but not resuming passes it on."""
        self._enter()
        try:
            state = node.state
            if state == _LINKED:
                del self._waiters[node]
            elif state == _HANDING:
                # the setter passes the flag on if it was not consumed
                node.left = _LEFT_CONSUMED if ok else _LEFT_UNCONSUMED
        finally:
            self._exit()
        node.loop = node.fut = None
        if not ok and consume and state == _GRANTED:
            try:
                self._release_flag()
            except Exception as exc:  # the waiter's own exception goes on
                loop.call_exception_handler(
                    {
                        "message": f"{type(self).__name__}: passing the flag on failed",
                        "exception": exc,
                    }
                )

    # -- set() -----------------------------------------------------------

    def _release_flag(self) -> None:
        """The flag's set(): hand the flag to the longest-waiting task, or set
        it when none waits; raise the first error a loop raised (the flag was
        passed on all the same)."""
        err: BaseException | None = None
        while True:
            if not self._enter(self._release_flag):
                break
            try:
                if self._flag:
                    break
                if not self._waiters:
                    self._flag = True
                    break
                node, _ = self._waiters.popitem(last=False)
                node.state = _HANDING
                loop, fut = node.loop, node.fut
                node.loop = node.fut = None
            finally:
                self._exit()
            assert loop is not None and fut is not None
            try:
                ok = _wake_loop(loop, (fut,), None)
            except BaseException as exc:  # noqa: B036 - re-raised below
                ok = False
                if err is None:
                    err = exc
            del loop, fut
            self._enter()
            try:
                if node.left != _PRESENT:
                    pass_on = node.left == _LEFT_UNCONSUMED
                else:
                    node.state = _GRANTED if ok else _REVOKED
                    pass_on = not ok
            finally:
                self._exit()
            if not pass_on:
                break
        if err is not None:
            raise err

    def _release_event(self) -> None:
        """The event's set(): set the flag and wake every waiter."""
        if not self._enter(self._release_event):
            return
        groups: dict[int, tuple[asyncio.AbstractEventLoop, list[asyncio.Future[Any]]]] = {}
        try:
            if self._flag:
                return
            self._flag = True
            nodes = list(self._waiters)
            self._waiters.clear()
            for node in nodes:
                node.state = _GRANTED
                if node.sync is not None:
                    node.sync.release()
                else:
                    loop, fut = node.loop, node.fut
                    assert loop is not None and fut is not None
                    node.loop = node.fut = None
                    group = groups.get(id(loop))
                    if group is None:
                        groups[id(loop)] = (loop, [fut])
                    else:
                        group[1].append(fut)
        finally:
            self._exit()
        err: BaseException | None = None
        for loop, futs in groups.values():  # one call_soon_threadsafe per loop
            try:
                _wake_loop(loop, tuple(futs), True)
            except BaseException as exc:  # noqa: B036 - re-raised below
                if err is None:
                    err = exc
        if err is not None:
            raise err


class ThreadSafeFlag(_ThreadSafeBase):
    """A flag that threads and signal handlers set and asyncio tasks of any loop wait for.

    Each set() releases one waiting task (the longest-waiting); with no waiter
    the flag stays set until a wait() takes it.
    """

    __module__ = "asynclocks"  # the name users import it by

    __slots__ = ()

    def set(self) -> None:
        """Release the longest-waiting task, or set the flag when none waits.

        Callable from any thread and from signal handlers.
        """
        self._release_flag()

    async def wait(self) -> None:
        """Wait until the flag is set, then clear it (a coroutine); return None."""
        await self._wait(True)


class ThreadSafeEvent(_ThreadSafeBase):
    """An event that threads and signal handlers set.

    It wakes asyncio tasks of any loop (await wait()) and threads (wait_sync()).
    """

    __module__ = "asynclocks"  # the name users import it by

    __slots__ = ()

    def set(self) -> None:
        """Set the flag and wake every waiting task and thread.

        Callable from any thread and from signal handlers.
        """
        self._release_event()

    async def wait(self) -> Literal[True]:
        """Wait until the flag is set (a coroutine); return True."""
        await self._wait(False)
        return True

    def wait_sync(self, timeout: float | None = None) -> bool:
        """Block the calling thread until the flag is set or the timeout (seconds) passes.

        Return the flag, as threading.Event.wait.
        """
        blocking = True
        secs = -1.0
        if timeout is not None:
            # As threading.Condition.wait: a positive timeout blocks, others
            # poll; NaN polls where threading tests `timeout > 0` and is
            # rejected where it tests `timeout <= 0` (3.14+).
            nonpos = bool(timeout <= 0)
            blocking = bool(timeout > 0)
            if not nonpos and not blocking and _NAN_RAISES:
                raise ValueError("Invalid value NaN (not a number)")
            if blocking:
                secs = float(timeout)
                if not secs <= _thread.TIMEOUT_MAX:
                    raise OverflowError("timeout value is too large")
        if blocking and _get_running_loop() is not None:
            raise RuntimeError(
                f"{type(self).__name__}.wait_sync() would block the event loop running in this "
                "thread; use 'await ev.wait()' in a coroutine (or wait_sync(timeout=0) to poll)"
            )
        flag = self._flag
        if flag or not blocking:
            return flag
        return self._block(secs)

    def _block(self, secs: float) -> bool:
        """Block until set() or until secs passed (secs < 0: no limit); signal
        handlers run and may raise, as in threading's locks. True if woken by set()."""
        sync = _thread.allocate_lock()
        sync.acquire()
        node = _Node(None, None, sync)
        self._enter()
        try:
            flag = self._flag
            if not flag:
                self._waiters[node] = None
        finally:
            self._exit()
        if flag:
            return True
        try:
            sync.acquire(True, secs)
        finally:
            self._enter()
            try:
                granted = node.state == _GRANTED
                if node.state == _LINKED:
                    del self._waiters[node]
            finally:
                self._exit()
        return granted
