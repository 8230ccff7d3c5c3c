"""Run CPython's own queue tests against asynclocks' queues.

Puts asynclocks' ``Queue``, ``LifoQueue`` and ``PriorityQueue`` in place of
asyncio's in ``asyncio`` and ``asyncio.queues`` (and, as ``install()`` does,
asynclocks' Event and the other primitives in ``asyncio`` and
``asyncio.locks``), then imports the running interpreter's
``test.test_asyncio.test_queues`` (the ``test`` package must be installed;
its join and shutdown test classes name the class under test in a
``q_class`` attribute, which is pointed at ours too) and runs it with
unittest.

A test counts as *private* when its source reads or writes a private
attribute of a queue (``q._queue``, ``q._getters`` ...); the others are
*public*. Prints one summary line per group, ``--verbose`` lists every test,
``--json`` prints the counts as JSON. Exit status 1 if a public test fails
(``--strict``: if any test fails).

    python tests/cpython_queues.py [--stdlib] [--verbose] [--json] [--strict]

``--stdlib`` runs the same tests on asyncio's own classes (the control).
"""

from __future__ import annotations

import asyncio
import asyncio.locks
import asyncio.queues
import sys
import unittest

from cpythonlib import flatten, parse_args, run_and_report

NAMES = ["Queue", "LifoQueue", "PriorityQueue"]
LOCKS = ["Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"]
if sys.version_info >= (3, 11):
    LOCKS.append("Barrier")

# Private names that are not the primitives' state (helpers of the tests).
NOT_STATE = {
    "_run_test",
    "_callbacks",
    "_asyncio_future_blocking",
    "_get_running_loop",
    "_test_repr_or_str",
    "_set_event_loop_policy",
}


def load_tests(mod: object | None) -> list[unittest.TestCase]:
    from test.test_asyncio import test_queues

    if mod is not None:
        for obj in vars(test_queues).values():
            q_class = vars(obj).get("q_class") if isinstance(obj, type) else None
            if q_class is not None and q_class.__name__ in NAMES:
                obj.q_class = getattr(mod, q_class.__name__)  # type: ignore[attr-defined]
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    suite.addTests(loader.loadTestsFromModule(test_queues))
    return flatten(suite)


def install(mod: object) -> None:
    for name in NAMES:
        cls = getattr(mod, name)
        setattr(asyncio, name, cls)
        setattr(asyncio.queues, name, cls)
    for name in LOCKS:
        cls = getattr(mod, name)
        setattr(asyncio, name, cls)
        setattr(asyncio.locks, name, cls)


def main() -> int:
    args = parse_args()

    asynclocks = None
    if not args.stdlib:
        import asynclocks

        if asynclocks.IMPLEMENTATION != "c":
            print(f"asynclocks C extension not active: {asynclocks.IMPORT_ERROR}")
            return 2
        if getattr(asynclocks, "Queue", None) is None:
            print("asynclocks has no Queue/LifoQueue/PriorityQueue")
            return 2
        install(asynclocks)
    tests = load_tests(asynclocks)
    return run_and_report(tests, NOT_STATE, args)


if __name__ == "__main__":
    sys.exit(main())
