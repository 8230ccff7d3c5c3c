"""Module-level hardening: subinterpreters, re-import, a differential fuzzer,
and (opt-in) valgrind memcheck.

* Subinterpreters (3.12+: ``_xxsubinterpreters``; 3.13: ``_interpreters``):
  import ``asynclocks._core`` in a fresh interpreter with its own GIL and use a
  Lock (contended) inside ``asyncio.run`` there; run in a subprocess.
* Re-import after removal from ``sys.modules``: a new module object with new
  types; the old classes (and objects made from them) keep working.
* Fuzz (``tests/hardening/fuzz_run.py``): hypothesis drives random sequences of
  calls, bad calls, hand-driven send/throw/close and cancellations on one
  primitive of each kind, for the stdlib and asynclocks, and compares the
  traces; in a subprocess so that a crash fails the test instead of killing
  pytest. Bounded by ``ASYNCLOCKS_FUZZ_SECONDS`` (default 20) and
  ``ASYNCLOCKS_FUZZ_EXAMPLES`` (default 400).
* Valgrind: ``ASYNCLOCKS_VALGRIND=1`` runs ``tests/hardening/memcheck.py``
  under memcheck (the command is in the docstring of test_hardening_leaks.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import asynclocks
import pytest

# These scenarios exercise the C extension (their subprocesses check that it
# is the one imported); with ASYNCLOCKS_NO_EXTENSIONS=1 there is none.
pytestmark = pytest.mark.skipif(
    asynclocks.IMPLEMENTATION != "c", reason="hardening scenarios need the C extension"
)

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ_SECONDS = float(os.environ.get("ASYNCLOCKS_FUZZ_SECONDS", "20"))
FUZZ_EXAMPLES = int(os.environ.get("ASYNCLOCKS_FUZZ_EXAMPLES", "400"))
CRASH_MARKERS = ("Fatal Python error", "AddressSanitizer", "runtime error:", "Segmentation")


def run_py(code, timeout=120, env=None, args=()):
    proc = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    detail = (
        f"exit {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-6000:]}"
    )
    assert proc.returncode == 0, detail
    for marker in CRASH_MARKERS:
        assert marker not in proc.stderr, detail
    return proc.stdout


SUBINTERP_CODE = """
import sys
try:
    import _interpreters as interp
except ImportError:
    import _xxsubinterpreters as interp

body = '''
import asyncio
import asynclocks._core as core

async def main():
    lock = core.Lock()
    order = []

    async def w(i):
        async with lock:
            order.append(i)
            await asyncio.sleep(0)

    await asyncio.gather(*[w(i) for i in range(5)])
    ev = core.Event()
    t = asyncio.ensure_future(ev.wait())
    await asyncio.sleep(0)
    ev.set()
    assert await t is True
    sem = core.BoundedSemaphore(2)
    async with sem:
        async with sem:
            assert sem.locked()
    assert order == [0, 1, 2, 3, 4], order

asyncio.run(main())
'''
config = sys.argv[1]
if sys.argv[2] == "control":
    body = "import asyncio; asyncio.run(asyncio.Lock().acquire())"
if True:
    if hasattr(interp, "new_config"):
        iid = interp.create(interp.new_config(config))
    elif config == "isolated":
        iid = interp.create(isolated=True)
    else:
        iid = interp.create(isolated=False)
    for _ in range(2):
        r = interp.run_string(iid, body)
        if r is not None:  # 3.13 returns an error snapshot instead of raising
            raise SystemExit(f"subinterpreter failed: {r}")
    interp.destroy(iid)
