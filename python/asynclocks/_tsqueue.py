"""ThreadSafeQueue, ThreadSafeLifoQueue, ThreadSafePriorityQueue in Python.

The executable specification of the thread-safe queues, and the
implementation used when the C extension is not. janus's API: a queue with a
``sync_q`` face (``queue.Queue``'s API) and an ``async_q`` face
(``asyncio.Queue``'s API); any method from any thread, the async face from
tasks of any number of event loops.

Design
------

State. The items (a deque, or a list for the LIFO and priority queues), the
counters, the shutdown flag and three FIFO lists of waiters (getters,
putters, joiners) are protected by one ``threading.Lock`` (``_mutex``).
While it is held, the code reads and writes that state and calls container
methods implemented in C (``deque.append``, ``deque.remove`` of a waiter
compared by identity, ``heapq.heappush``...): no Python code of ours, no
allocation of futures, no loop call. (The priority queue compares items
while it pushes and pops, as ``queue.PriorityQueue`` does under its lock.)

Waiters. A waiting thread or task appends a ``_Waiter`` node to one list: a
thread's node holds a ``threading.Lock`` the thread sleeps on (acquired by
the thread, released by the waker); a task's node holds its loop and a
future made by that loop. Threads and tasks of every loop share one FIFO per
condition, so wake-up order is arrival order whoever waits.

Wake-ups follow asyncio.Queue: ``put`` wakes the first waiting getter,
``get`` the first waiting putter, ``task_done`` reaching zero every joiner,
``shutdown`` every getter and putter. A woken getter re-checks the queue
(and waits again, at the end of the list, if another consumer took the
item): items stay in the queue until a consumer takes them under the mutex,
so a cancelled ``get()`` consumes nothing and a cancelled ``put()`` inserts
nothing, whatever the timing of a hand-off.

The waker removes the node under the mutex, then (mutex released) wakes it:

* a thread: the node's lock is released (still under the mutex);
* a task, from a step of a task of the node's own loop (the loop is not
  asleep in its selector): ``fut.set_result(None)`` at once, as asyncio.Queue
  does; a future already done (its task was cancelled) is skipped and the
  next waiter is woken, as ``asyncio.Queue._wakeup_next`` does;
* a task, from anywhere else (another thread, another loop, a signal
  handler, a plain callback): ``loop.call_soon_threadsafe(_deliver, node)``.
  ``_deliver`` runs in the node's loop: if the task was cancelled meanwhile
  (its future is done, or it already left), the wake-up passes to the next
  waiter, so none is lost. A closed loop (RuntimeError) passes it on at once.

So a loop is woken only when one of its tasks waits: a producer thread
streaming into a consumer task that is busy (not waiting) only appends under
the mutex. A waiter that receives a wake-up and leaves without using it
(cancelled, timed out, interrupted) passes it on, as asyncio.Queue's getters
do.

A blocking sync call that would wait in a thread whose event loop is running
raises RuntimeError (it would freeze that loop): use the async face there.
Blocking sync calls wait on a ``threading.Lock`` with the GIL released;
signal handlers run while they wait (KeyboardInterrupt interrupts them).
"""

from __future__ import annotations

import asyncio
import sys
from _thread import allocate_lock as _allocate_lock
from asyncio import QueueEmpty as AsyncQueueEmpty
from asyncio import QueueFull as AsyncQueueFull
from collections import deque
from collections.abc import Callable
from functools import partial
from heapq import heappop, heappush
from queue import Empty as SyncQueueEmpty
from queue import Full as SyncQueueFull
from time import monotonic
from typing import Any, ClassVar, Generic, TypeVar

if sys.version_info >= (3, 13):
    from asyncio import QueueShutDown as AsyncQueueShutDown
    from queue import ShutDown as SyncQueueShutDown
else:

    class SyncQueueShutDown(Exception):
        """Raised by the sync face when putting on to or getting from a shut-down queue
        (queue.ShutDown on Python 3.13+)."""

    class AsyncQueueShutDown(Exception):
        """Raised by the async face when putting on to or getting from a shut-down queue
        (asyncio.QueueShutDown on Python 3.13+)."""

    SyncQueueShutDown.__name__ = SyncQueueShutDown.__qualname__ = "ShutDown"
    AsyncQueueShutDown.__name__ = AsyncQueueShutDown.__qualname__ = "QueueShutDown"
    SyncQueueShutDown.__module__ = AsyncQueueShutDown.__module__ = "asynclocks"

