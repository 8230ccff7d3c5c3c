"""asynclocks.install()/uninstall(), the ASYNCLOCKS_INSTALL start-up hook and
the pytest plugin (``pytest --asynclocks``), against the installed package.

Start-up behaviour is tested in subprocesses, each with a clean environment
for the variables involved.
"""

from __future__ import annotations

import asyncio
import asyncio.locks
import importlib.metadata
import os
import pathlib
import re
import subprocess
import sys
import textwrap
import threading

import asynclocks
import pytest

NAMES = ["Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"] + (
    ["Barrier"] if sys.version_info >= (3, 11) else []
)
FALLBACK_ASKED = os.environ.get("ASYNCLOCKS_NO_EXTENSIONS", "") not in ("", "0")
FALLBACK_ENV = os.environ.get("ASYNCLOCKS_NO_EXTENSIONS")
needs_c = pytest.mark.skipif(FALLBACK_ASKED, reason="fallback requested")
MODULES = (asyncio, asyncio.locks)


@pytest.fixture
def originals():
    """asyncio's classes (the run's starting state is restored afterwards)."""
    was_installed = asynclocks.is_installed()
    asynclocks.uninstall()
    saved = {(m.__name__, n): getattr(m, n) for m in MODULES for n in NAMES}
    for cls in saved.values():
        assert cls.__module__ == "asyncio.locks", cls
    try:
        yield saved
    finally:
        asynclocks.uninstall()
        if was_installed:
            asynclocks.install()


def _env(**changes: str | None) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("ASYNCLOCKS_INSTALL", "ASYNCLOCKS_NO_EXTENSIONS", "PYTHONPATH"):
        env.pop(key, None)
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _run(args: list[str], cwd: str = "/", **env: str | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=_env(**env), capture_output=True, text=True, cwd=cwd)


@needs_c
def test_install_replaces_in_asyncio_and_asyncio_locks(originals):
    asynclocks.install()
    assert asynclocks.is_installed()
    for module in MODULES:
        for name in NAMES:
            assert getattr(module, name) is getattr(asynclocks, name), (module, name)
    assert type(asyncio.Lock()) is asynclocks.Lock
    # asyncio.queues creates its Event through asyncio.locks.
    assert type(asyncio.Queue()._finished) is asynclocks.Event


@needs_c
def test_install_and_uninstall_are_idempotent(originals):
    for _ in range(2):
        asynclocks.uninstall()
        assert not asynclocks.is_installed()
    asynclocks.install()
    asynclocks.install()
    assert asynclocks.is_installed()
    asynclocks.uninstall()
    assert not asynclocks.is_installed()
    asynclocks.uninstall()
    for (modname, name), cls in originals.items():
        assert getattr(sys.modules[modname], name) is cls, (modname, name)
    # And again, after a full cycle.
    asynclocks.install()
    assert asynclocks.is_installed()
    asynclocks.uninstall()
    for (modname, name), cls in originals.items():
        assert getattr(sys.modules[modname], name) is cls, (modname, name)


@needs_c
def test_condition_default_lock_is_asynclocks_after_install(originals):
    stdlib_condition = originals[("asyncio.locks", "Condition")]
    stdlib_lock = originals[("asyncio.locks", "Lock")]
    assert type(stdlib_condition()._lock) is stdlib_lock
    asynclocks.install()
    # asyncio.Condition is ours now, and so is the lock it makes.
    cond = asyncio.Condition()
    assert type(cond) is asynclocks.Condition
    assert type(cond._lock) is asynclocks.Lock
    # The stdlib's own Condition class takes its default lock from
    # asyncio.locks' globals: ours too.
    assert type(stdlib_condition()._lock) is asynclocks.Lock

    async def main():
        async with cond:
            cond.notify_all()
        legacy = stdlib_condition()
        async with legacy:
            legacy.notify_all()
        return cond.locked(), legacy.locked()

    assert asyncio.run(main()) == (False, False)
    asynclocks.uninstall()
    assert type(stdlib_condition()._lock) is stdlib_lock
    assert type(asyncio.Condition()) is stdlib_condition


@needs_c
def test_uninstall_leaves_a_later_replacement_alone(originals):
    asynclocks.install()

    class Other:
        pass

    asyncio.Lock = Other  # type: ignore[misc]
    try:
        asynclocks.uninstall()
        assert asyncio.Lock is Other
        assert asyncio.locks.Lock is originals[("asyncio.locks", "Lock")]
    finally:
        asyncio.Lock = originals[("asyncio", "Lock")]  # type: ignore[misc]


@needs_c
def test_concurrent_install_uninstall_from_threads(originals):
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(200):
                (asynclocks.install if i % 2 else asynclocks.uninstall)()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    # Whatever the interleaving, each attribute is one of the two classes,
    # and a final install/uninstall leaves a consistent state.
    for module in MODULES:
        for name in NAMES:
            assert getattr(module, name) in (
                getattr(asynclocks, name),
                originals[(module.__name__, name)],
            )
    asynclocks.install()
    assert asynclocks.is_installed()
    asynclocks.uninstall()
    for (modname, name), cls in originals.items():
        assert getattr(sys.modules[modname], name) is cls