import asynclocks._core as core  # main interpreter still fine
import asyncio
asyncio.run(core.Lock().acquire())
print("ok")
"""


@pytest.mark.skipif(sys.version_info < (3, 12), reason="per-interpreter GIL needs 3.12+")
@pytest.mark.parametrize("config", ["isolated", "legacy"])
def test_subinterpreters(config):
    try:
        import _interpreters  # noqa: F401
    except ImportError:
        try:
            import _xxsubinterpreters  # noqa: F401
        except ImportError:
            pytest.skip("no low-level subinterpreter module")
    control = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SUBINTERP_CODE), config, "control"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if control.returncode != 0:
        # CPython 3.12.1 aborts at exit ("free(): invalid pointer") after
        # importing plain asyncio in an isolated subinterpreter: not ours.
        pytest.skip(f"the stdlib alone fails in a {config} subinterpreter here: {control.stderr}")
    assert run_py(SUBINTERP_CODE, args=(config, "asynclocks")).strip().endswith("ok")


REIMPORT_CODE = """
import asyncio, gc, importlib, sys
import asynclocks
old_mod = sys.modules["asynclocks._core"]
OldLock, OldCond, OldEvent = asynclocks.Lock, asynclocks.Condition, asynclocks.Event
live = OldLock()
for name in [m for m in sys.modules if m.startswith("asynclocks")]:
    del sys.modules[name]
gc.collect()
import asynclocks as again
new_mod = sys.modules["asynclocks._core"]
assert new_mod is not old_mod
assert again.Lock is not OldLock
del old_mod
gc.collect()

async def use(lock_cls, cond_cls, ev_cls, lock, other_lock_cls):
    async with lock:
        t = asyncio.ensure_future(lock.acquire())
        await asyncio.sleep(0)
    assert await t is True
    lock.release()
    cond = cond_cls(lock_cls())
    async with cond:
        cond.notify_all()
        assert await cond.wait_for(lambda: 3) == 3
    ev = ev_cls()
    w = asyncio.ensure_future(ev.wait())
    await asyncio.sleep(0)
    ev.set()
    assert await w is True
    # mixing: a Condition of one module over a Lock of the other
    mixed = cond_cls(other_lock_cls())
    async with mixed:
        mixed.notify()

asyncio.run(use(OldLock, OldCond, OldEvent, live, again.Lock))
asyncio.run(use(again.Lock, again.Condition, again.Event, again.Lock(), OldLock))
del OldLock, OldCond, OldEvent, live
gc.collect()
asyncio.run(use(again.Lock, again.Condition, again.Event, again.Lock(), asyncio.Lock))
print("ok")
"""


def test_reimport():
    assert run_py(REIMPORT_CODE).strip().endswith("ok")


def test_fuzz_differential():
    proc = subprocess.run(
        [
            sys.executable,
            "-X",
            "faulthandler",
            os.path.join(HERE, "hardening", "fuzz_run.py"),
            str(FUZZ_SECONDS),
            str(FUZZ_EXAMPLES),
        ],
        capture_output=True,
        text=True,
        timeout=FUZZ_SECONDS * 3 + 120,
    )
    detail = (
        f"exit {proc.returncode}\nstdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-8000:]}"
    )
    assert proc.returncode == 0, detail
    for marker in CRASH_MARKERS:
        assert marker not in proc.stderr, detail
    assert "fuzz:" in proc.stdout, detail
    count = int(proc.stdout.split("fuzz:")[1].split()[0])
    assert count > 0, detail


@pytest.mark.skipif(
    not os.environ.get("ASYNCLOCKS_VALGRIND"), reason="set ASYNCLOCKS_VALGRIND=1 (slow)"
)
def test_valgrind_memcheck():
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        pytest.skip("valgrind not installed")
    env = dict(os.environ, PYTHONMALLOC="malloc")
    proc = subprocess.run(
        [
            valgrind,
            "-q",
            "--error-exitcode=1",
            "--errors-for-leak-kinds=none",
            "--suppressions=" + os.path.join(HERE, "hardening", "python.supp"),
            sys.executable,
            os.path.join(HERE, "hardening", "memcheck.py"),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-8000:]
    assert "memcheck workload done" in proc.stdout
    assert "Invalid read" not in proc.stderr and "Invalid write" not in proc.stderr