__all__ = [
    "ThreadSafeQueue",
    "ThreadSafeLifoQueue",
    "ThreadSafePriorityQueue",
    "SyncQueue",
    "AsyncQueue",
    "SyncQueueEmpty",
    "SyncQueueFull",
    "SyncQueueShutDown",
    "AsyncQueueEmpty",
    "AsyncQueueFull",
    "AsyncQueueShutDown",
]

T = TypeVar("T")

_get_running_loop = asyncio._get_running_loop
_current_task = asyncio.current_task

# Node states (written under the mutex, except WOKEN/SKIPPED of a task's
# node, which only its loop's thread writes once the node left the list).
_LINKED = 0  # in a waiter list
_PENDING = 1  # taken off the list by a waker; the wake-up is on its way
_WOKEN = 2  # woken: the waiter owns the wake-up
_SKIPPED = 3  # the wake-up went to the next waiter instead

# Waiter lists (what a wake-up that was not used is passed on to).
_GETTERS = 0
_PUTTERS = 1
_JOINERS = 2

_TIMEOUT_MSG = "'timeout' must be a non-negative number"
_TASK_DONE_MSG = "task_done() called too many times"


class _Waiter:
    """A thread (``lock``) or a task (``loop`` and ``fut``) waiting in a list."""

    __slots__ = ("loop", "fut", "lock", "state", "left")

    def __init__(self, loop: Any, fut: Any, lock: Any) -> None:
        self.loop = loop
        self.fut = fut
        self.lock = lock
        self.state = _LINKED
        self.left = False


def _in_loop_task(loop: Any) -> bool:
    """True if the calling thread runs ``loop`` inside a step of one of its tasks."""
    return _get_running_loop() is loop and _current_task(loop) is not None


def _would_block(what: str, instead: str) -> RuntimeError:
    return RuntimeError(
        f"{what} would block the event loop running in this thread; use '{instead}' in a coroutine"
    )


def _deadline(timeout: float) -> float:
    """The end of a timeout; ValueError if negative (queue.Queue's check)."""
    if timeout < 0:
        raise ValueError(_TIMEOUT_MSG)
    return monotonic() + timeout


def _remaining(endtime: float | None, timeout_exc: type[Exception]) -> float | None:
    """Seconds left until endtime (None: no limit); timeout_exc once it passed."""
    if endtime is None:
        return None
    remaining = endtime - monotonic()
    if remaining <= 0.0:
        raise timeout_exc
    return remaining


