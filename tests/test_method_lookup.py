"""Instance dicts and method lookups as the interpreter sees them.

Instance attributes stay per instance (on 3.11 every new primitive starts
with one shared empty ``__dict__``, copied on first write), what the class's
``__dict__`` holds for a method (``inspect.getattr_static``) is callable and
has the stdlib's signature, and on 3.11 the method loads and calls of the
uncontended paths are the interpreter's specialized forms."""

from __future__ import annotations

import asyncio
import copy
import dis
import inspect
import sys

import asynclocks
import pytest
from paritylib import HAS_BARRIER, STDLIB

C_ONLY = pytest.mark.skipif(asynclocks.IMPLEMENTATION != "c", reason="C extension not active")
NAMES = (
    ["Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"]
    + (["Barrier"] if HAS_BARRIER else [])
    + ["Queue", "LifoQueue", "PriorityQueue"]
)


def make(ns, name):
    cls = getattr(ns, name, None)
    if cls is None:
        pytest.skip(f"{ns.name} has no {name}")
    return cls(2) if name == "Barrier" else cls()


@pytest.mark.parametrize("name", NAMES)
def test_instance_dicts_are_per_instance(impl, name):
    a, b, c = make(impl, name), make(impl, name), make(impl, name)
    assert a.__dict__ is a.__dict__
    assert vars(a) is not vars(b)
    a.x = 1
    assert "x" in vars(a) and "x" not in vars(b) and not hasattr(b, "x")
    vars(b)["y"] = 2
    assert b.y == 2 and not hasattr(a, "y") and not hasattr(c, "y")
    c.__dict__ = {"z": 3}
    assert c.z == 3 and not hasattr(make(impl, name), "z")
    del a.x
    assert not hasattr(a, "x")
    with pytest.raises(AttributeError):
        del make(impl, name).x
    fresh = make(impl, name)
    assert "x" not in vars(copy.copy(fresh))
    b2 = copy.copy(b)
    assert b2.y == 2 and vars(b2) is not vars(b)
    assert not hasattr(make(impl, name), "y")


def _hot_class_loads(lock_cls, event_cls):
    """The same attribute loads from the classes, 200 times (the interpreter
    specializes such loads after a few runs, and may then skip __get__)."""
    seen = set()
    for _ in range(200):
        seen.add(
            (
                lock_cls.acquire,
                inspect.iscoroutinefunction(lock_cls.acquire),
                lock_cls.release,
                inspect.iscoroutinefunction(lock_cls.release),
                event_cls.wait,
                inspect.iscoroutinefunction(event_cls.wait),
            )
        )
    return seen


def test_class_attributes_stay_the_same_in_hot_code(impl):
    """`Lock.acquire` read from the class again and again is one object, the
    one a single read gives, with the stdlib's iscoroutinefunction answers."""
    seen = _hot_class_loads(impl.Lock, impl.Event)
    assert len(seen) == 1
    (values,) = seen
    assert values[0::2] == (impl.Lock.acquire, impl.Lock.release, impl.Event.wait)
    expected = _hot_class_loads(STDLIB.Lock, STDLIB.Event)
    assert [v for v in values[1::2]] == [v for v in next(iter(expected))[1::2]]


def test_class_dict_entries_are_callable(impl):
    async def main():
        lock = impl.Lock()
        acquire = inspect.getattr_static(lock, "acquire")
        release = inspect.getattr_static(lock, "release")
        assert inspect.signature(acquire) == inspect.signature(
            inspect.getattr_static(STDLIB.Lock, "acquire")
        )
        assert await acquire(lock) is True
        assert lock.locked()
        assert release(lock) is None
        assert not lock.locked()

        class Sub(impl.Lock):
            pass

        sub = Sub()
        assert await acquire(sub) is True
        assert sub.locked()
        release(sub)
        assert await type(lock).acquire(sub) is True
        type(lock).release(sub)

    asyncio.run(main())


@C_ONLY
@pytest.mark.parametrize("name", NAMES)
def test_method_objects_cannot_be_made_or_subclassed(name):
    cls = getattr(asynclocks, name)
    for meth in ("acquire", "release", "wait", "set", "locked", "__aenter__"):
        entry = inspect.getattr_static(cls, meth, None)
        if entry is None or inspect.getattr_static(STDLIB, name, None) is None:
            continue
        with pytest.raises(TypeError):
            type(entry)("x", (object,), {})
        with pytest.raises(TypeError):
            type("X", (entry,), {})


def _calls(lock, event, sem, queue):
    lock.locked()
    event.is_set()
    sem.locked()
    queue.put_nowait(1)
    queue.get_nowait()


@C_ONLY
@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="3.11's specializer")
def test_method_calls_specialize_on_311():
    """3.11 loads the methods as methods of an instance with a dict
    (LOAD_METHOD_WITH_DICT) and calls them inline (PRECALL_BUILTIN_CLASS),
    also for instances made after another one got attributes."""
    lock, event, sem = asynclocks.Lock(), asynclocks.Event(), asynclocks.Semaphore()
    queue = asynclocks.Queue()
    other, other_queue = asynclocks.Lock(), asynclocks.Queue()
    other.attribute = other_queue.attribute = 1
    for _ in range(200):
        _calls(lock, event, sem, queue)
    ops = [i.opname for i in dis.get_instructions(_calls, adaptive=True)]
    assert ops.count("LOAD_METHOD_WITH_DICT") == 5, ops
    assert ops.count("PRECALL_BUILTIN_CLASS") == 5, ops