def test_install_is_a_noop_with_the_fallback():
    code = textwrap.dedent(
        f"""
        import asyncio, asyncio.locks, asynclocks
        assert asynclocks.IMPLEMENTATION == "stdlib"
        before = {{(m.__name__, n): getattr(m, n) for m in (asyncio, asyncio.locks)
                  for n in {NAMES!r}}}
        for f in (asynclocks.install, asynclocks.install, asynclocks.uninstall,
                  asynclocks.uninstall, asynclocks.install):
            f()
            assert not asynclocks.is_installed()
            for (m, n), cls in before.items():
                assert getattr(__import__(m, fromlist=["x"]), n) is cls
                assert cls.__module__ == "asyncio.locks"
        print("ok")
        """
    )
    out = _run([sys.executable, "-c", code], ASYNCLOCKS_NO_EXTENSIONS="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@needs_c
def test_objects_and_subclasses_made_before_install_stay_stdlib(originals):
    before = asyncio.Lock()

    class Mine(asyncio.Lock):  # defined before install: the stdlib base
        pass

    asynclocks.install()
    assert type(before) is originals[("asyncio", "Lock")]
    assert Mine.__mro__[1] is originals[("asyncio", "Lock")]
    assert type(asyncio.Lock()) is asynclocks.Lock


def _wheel_file(name: str) -> pathlib.Path:
    dist = importlib.metadata.distribution("asynclocks")
    for f in dist.files or ():
        if str(f) == name:
            return pathlib.Path(str(dist.locate_file(f)))
    raise AssertionError(f"{name} not among the installed files of asynclocks")


def test_wheel_ships_pth_hook_at_site_packages_root():
    pth = _wheel_file("asynclocks-install.pth")
    assert pth.is_file()
    assert pth.parent == pathlib.Path(asynclocks.__file__).parent.parent
    lines = [ln for ln in pth.read_text().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("import os;"), lines
    for module in ("_asynclocks_startup.py", "_asynclocks_pytest.py"):
        assert _wheel_file(module).parent == pth.parent
    (entry,) = [
        ep
        for ep in importlib.metadata.distribution("asynclocks").entry_points
        if ep.group == "pytest11"
    ]
    assert (entry.name, entry.value) == ("asynclocks", "_asynclocks_pytest")


@needs_c
@pytest.mark.parametrize("value", ["1", "yes"])
def test_env_var_installs_at_start_up(value):
    code = textwrap.dedent(
        f"""
        import sys
        assert "asynclocks" in sys.modules
        import asyncio, asyncio.locks, asynclocks
        assert asynclocks.is_installed()
        for n in {NAMES!r}:
            assert getattr(asyncio, n) is getattr(asynclocks, n), n
            assert getattr(asyncio.locks, n) is getattr(asynclocks, n), n
        assert type(asyncio.Condition()._lock) is asynclocks.Lock
        async def main():
            lock = asyncio.Lock()
            async with lock:
                return type(lock).__module__
        print(asyncio.run(main()))
        """
    )
    out = _run([sys.executable, "-c", code], ASYNCLOCKS_INSTALL=value)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == asynclocks.Lock.__module__
    assert out.stderr == ""


@pytest.mark.parametrize("value", [None, "", "0"])
def test_env_var_unset_imports_nothing(value):
    # The start-up hook's only cost when the variable is unset: one
    # environment look-up; neither asyncio nor asynclocks is imported.
    code = "import sys; print(sorted(m for m in ('asyncio', 'asynclocks') if m in sys.modules))"
    out = _run([sys.executable, "-c", code], ASYNCLOCKS_INSTALL=value)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    assert out.stderr == ""


def test_env_var_start_up_failure_is_reported_not_fatal(tmp_path):
    # An asynclocks that fails to import (found first through PYTHONPATH):
    # the interpreter starts and runs the program; the hook says why on stderr.
    fake = tmp_path / "asynclocks"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise RuntimeError('broken on purpose')\n")
    code = "import asyncio; print(asyncio.Lock.__module__)"
    out = _run([sys.executable, "-c", code], ASYNCLOCKS_INSTALL="1", PYTHONPATH=str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "asyncio.locks"
    assert "ASYNCLOCKS_INSTALL is set but install() failed" in out.stderr
    assert "broken on purpose" in out.stderr


def test_env_var_with_fallback_starts_cleanly():
    code = "import asyncio, asynclocks; print(asynclocks.is_installed(), asyncio.Lock.__module__)"
    out = _run([sys.executable, "-c", code], ASYNCLOCKS_INSTALL="1", ASYNCLOCKS_NO_EXTENSIONS="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "asyncio.locks"]
    assert out.stderr == ""


PLUGIN_CONFTEST = """
import asyncio
CONFTEST_LOCK = asyncio.Lock()
"""

PLUGIN_TESTS = """
import asyncio
import conftest

MODULE_LOCK = asyncio.Lock()
MODULE_EVENT = asyncio.Event()


def test_types():
    import asynclocks
    print("TYPES", type(conftest.CONFTEST_LOCK).__module__, type(MODULE_LOCK).__module__,
          type(MODULE_EVENT).__module__, asynclocks.is_installed())


def test_runs():
    async def main():
        cond = asyncio.Condition()
        async with cond:
            cond.notify()
        await asyncio.wait_for(MODULE_LOCK.acquire(), 1)
        MODULE_LOCK.release()
        return type(cond._lock).__module__
    print("COND", asyncio.run(main()))
"""


@pytest.mark.parametrize("mode", ["plain", "option", "env", "env+option"])
def test_pytest_plugin_installs_before_conftest_and_test_modules(tmp_path, mode):
    # "env": ASYNCLOCKS_INSTALL=1 imported asynclocks before pytest started;
    # pytest must not warn about it (-W error), with or without the option.
    with_option = "option" in mode
    with_env = "env" in mode
    (tmp_path / "conftest.py").write_text(PLUGIN_CONFTEST)
    (tmp_path / "test_tiny.py").write_text(PLUGIN_TESTS)
    args = [
        sys.executable,
        "-m",
        "pytest",
        "-s",
        "-q",
        "-p",
        "no:cacheprovider",
        "-W",
        "error",
        "--rootdir",
        str(tmp_path),
        str(tmp_path),
    ]
    if with_option:
        args.insert(3, "--asynclocks")
    out = _run(
        args,
        cwd=str(tmp_path),
        ASYNCLOCKS_NO_EXTENSIONS=FALLBACK_ENV,
        ASYNCLOCKS_INSTALL="1" if with_env else None,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "2 passed" in out.stdout, out.stdout
    types = re.search(r"TYPES (.*)", out.stdout).group(1).split()
    cond = re.search(r"COND (\S+)", out.stdout).group(1)
    ours = (with_option or with_env) and not FALLBACK_ASKED
    expected = asynclocks.Lock.__module__ if ours else "asyncio.locks"
    assert types == [expected] * 3 + [str(ours)]
    assert cond == expected


def test_pytest_plugin_header_and_no_import_without_option(tmp_path):
    (tmp_path / "test_mods.py").write_text(
        "import sys\n"
        "def test_mods():\n"
        "    print('MODS', sorted(m for m in ('asyncio', 'asynclocks') if m in sys.modules))\n"
    )
    base = [
        sys.executable,
        "-m",
        "pytest",
        "-s",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(tmp_path),
        str(tmp_path),
    ]
    # Other installed plugins (pytest-asyncio, ...) may import asyncio: only
    # check that this plugin is loaded and that it does not import asynclocks.
    plain = _run(base, cwd=str(tmp_path))
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "asynclocks" not in plain.stdout.split("MODS", 1)[1].splitlines()[0]
    listed = _run([sys.executable, "-m", "pytest", "--help"], cwd=str(tmp_path))
    assert "--asynclocks" in listed.stdout
    opted = _run(
        base[:3] + ["--asynclocks"] + base[3:],
        cwd=str(tmp_path),
        ASYNCLOCKS_NO_EXTENSIONS=FALLBACK_ENV,
    )
    assert opted.returncode == 0, opted.stdout + opted.stderr
    state = "installed in place" if not FALLBACK_ASKED else "not installed"
    assert f"asynclocks {asynclocks.__version__}: {state}" in opted.stdout


@pytest.mark.parametrize("how", ["none", "env", "option", "env+option", "conftest"])
def test_pytest_header_says_whenever_asynclocks_is_installed(tmp_path, how):
    # The header line appears whenever asynclocks' classes are in asyncio at
    # header time, however they got there; with nothing asked, it is absent.
    (tmp_path / "test_one.py").write_text("def test_one():\n    pass\n")
    if how == "conftest":
        (tmp_path / "conftest.py").write_text("import asynclocks\nasynclocks.install()\n")
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(tmp_path)]
    if "option" in how:
        args.append("--asynclocks")
    out = _run(
        [*args, str(tmp_path)],
        cwd=str(tmp_path),
        ASYNCLOCKS_NO_EXTENSIONS=FALLBACK_ENV,
        ASYNCLOCKS_INSTALL="1" if "env" in how else None,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 passed" in out.stdout, out.stdout
    header = out.stdout.split("collect", 1)[0]
    lines = [line for line in header.splitlines() if line.startswith("asynclocks ")]
    prefix = f"asynclocks {asynclocks.__version__}: "
    if FALLBACK_ASKED:
        expected = [f"{prefix}not installed (IMPLEMENTATION='stdlib')"] if "option" in how else []
    else:
        source = {
            "none": None,
            "env": "ASYNCLOCKS_INSTALL=1",
            "option": "--asynclocks",
            "env+option": "ASYNCLOCKS_INSTALL=1",  # installed at start-up, before the option
            "conftest": "asynclocks.install()",
        }[how]
        state = f"installed in place of asyncio's classes ({source})"
        expected = [] if source is None else [prefix + state]
    assert lines == expected, header
