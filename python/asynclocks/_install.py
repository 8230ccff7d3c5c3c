"""Put asynclocks' classes in place of asyncio's, and take them out again.

:func:`install` replaces ``Lock``, ``Event``, ``Condition``, ``Semaphore``,
``BoundedSemaphore`` and (3.11+) ``Barrier`` in both :mod:`asyncio` and
:mod:`asyncio.locks`. Code that looks the class up when it creates an object
(``asyncio.Lock()``, ``asyncio.locks.Lock()``, and the stdlib's own
``asyncio.locks.Condition()`` or ``asyncio.Queue``, whose default lock and
event come from the ``asyncio.locks`` module's globals) gets asynclocks'
objects from then on. :func:`uninstall` puts asyncio's classes back.

Both are idempotent and thread-safe, and do nothing when the C extension is
not in use (``IMPLEMENTATION == "stdlib"``): asyncio's classes are then left
where they are. :func:`originals` gives asyncio's own classes whether or not
asynclocks' are in place (``python -m asynclocks`` measures against them).
"""

from __future__ import annotations

import asyncio
import asyncio.locks
import sys
import threading
from types import ModuleType

NAMES: tuple[str, ...] = ("Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore")
if sys.version_info >= (3, 11):
    NAMES += ("Barrier",)

# The modules whose attributes are replaced: asyncio re-exports asyncio.locks'
# classes, and asyncio.locks' own globals are what the stdlib's Condition
# (default lock) and asyncio.queues (``locks.Event()``) look up.
_MODULES: tuple[ModuleType, ...] = (asyncio, asyncio.locks)

_lock = threading.Lock()
# (module, name) -> asyncio's class, recorded at the first install.
_saved: dict[tuple[str, str], type] = {}


def _ours() -> dict[str, object]:
    import asynclocks

    if asynclocks.IMPLEMENTATION != "c":
        return {}
    return {name: getattr(asynclocks, name) for name in NAMES}


def install() -> None:
    """Replace asyncio's six classes by asynclocks' in ``asyncio`` and ``asyncio.locks``.

    Calling it again while installed does nothing. A no-op when the C extension
    is not in use.
    """
    ours = _ours()
    if not ours:
        return
    with _lock:
        for module in _MODULES:
            for name, cls in ours.items():
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
        for module in _MODULES:
            for name in NAMES:
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
        return {name: _saved.get(("asyncio", name), getattr(asyncio, name)) for name in NAMES}


def is_installed() -> bool:
    """True when every class :func:`install` replaces is asynclocks' in both modules."""
    ours = _ours()
    if not ours:
        return False
    return all(getattr(module, name) is ours[name] for module in _MODULES for name in NAMES)
