"""Run CPython's own lock tests against asynclocks' classes.

Imports the running interpreter's ``test.test_asyncio.test_locks`` and the
lock tests of ``test.test_asyncio.test_pep492`` (the ``test`` package must be
installed), puts asynclocks' classes in place of asyncio's six classes in
``asyncio`` and ``asyncio.locks`` (so the stdlib's ``Condition()`` default
lock is ours too), and runs them with unittest.

A test counts as *private* when its source reads or writes a private
attribute of a primitive (``lock._waiters``, ``sem._value`` ...); the others
are *public*. Prints one summary line per group, ``--verbose`` lists every
test, ``--json`` prints the counts as JSON. Exit status 1 if a public test
fails (``--strict``: if any test fails).

    python tests/cpython_locks.py [--stdlib] [--verbose] [--json] [--strict]

``--stdlib`` runs the same tests on asyncio's own classes (the control).
"""

from __future__ import annotations

import asyncio
import asyncio.locks
import sys
import unittest

from cpythonlib import flatten, parse_args, run_and_report

NAMES = ["Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"]
if sys.version_info >= (3, 11):
    NAMES.append("Barrier")

# Private names that are not the primitives' state (helpers of the tests).
NOT_STATE = {"_run_test", "_callbacks", "_asyncio_future_blocking", "_get_running_loop"}


def load_tests() -> list[unittest.TestCase]:
    from test.test_asyncio import test_locks, test_pep492

    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    suite.addTests(loader.loadTestsFromModule(test_locks))
    suite.addTests(loader.loadTestsFromTestCase(test_pep492.LockTests))
    return flatten(suite)


def install(mod: object) -> None:
    for name in NAMES:
        cls = getattr(mod, name)
        setattr(asyncio, name, cls)
        setattr(asyncio.locks, name, cls)


def main() -> int:
    args = parse_args()

    import asynclocks

    if not args.stdlib:
        if asynclocks.IMPLEMENTATION != "c":
            print(f"asynclocks C extension not active: {asynclocks.IMPORT_ERROR}")
            return 2
        install(asynclocks)
    tests = load_tests()
    return run_and_report(tests, NOT_STATE, args)


if __name__ == "__main__":
    sys.exit(main())
