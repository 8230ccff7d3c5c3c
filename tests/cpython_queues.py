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

import argparse
import asyncio
import asyncio.locks
import asyncio.queues
import inspect
import json
import re
import sys
import unittest

NAMES = ["Queue", "LifoQueue", "PriorityQueue"]
LOCKS = ["Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"]
if sys.version_info >= (3, 11):
    LOCKS.append("Barrier")

# A private attribute of a primitive, read or written by a test.
PRIVATE = re.compile(r"\.(_[a-z][a-z_]*)\b")
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
    tests: list[unittest.TestCase] = []

    def flatten(s: unittest.TestSuite) -> None:
        for t in s:
            if isinstance(t, unittest.TestSuite):
                flatten(t)
            else:
                tests.append(t)

    flatten(suite)
    return tests


def is_private(test: unittest.TestCase) -> bool:
    meth = getattr(test, test._testMethodName)
    try:
        src = inspect.getsource(meth)
    except (OSError, TypeError):
        return False
    return any(m not in NOT_STATE for m in PRIVATE.findall(src))


def install(mod: object) -> None:
    for name in NAMES:
        cls = getattr(mod, name)
        setattr(asyncio, name, cls)
        setattr(asyncio.queues, name, cls)
    for name in LOCKS:
        cls = getattr(mod, name)
        setattr(asyncio, name, cls)
        setattr(asyncio.locks, name, cls)


class Result(unittest.TestResult):
    def __init__(self) -> None:
        super().__init__()
        self.outcome: dict[str, str] = {}

    def addSuccess(self, test: unittest.TestCase) -> None:
        self.outcome[test.id()] = "ok"

    def addFailure(self, test: unittest.TestCase, err: object) -> None:
        super().addFailure(test, err)  # type: ignore[arg-type]
        self.outcome[test.id()] = "FAIL"

    def addError(self, test: unittest.TestCase, err: object) -> None:
        super().addError(test, err)  # type: ignore[arg-type]
        self.outcome[test.id()] = "ERROR"

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        self.outcome[test.id()] = "skip"

    def addExpectedFailure(self, test: unittest.TestCase, err: object) -> None:
        self.outcome[test.id()] = "ok"

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        self.outcome[test.id()] = "FAIL"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stdlib", action="store_true", help="run on asyncio's own classes")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--strict", action="store_true", help="fail on private tests too")
    args = ap.parse_args()

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
    private = {t.id() for t in tests if is_private(t)}
    result = Result()
    for t in tests:
        t.run(result)
    counts: dict[str, dict[str, int]] = {}
    for group in ("public", "private"):
        ids = [t.id() for t in tests if (t.id() in private) == (group == "private")]
        c = {"total": len(ids), "ok": 0, "skip": 0, "failed": 0}
        for i in ids:
            o = result.outcome.get(i, "ERROR")
            c["ok" if o == "ok" else "skip" if o == "skip" else "failed"] += 1
        counts[group] = c
    if args.verbose:
        for t in tests:
            grp = "private" if t.id() in private else "public"
            print(f"{result.outcome.get(t.id(), 'ERROR'):5} {grp:7} {t.id()}")
        for t, tb in result.failures + result.errors:
            print("=" * 70, t.id(), tb, sep="\n")
    impl = "stdlib" if args.stdlib else "asynclocks"
    ver = ".".join(map(str, sys.version_info[:3]))
    if args.json:
        print(json.dumps({"python": ver, "impl": impl, **counts}))
    else:
        for group, c in counts.items():
            print(
                f"{ver} {impl} {group}: {c['ok']}/{c['total']} passed, "
                f"{c['skip']} skipped, {c['failed']} failed"
            )
    bad = counts["public"]["failed"] + (counts["private"]["failed"] if args.strict else 0)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