class ThreadSafeQueue(Generic[T]):
    """A FIFO queue between threads and asyncio tasks of any event loops.

    ``sync_q`` has ``queue.Queue``'s API, ``async_q`` has ``asyncio.Queue``'s;
    both see the same items. If maxsize is less than or equal to zero, the
    queue size is infinite. Every method may be called from any thread; the
    async face from tasks of any number of loops.
    """

    __module__ = "asynclocks"  # the name users import it by

    def __init__(self, maxsize: int = 0) -> None:
        self._maxsize = maxsize
        self._mutex = _allocate_lock()
        self._unfinished_tasks = 0
        self._is_shutdown = False
        self._getters: deque[_Waiter] = deque()
        self._putters: deque[_Waiter] = deque()
        self._joiners: deque[_Waiter] = deque()
        self._init(maxsize)
        self._bind_container()
        self._sync_q: SyncQueue[T] = SyncQueue(self)
        self._async_q: AsyncQueue[T] = AsyncQueue(self)

    # Override these methods to implement other queue organizations. They are
    # called with the mutex held: keep them to container operations.

    def _init(self, maxsize: int) -> None:
        self._queue: Any = deque()

    def _qsize(self) -> int:
        return len(self._queue)

    def _put(self, item: T) -> None:
        self._queue.append(item)

    def _get(self) -> T:
        return self._queue.popleft()  # type: ignore[no-any-return]

    def _bind_container(self) -> None:
        """The container operations the queue calls: the C methods of the
        container itself where the class keeps the stock _qsize/_put/_get
        (no Python frame per operation), else the overriding methods."""
        cls = type(self)
        q = self._queue
        stock_size = cls._qsize is ThreadSafeQueue._qsize
        self._qsize_f: Callable[[], int] = q.__len__ if stock_size else self._qsize
        put: Any = self._put
        if cls._put is ThreadSafeQueue._put:
            put = q.append
        elif cls._put is ThreadSafePriorityQueue._put:
            put = partial(heappush, q)
        get: Any = self._get
        if cls._get is ThreadSafeQueue._get:
            get = q.popleft
        elif cls._get is ThreadSafeLifoQueue._get:
            get = q.pop
        elif cls._get is ThreadSafePriorityQueue._get:
            get = partial(heappop, q)
        self._put_f: Callable[[T], object] = put
        self._get_f: Callable[[], T] = get

    # -- the janus-level API --------------------------------------------------

    @property
    def sync_q(self) -> SyncQueue[T]:
        """The face with queue.Queue's API."""
        return self._sync_q

    @property
    def async_q(self) -> AsyncQueue[T]:
        """The face with asyncio.Queue's API."""
        return self._async_q

    @property
    def maxsize(self) -> int:
        """Number of items allowed in the queue (0 or less: no limit)."""
        return self._maxsize

    @property
    def unfinished_tasks(self) -> int:
        """Items put and not yet marked done with task_done()."""
        return self._unfinished_tasks

    @property
    def closed(self) -> bool:
        """True once the queue was shut down (close(), aclose() or shutdown())."""
        return self._is_shutdown

    def qsize(self) -> int:
        """Number of items in the queue."""
        with self._mutex:
            return self._qsize_f()

    def empty(self) -> bool:
        """Return True if the queue is empty."""
        with self._mutex:
            return not self._qsize_f()

    def full(self) -> bool:
        """Return True if there are maxsize items in the queue (never with maxsize <= 0)."""
        with self._mutex:
            return 0 < self._maxsize <= self._qsize_f()

    def shutdown(self, immediate: bool = False) -> None:
        """Shut the queue down: puts raise ShutDown, gets raise it once the queue is empty.

        Every blocked put() and get() (threads and tasks) is woken. With
        ``immediate``, the remaining items are dropped, each counting as a
        task_done(), which may release join().
        """
        dropped: list[Any] = []
        with self._mutex:
            self._is_shutdown = True
            woken: list[_Waiter] = []
            if immediate:
                while self._qsize_f():
                    dropped.append(self._get_f())
                    if self._unfinished_tasks > 0:
                        self._unfinished_tasks -= 1
                if self._unfinished_tasks == 0:
                    self._take_all(self._joiners, woken)
            self._take_all(self._getters, woken)
            self._take_all(self._putters, woken)
        self._wake_all(woken)
        del dropped  # the items' finalizers run here, the mutex released

    def close(self) -> None:
        """Shut the queue down immediately (janus's close(): shutdown(immediate=True))."""
        self.shutdown(immediate=True)

    async def wait_closed(self) -> None:
        """Return once the queue is closed; RuntimeError if it was not closed.

        Nothing runs in the background: there is nothing else to wait for.
        """
        if not self._is_shutdown:
            raise RuntimeError("Waiting for non-closed queue")

    async def aclose(self) -> None:
        """close(), then await wait_closed()."""
        self.close()
        await self.wait_closed()

    def __repr__(self) -> str:
        with self._mutex:
            size = self._qsize_f()
            counts = (len(self._getters), len(self._putters), len(self._joiners))
            tasks = self._unfinished_tasks
            shut = self._is_shutdown
        info = f"maxsize={self._maxsize!r} qsize={size}"
        for name, n in zip(("getters", "putters", "joiners"), counts, strict=True):
            if n:
                info += f" {name}[{n}]"
        if tasks:
            info += f" tasks={tasks}"
        if shut:
            info += " shutdown"
        return f"<{type(self).__name__} at {id(self):#x} {info}>"

    # -- waiter lists (the caller holds the mutex) ----------------------------

    def _waiter_list(self, kind: int) -> deque[_Waiter]:
        if kind == _GETTERS:
            return self._getters
        if kind == _PUTTERS:
            return self._putters
        return self._joiners

    @staticmethod
    def _take_next(waiters: deque[_Waiter]) -> _Waiter | None:
        """Take the first waiter off the list (mutex held); release a thread at once."""
        if not waiters:
            return None
        w = waiters.popleft()
        if w.lock is not None:
            w.state = _WOKEN
            w.lock.release()
            return None
        w.state = _PENDING
        return w

    @staticmethod
    def _take_all(waiters: deque[_Waiter], out: list[_Waiter]) -> None:
        """Take every waiter off the list (mutex held): threads are released,
        tasks' nodes appended to ``out``."""
        while waiters:
            w = waiters.popleft()
            if w.lock is not None:
                w.state = _WOKEN
                w.lock.release()
            else:
                w.state = _PENDING
                out.append(w)

    def _can_use(self, kind: int) -> bool:
        """Whether a waiter of the list ``kind`` woken now could proceed (mutex held)."""
        if kind == _GETTERS:
            return bool(self._qsize_f())
        return not (0 < self._maxsize <= self._qsize_f())

    def _put_item(self, item: T) -> _Waiter | None:
        """Put item into the queue, which has room (mutex held): one more
        unfinished task; the first getter is taken off its list (a task's
        node is returned, to be woken once the mutex is released)."""
        self._put_f(item)
        self._unfinished_tasks += 1
        return self._take_next(self._getters) if self._getters else None

    # -- wake-ups (mutex not held) ---------------------------------------------

    def _wake_one(self, w: _Waiter, kind: int) -> bool:
        """Wake the task of node w (taken off list ``kind``); False if it cannot
        take the wake-up (its future is done, its loop closed)."""
        loop = w.loop
        if _in_loop_task(loop):
            fut = w.fut
            if not fut.done():
                w.state = _WOKEN
                fut.set_result(None)
                return True
            # cancelled: asyncio.Queue skips it too
        else:
            try:
                loop.call_soon_threadsafe(self._deliver, w, kind)
                return True
            except RuntimeError:  # the loop is closed: its task never resumes
                pass
        w.state = _SKIPPED
        return False

    def _wake(self, w: _Waiter | None, kind: int) -> None:
        """Wake the task of node w (taken off list ``kind``), or the next one if
        it cannot take the wake-up."""
        while w is not None and not self._wake_one(w, kind):
            with self._mutex:
                w = self._take_next(self._waiter_list(kind))

    def _deliver(self, w: _Waiter, kind: int) -> None:
        """Run by the waiter's loop: complete its future, or pass the wake-up on."""
        fut = w.fut
        if not w.left and not fut.done():
            w.state = _WOKEN
            fut.set_result(None)
            return
        w.state = _SKIPPED
        if kind != _JOINERS:
            self._pass_on(kind)

    def _pass_on(self, kind: int) -> None:
        """Wake the next waiter of list ``kind`` if it could proceed."""
        with self._mutex:
            w = self._take_next(self._waiter_list(kind)) if self._can_use(kind) else None
        if w is not None:
            self._wake(w, kind)

    def _wake_all(self, woken: list[_Waiter]) -> None:
        """Wake tasks' nodes taken by _take_all (no pass-on: every waiter was woken)."""
        for w in woken:
            self._wake_one(w, _JOINERS)

    # -- waiting ----------------------------------------------------------------

    def _abandon(self, w: _Waiter, kind: int) -> None:
        """A task or thread stops waiting on w with an exception: leave the list,
        and pass on a wake-up that was received and not used (asyncio.Queue's
        rule)."""
        with self._mutex:
            state = w.state
            if state == _LINKED:
                self._waiter_list(kind).remove(w)
            elif state == _PENDING:
                w.left = True  # _deliver passes the wake-up on
        if state == _WOKEN and kind != _JOINERS and (w.fut is None or not w.fut.cancelled()):
            self._pass_on(kind)

    def _thread_waiter(self, kind: int, what: str, instead: str) -> _Waiter:
        """A node for the calling thread, appended to list ``kind`` (mutex held);
        RuntimeError if a loop runs in this thread (``what`` would freeze it)."""
        if _get_running_loop() is not None:
            raise _would_block(f"{type(self).__name__}.sync_q.{what}", instead)
        lock = _allocate_lock()
        lock.acquire()
        w = _Waiter(None, None, lock)
        self._waiter_list(kind).append(w)
        return w

    def _block(self, w: _Waiter, kind: int, timeout: float | None) -> None:
        """Sleep on w's lock (the node is linked, the mutex not held) until woken,
        or ``timeout`` seconds; leave the list. On an exception (a signal
        handler's), pass on a wake-up that was received."""
        lock = w.lock
        try:
            if timeout is None:
                lock.acquire()
            else:
                lock.acquire(True, timeout)
        except BaseException:
            self._abandon(w, kind)
            raise
        with self._mutex:
            if w.state == _LINKED:
                self._waiter_list(kind).remove(w)

    def _must_wait(self, kind: int) -> bool:
        """Whether a task about to wait in list ``kind`` still must (mutex held)."""
        if kind == _GETTERS:
            return not self._qsize_f() and not self._is_shutdown
        if kind == _PUTTERS:
            return 0 < self._maxsize <= self._qsize_f() and not self._is_shutdown
        return bool(self._unfinished_tasks)

    async def _task_wait(self, kind: int) -> None:
        """Wait in list ``kind`` as the current task until woken, unless the
        queue changed meanwhile (then return at once: the caller checks again)."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        with self._mutex:  # re-check (another thread may have changed it), then queue
            if not self._must_wait(kind):
                return
            w = _Waiter(loop, fut, None)
            self._waiter_list(kind).append(w)
        try:
            await fut
        except BaseException:
            self._abandon(w, kind)
            raise


class ThreadSafeLifoQueue(ThreadSafeQueue[T]):
    """A thread-safe LIFO queue (most recently added entries first)."""

    __module__ = "asynclocks"  # the name users import it by

    def _init(self, maxsize: int) -> None:
        self._queue = []

    def _get(self) -> T:
        return self._queue.pop()  # type: ignore[no-any-return]


class ThreadSafePriorityQueue(ThreadSafeQueue[T]):
    """A thread-safe priority queue (lowest first; entries typically (priority, data))."""

    __module__ = "asynclocks"  # the name users import it by

    def _init(self, maxsize: int) -> None:
        self._queue = []

    def _put(self, item: T) -> None:
        heappush(self._queue, item)

    def _get(self) -> T:
        return heappop(self._queue)  # type: ignore[no-any-return]


class _Face(Generic[T]):
    __slots__ = ("_parent",)

    # The exceptions the face raises (queue's or asyncio's), set by each face.
    _shutdown_exc: ClassVar[type[Exception]]
    _empty_exc: ClassVar[type[Exception]]
    _full_exc: ClassVar[type[Exception]]

    def __init__(self, parent: ThreadSafeQueue[T]) -> None:
        self._parent = parent

    @property
    def maxsize(self) -> int:
        """Number of items allowed in the queue (0 or less: no limit)."""
        return self._parent._maxsize

    @property
    def closed(self) -> bool:
        """True once the queue was shut down."""
        return self._parent._is_shutdown

    @property
    def unfinished_tasks(self) -> int:
        """Items put and not yet marked done with task_done()."""
        return self._parent._unfinished_tasks

    def qsize(self) -> int:
        """Number of items in the queue."""
        return self._parent.qsize()

    def empty(self) -> bool:
        """Return True if the queue is empty."""
        return self._parent.empty()

    def full(self) -> bool:
        """Return True if there are maxsize items in the queue (never with maxsize <= 0)."""
        return self._parent.full()

    def _put_nowait(self, item: T) -> None:
        """put_nowait() of both faces, raising the face's exceptions."""
        p = self._parent
        with p._mutex:
            if p._is_shutdown:
                raise self._shutdown_exc
            if 0 < p._maxsize <= p._qsize_f():
                raise self._full_exc
            g = p._put_item(item)
        if g is not None:
            p._wake(g, _GETTERS)

    def _get_nowait(self) -> T:
        """get_nowait() of both faces, raising the face's exceptions."""
        p = self._parent
        with p._mutex:
            if not p._qsize_f():
                if p._is_shutdown:
                    raise self._shutdown_exc
                raise self._empty_exc
            item = p._get_f()
            w = p._take_next(p._putters) if p._putters else None
        if w is not None:
            p._wake(w, _PUTTERS)
        return item

    def task_done(self) -> None:
        """Mark a formerly enqueued task as complete (ValueError if called too many times)."""
        p = self._parent
        woken: list[_Waiter] = []
        with p._mutex:
            if p._unfinished_tasks <= 0:
                raise ValueError(_TASK_DONE_MSG)
            p._unfinished_tasks -= 1
            if p._unfinished_tasks == 0:
                p._take_all(p._joiners, woken)
        if woken:
            p._wake_all(woken)

    def shutdown(self, immediate: bool = False) -> None:
        """Shut the queue down (see ThreadSafeQueue.shutdown)."""
        self._parent.shutdown(immediate)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._parent!r}>"


