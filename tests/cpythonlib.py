"""What tests/cpython_locks.py and tests/cpython_queues.py share: running a
CPython test module's cases with unittest, splitting them into *public* and
*private* tests (a private test reads or writes a private attribute of the
object under test), and reporting the counts.

Both scripts run as programs (``python tests/cpython_locks.py``), so this
module is imported from the scripts' own directory.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
import unittest
from collections.abc import Iterable

# A private attribute, read or written by a test.
PRIVATE = re.compile(r"\.(_[a-z][a-z_]*)\b")


def parse_args() -> argparse.Namespace:
    """The options both scripts take."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--stdlib", action="store_true", help="run on asyncio's own classes")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--strict", action="store_true", help="fail on private tests too")
    return ap.parse_args()


def flatten(suite: unittest.TestSuite) -> list[unittest.TestCase]:
    """The test cases of a suite, nested suites opened, in order."""
    tests: list[unittest.TestCase] = []

    def walk(s: Iterable[unittest.TestCase | unittest.TestSuite]) -> None:
        for t in s:
            if isinstance(t, unittest.TestSuite):
                walk(t)
            else:
                tests.append(t)

    walk(suite)
    return tests


def is_private(test: unittest.TestCase, not_state: set[str]) -> bool:
    """True if the test's source names a private attribute outside not_state
    (the tests' own helpers)."""
    meth = getattr(test, test._testMethodName)
    try:
        src = inspect.getsource(meth)
    except (OSError, TypeError):
        return False
    return any(m not in not_state for m in PRIVATE.findall(src))


class Result(unittest.TestResult):
    """Records one outcome per test id: ok, skip, FAIL or ERROR."""

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


def run_and_report(
    tests: list[unittest.TestCase], not_state: set[str], args: argparse.Namespace
) -> int:
    """Run the tests, print the counts per group (or JSON, or every test with
    --verbose); exit status 1 if a public test failed (--strict: any)."""
    private = {t.id() for t in tests if is_private(t, not_state)}
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
