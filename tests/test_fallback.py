"""Which implementation ``import asynclocks`` uses, and what it says about it.

The decision is a pure function (``asynclocks._select.choose``), tested here
for each configuration, including a free-threaded build's, which this
suite's interpreters are not: the configuration is simulated, by calling the
function with it and by patching ``sysconfig.get_config_var`` (or
``sys._is_gil_enabled``) in a fresh interpreter before ``import asynclocks``.
The three fallback paths (asked for: quiet; not asked for: one RuntimeWarning;
``ASYNCLOCKS_REQUIRE_EXTENSION``: ImportError) run in subprocesses, with the
extension's import made to fail by a meta path finder where needed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import asynclocks
import pytest
from asynclocks import _select

HAS_C = asynclocks.IMPLEMENTATION == "c"
needs_c = pytest.mark.skipif(not HAS_C, reason=f"C extension not in use: {asynclocks.IMPORT_ERROR}")
NAMES = ["Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"] + (
    ["Barrier"] if sys.version_info >= (3, 11) else []
)

# ---------------------------------------------------------------------------
# The decision, as a function of a simulated configuration


@pytest.mark.parametrize("value", ["", "0"])
def test_choose_extension_by_default(value):
    env = {"ASYNCLOCKS_NO_EXTENSIONS": value} if value else {}
    assert _select.choose(env, gil_disabled=False, gil_enabled=None) == (True, None)
    assert _select.choose(env, gil_disabled=False, gil_enabled=True) == (True, None)


@pytest.mark.parametrize("value", ["1", "yes", "true"])
@pytest.mark.parametrize("gil_disabled", [False, True])
def test_choose_no_extensions_asked(value, gil_disabled):
    use, reason = _select.choose(
        {"ASYNCLOCKS_NO_EXTENSIONS": value}, gil_disabled=gil_disabled, gil_enabled=None
    )
    assert use is False
    assert reason is not None and f"ASYNCLOCKS_NO_EXTENSIONS={value}" in reason


@pytest.mark.parametrize(
    "gil_disabled, gil_enabled",
    [(True, None), (True, False), (True, True), (False, False)],
    ids=["Py_GIL_DISABLED", "free-threaded-gil-off", "free-threaded-PYTHON_GIL=1", "gil-off"],
)
def test_choose_free_threaded_never_uses_the_extension(gil_disabled, gil_enabled):
    """A free-threaded build (or an interpreter whose GIL is off) never loads
    the extension, which would enable the GIL for the whole process."""
    use, reason = _select.choose({}, gil_disabled=gil_disabled, gil_enabled=gil_enabled)
    assert (use, reason) == (False, _select.FREE_THREADED)
    assert "free-threaded" in reason and "GIL" in reason


def test_gil_disabled_build_reads_the_configuration():
    assert _select.gil_disabled_build(lambda name: 1 if name == "Py_GIL_DISABLED" else None)
    assert not _select.gil_disabled_build(lambda name: 0)
    assert not _select.gil_disabled_build(lambda name: None)
    # this interpreter: as its sysconfig says
    import sysconfig

    assert _select.gil_disabled_build() is bool(sysconfig.get_config_var("Py_GIL_DISABLED"))


def test_gil_disabled_build_sees_a_patched_sysconfig(monkeypatch):
    import sysconfig

    real = sysconfig.get_config_var
    monkeypatch.setattr(
        sysconfig, "get_config_var", lambda name: 1 if name == "Py_GIL_DISABLED" else real(name)
    )
    assert _select.gil_disabled_build() is True
    assert _select.choose({}, _select.gil_disabled_build(), None)[0] is False


def test_gil_enabled_now(monkeypatch):
    expected = sys._is_gil_enabled() if hasattr(sys, "_is_gil_enabled") else None
    assert _select.gil_enabled_now() == expected
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    assert _select.gil_enabled_now() is False


@pytest.mark.parametrize(
    "env, action",
    [
        ({}, "warn"),
        ({"ASYNCLOCKS_NO_EXTENSIONS": "1"}, "quiet"),
        ({"ASYNCLOCKS_REQUIRE_EXTENSION": "1"}, "raise"),
        ({"ASYNCLOCKS_REQUIRE_EXTENSION": "0"}, "warn"),
        ({"ASYNCLOCKS_REQUIRE_EXTENSION": "1", "ASYNCLOCKS_NO_EXTENSIONS": "1"}, "raise"),
    ],
)
def test_after_fallback(env, action):
    got, message = _select.after_fallback(env, "REASON")
    assert got == action
    if action == "quiet":
        assert message == ""
    else:
        assert "REASON" in message


# ---------------------------------------------------------------------------
# The package in fresh interpreters

# Make `import asynclocks._core` fail, as a broken or missing extension would.
BLOCK_CORE = textwrap.dedent(
    """
    import sys
    class _BlockCore:
        def find_spec(self, name, path=None, target=None):
            if name == "asynclocks._core":
                raise ImportError("blocked by the test", name=name)
            return None
    sys.meta_path.insert(0, _BlockCore())
    """
)
# A free-threaded build, as the package sees it: Py_GIL_DISABLED in sysconfig.
FAKE_FREE_THREADED = textwrap.dedent(
    """
    import sysconfig
    _real = sysconfig.get_config_var
    sysconfig.get_config_var = lambda name: 1 if name == "Py_GIL_DISABLED" else _real(name)
    """
)
# ... or a running interpreter that says its GIL is off.
FAKE_GIL_OFF = "import sys\nsys._is_gil_enabled = lambda: False\n"

REPORT = textwrap.dedent(
    f"""
    import asyncio, asyncio.locks, sys, asynclocks
    from asynclocks import _threadsafe
    assert asynclocks.IMPLEMENTATION == "stdlib", asynclocks.IMPLEMENTATION
    for n in {NAMES!r}:
        assert getattr(asynclocks, n) is getattr(asyncio, n), n
    assert asynclocks.ThreadSafeFlag is _threadsafe.ThreadSafeFlag
    assert asynclocks.ThreadSafeEvent is _threadsafe.ThreadSafeEvent
    assert "ThreadSafeFlag" in asynclocks.__all__ and "ThreadSafeEvent" in dir(asynclocks)
    before = {{(m.__name__, n): getattr(m, n) for m in (asyncio, asyncio.locks) for n in {NAMES!r}}}
    asynclocks.install()  # a no-op with the fallback
    assert not asynclocks.is_installed()
    assert all(getattr(sys.modules[m], n) is c for (m, n), c in before.items())
    asynclocks.uninstall()
    print("core-loaded", "asynclocks._core" in sys.modules)
    print("import-error", asynclocks.IMPORT_ERROR)
    """
)


def _run(code: str, **env_changes: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    for key in (
        "ASYNCLOCKS_NO_EXTENSIONS",
        "ASYNCLOCKS_REQUIRE_EXTENSION",
        "ASYNCLOCKS_INSTALL",
        "PYTHONWARNINGS",
        "PYTHONPATH",
    ):
        env.pop(key, None)
    env.update(env_changes)
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd="/", timeout=120
    )


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "RuntimeWarning" in line]


@pytest.mark.parametrize("fake", [FAKE_FREE_THREADED, FAKE_GIL_OFF], ids=["sysconfig", "gil-off"])
def test_free_threaded_build_does_not_load_the_extension(fake):
    """Simulated free-threaded interpreter: _core is never imported (so the GIL
    is never re-enabled), asyncio's classes and the pure-Python thread-safe
    types are used, IMPORT_ERROR says why, one RuntimeWarning says so,
    install() is a no-op."""
    out = _run(fake + REPORT)
    assert out.returncode == 0, out.stderr
    assert "core-loaded False" in out.stdout
    assert f"import-error {_select.FREE_THREADED}" in out.stdout
    warns = _warnings(out.stderr)
    assert len(warns) == 1, out.stderr
    assert _select.FREE_THREADED in warns[0]


def test_free_threaded_build_quiet_when_asked():
    out = _run(FAKE_FREE_THREADED + REPORT, ASYNCLOCKS_NO_EXTENSIONS="1")
    assert out.returncode == 0, out.stderr
    assert "core-loaded False" in out.stdout
    assert "import-error None" in out.stdout  # asked for: not an error
    assert _warnings(out.stderr) == [], out.stderr


def test_free_threaded_build_with_require_extension_raises():
    code = FAKE_FREE_THREADED + "import asynclocks\n"
    out = _run(code, ASYNCLOCKS_REQUIRE_EXTENSION="1")
    assert out.returncode != 0
    assert "ImportError" in out.stderr and _select.FREE_THREADED in out.stderr
    assert _warnings(out.stderr) == [], out.stderr


def test_failed_import_falls_back_with_one_warning():
    out = _run(BLOCK_CORE + REPORT)
    assert out.returncode == 0, out.stderr
    assert "core-loaded False" in out.stdout
    assert "import-error blocked by the test" in out.stdout
    warns = _warnings(out.stderr)
    assert len(warns) == 1, out.stderr
    assert "could not be imported (blocked by the test)" in warns[0]
    assert "ASYNCLOCKS_NO_EXTENSIONS=1" in warns[0]  # says how to choose it quietly


def test_failed_import_warning_is_an_error_under_W_error():
    """A RuntimeWarning: shown by default, and `-W error` makes the import fail."""
    out = _run("import warnings; warnings.simplefilter('error')\n" + BLOCK_CORE + REPORT)
    assert out.returncode != 0
    assert "RuntimeWarning" in out.stderr


def test_failed_import_quiet_when_asked():
    out = _run(BLOCK_CORE + REPORT, ASYNCLOCKS_NO_EXTENSIONS="1")
    assert out.returncode == 0, out.stderr
    assert "import-error None" in out.stdout  # _core was not even tried
    assert _warnings(out.stderr) == [], out.stderr


def test_failed_import_with_require_extension_raises():
    out = _run(BLOCK_CORE + "import asynclocks\n", ASYNCLOCKS_REQUIRE_EXTENSION="1")
    assert out.returncode != 0
    assert "ImportError: asynclocks: ASYNCLOCKS_REQUIRE_EXTENSION is set" in out.stderr
    assert "blocked by the test" in out.stderr
    assert _warnings(out.stderr) == [], out.stderr


def test_require_extension_with_no_extensions_raises():
    out = _run(
        "import asynclocks\n", ASYNCLOCKS_REQUIRE_EXTENSION="1", ASYNCLOCKS_NO_EXTENSIONS="1"
    )
    assert out.returncode != 0
    assert "ASYNCLOCKS_NO_EXTENSIONS=1" in out.stderr


@needs_c
@pytest.mark.parametrize("value", ["1", "0", ""])
def test_require_extension_with_the_extension_imports(value):
    code = (
        "import sys, asynclocks\n"
        "print(asynclocks.IMPLEMENTATION, 'asynclocks._core' in sys.modules)"
    )
    out = _run(code, ASYNCLOCKS_REQUIRE_EXTENSION=value)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["c", "True"]
    assert _warnings(out.stderr) == [], out.stderr


def test_no_extensions_asked_is_quiet():
    out = _run(REPORT, ASYNCLOCKS_NO_EXTENSIONS="1")
    assert out.returncode == 0, out.stderr
    assert "core-loaded False" in out.stdout
    assert _warnings(out.stderr) == [], out.stderr


def test_implementation_values():
    """The thread-safe types come from the active implementation; both name
    their classes asynclocks.X, as users import them."""
    from asynclocks import _threadsafe

    assert asynclocks.IMPLEMENTATION in ("c", "stdlib")
    if asynclocks.IMPLEMENTATION == "c":
        from asynclocks import _core

        assert asynclocks.ThreadSafeFlag is _core.ThreadSafeFlag
    else:
        assert asynclocks.ThreadSafeFlag is _threadsafe.ThreadSafeFlag
    assert asynclocks.ThreadSafeFlag.__module__ == "asynclocks"


# ---------------------------------------------------------------------------
# Release builds: no free-threaded wheel


def test_cibuildwheel_selects_no_free_threaded_build():
    """[tool.cibuildwheel] selects cp310-cp315 and none of their free-threaded
    variants (cp313t, cp314t...: cibuildwheel builds cp314t by default unless
    the selectors exclude it), and does not enable them."""
    import fnmatch
    import pathlib

    tomllib = pytest.importorskip("tomllib")
    pyproject = pathlib.Path(__file__).resolve().parent.parent / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("pyproject.toml not found next to the tests")
    cfg = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["cibuildwheel"]
    build, skip = cfg["build"].split(), cfg["skip"].split()
    enable = cfg.get("enable", [])
    assert not any("freethreading" in e for e in ([enable] if isinstance(enable, str) else enable))

    def selected(identifier):
        return any(fnmatch.fnmatch(identifier, p) for p in build) and not any(
            fnmatch.fnmatch(identifier, p) for p in skip
        )

    for minor in range(10, 16):
        for plat in ("manylinux_x86_64", "manylinux_aarch64", "macosx_arm64", "win_amd64"):
            assert selected(f"cp3{minor}-{plat}"), f"cp3{minor}-{plat}"
            assert not selected(f"cp3{minor}t-{plat}"), f"cp3{minor}t-{plat}"