class SyncQueue(_Face[T]):
    """The face of a thread-safe queue with queue.Queue's API (for threads)."""

    __slots__ = ()
    _shutdown_exc: ClassVar[type[Exception]] = SyncQueueShutDown
    _empty_exc: ClassVar[type[Exception]] = SyncQueueEmpty
    _full_exc: ClassVar[type[Exception]] = SyncQueueFull

    def put(self, item: T, block: bool = True, timeout: float | None = None) -> None:
        """Put an item into the queue, as queue.Queue.put (Full, ShutDown, ValueError)."""
        p = self._parent
        endtime = None
        w = None
        while True:
            with p._mutex:
                if p._is_shutdown:
                    raise SyncQueueShutDown
                if w is None and p._maxsize > 0:
                    if not block:
                        if p._qsize_f() >= p._maxsize:
                            raise SyncQueueFull
                    elif timeout is not None:
                        endtime = _deadline(timeout)
                if not (0 < p._maxsize <= p._qsize_f()):
                    g = p._put_item(item)
                    break
                remaining = _remaining(endtime, SyncQueueFull)
                w = p._thread_waiter(_PUTTERS, "put()", "await q.async_q.put(item)")
            p._block(w, _PUTTERS, remaining)
        if g is not None:
            p._wake(g, _GETTERS)

    def get(self, block: bool = True, timeout: float | None = None) -> T:
        """Remove and return an item, as queue.Queue.get (Empty, ShutDown, ValueError)."""
        p = self._parent
        endtime = None
        w = None
        while True:
            with p._mutex:
                size = p._qsize_f()
                if p._is_shutdown and not size:
                    raise SyncQueueShutDown
                if w is None:
                    if not block:
                        if not size:
                            raise SyncQueueEmpty
                    elif timeout is not None:
                        endtime = _deadline(timeout)
                if size:
                    item = p._get_f()
                    pw = p._take_next(p._putters) if p._putters else None
                    break
                remaining = _remaining(endtime, SyncQueueEmpty)
                w = p._thread_waiter(_GETTERS, "get()", "await q.async_q.get()")
            p._block(w, _GETTERS, remaining)
        if pw is not None:
            p._wake(pw, _PUTTERS)
        return item

    def put_nowait(self, item: T) -> None:
        """put(item, block=False)."""
        self._put_nowait(item)

    def get_nowait(self) -> T:
        """get(block=False)."""
        return self._get_nowait()

    def join(self) -> None:
        """Block until every item put was marked done with task_done()."""
        p = self._parent
        while True:
            with p._mutex:
                if not p._unfinished_tasks:
                    return
                w = p._thread_waiter(_JOINERS, "join()", "await q.async_q.join()")
            p._block(w, _JOINERS, None)


