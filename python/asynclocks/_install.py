"""Put asynclocks' classes in place of asyncio's, and take them out again.

:func:`install` replaces ``Lock``, ``Event``, ``Condition``, ``Semaphore``,
``BoundedSemaphore`` and (3.11+) ``Barrier`` in both :mod:`asyncio` and
:mod:`asyncio.locks`, and ``Queue``, ``LifoQueue`` and ``PriorityQueue`` in
both :mod:`asyncio` and :mod:`asyncio.queues`. Code that looks the class up
when it creates an object (``asyncio.Lock()``, ``asyncio.locks.Lock()``,
``asyncio.Queue()``, ``asyncio.queues.Queue()``, and the stdlib's own
``asyncio.locks.Condition()``, whose default lock comes from the
``asyncio.locks`` module's globals) gets asynclocks' objects from then on.
Classes that already exist keep their bases: a class defined as
``class MyQueue(asyncio.Queue)`` before :func:`install` stays a subclass of
asyncio's Queue. :func:`uninstall` puts asyncio's classes back.

Both are idempotent and thread-safe, and do nothing when the C extension is
not in use (``IMPLEMENTATION == "stdlib"``): asyncio's classes are then left
where they are. :func:`originals` gives asyncio's own classes whether or not
asynclocks' are in place (``python -m asynclocks`` measures against them).
"""

from __future__ import annotations

import asyncio
import asyncio.locks
import asyncio.queues
import sys
import threading
from types import ModuleType

NAMES: tuple[str, ...] = ("Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore")
if sys.version_info >= (3, 11):
    NAMES += ("Barrier",)
QUEUE_NAMES: tuple[str, ...] = ("Queue", "LifoQueue", "PriorityQueue")

# The modules whose attributes are replaced, and which names in each: asyncio
# re-exports asyncio.locks' and asyncio.queues' classes, and asyncio.locks'
# own globals are what the stdlib's Condition (default lock) and
# asyncio.queues (``locks.Event()``) look up.
_TARGETS: tuple[tuple[ModuleType, tuple[str, ...]], ...] = (
    (asyncio, NAMES + QUEUE_NAMES),
    (asyncio.locks, NAMES),
    (asyncio.queues, QUEUE_NAMES),
)

_lock = threading.Lock()
# (module, name) -> asyncio's class, recorded at the first install.
_saved: dict[tuple[str, str], type] = {}


def _ours() -> dict[str, object]:
    import asynclocks

    if asynclocks.IMPLEMENTATION != "c":
        return {}
    return {name: getattr(asynclocks, name) for name in NAMES + QUEUE_NAMES}


def install() -> None:
    """Replace asyncio's classes by asynclocks' (see the module docstring).

    Calling it again while installed does nothing. A no-op when the C extension
    is not in use.
    """
    ours = _ours()
    if not ours:
        return
    with _lock:
        for module, names in _TARGETS:
            for name in names:
                cls = ours[name]
                current = getattr(module, name)
                if current is cls:
                    continue
                _saved.setdefault((module.__name__, name), current)
                setattr(module, name, cls)


def uninstall() -> None:
    """Put back the classes :func:`install` replaced.

    Calling it when not installed does nothing. An attribute that something
    else replaced after :func:`install` is left as it is.
    """
    ours = _ours()
    with _lock:
        for module, names in _TARGETS:
            for name in names:
                key = (module.__name__, name)
                if key not in _saved:
                    continue
                if getattr(module, name) is ours.get(name):
                    setattr(module, name, _saved[key])
                del _saved[key]


def originals() -> dict[str, type]:
    """asyncio's own classes, by name, for the names :func:`install` replaces.

    The class :func:`install` took out of :mod:`asyncio` while it is in place,
    otherwise the one :mod:`asyncio` holds now.
    """
    with _lock:
        return {
            name: _saved.get(("asyncio", name), getattr(asyncio, name))
            for name in NAMES + QUEUE_NAMES
        }


def is_installed() -> bool:
    """True when every class :func:`install` replaces is asynclocks' in every module."""
    ours = _ours()
    if not ours:
        return False
    return all(getattr(module, name) is ours[name] for module, names in _TARGETS for name in names)