class AsyncQueue(_Face[T]):
    """The face of a thread-safe queue with asyncio.Queue's API (for tasks of any loop)."""

    __slots__ = ()
    _shutdown_exc: ClassVar[type[Exception]] = AsyncQueueShutDown
    _empty_exc: ClassVar[type[Exception]] = AsyncQueueEmpty
    _full_exc: ClassVar[type[Exception]] = AsyncQueueFull

    def put_nowait(self, item: T) -> None:
        """Put an item without blocking, as asyncio.Queue.put_nowait (QueueFull, QueueShutDown)."""
        self._put_nowait(item)

    def get_nowait(self) -> T:
        """Remove and return an item if one is available, as asyncio.Queue.get_nowait."""
        return self._get_nowait()

    async def put(self, item: T) -> None:
        """Put an item into the queue, waiting while it is full (a coroutine)."""
        p = self._parent
        mutex = p._mutex
        while True:
            with mutex:
                if not (0 < p._maxsize <= p._qsize_f()):
                    if p._is_shutdown:
                        raise AsyncQueueShutDown
                    g = p._put_item(item)
                    break
                if p._is_shutdown:
                    raise AsyncQueueShutDown
            await p._task_wait(_PUTTERS)
        if g is not None:
            p._wake(g, _GETTERS)

    async def get(self) -> T:
        """Remove and return an item, waiting while the queue is empty (a coroutine)."""
        p = self._parent
        mutex = p._mutex
        while True:
            with mutex:
                if p._qsize_f():
                    item = p._get_f()
                    pw = p._take_next(p._putters) if p._putters else None
                    break
                if p._is_shutdown:
                    raise AsyncQueueShutDown
            await p._task_wait(_GETTERS)
        if pw is not None:
            p._wake(pw, _PUTTERS)
        return item

    async def join(self) -> None:
        """Wait until every item put was marked done with task_done() (a coroutine)."""
        p = self._parent
        with p._mutex:
            if not p._unfinished_tasks:
                return
        await p._task_wait(_JOINERS)
