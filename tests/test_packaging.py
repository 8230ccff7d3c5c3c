"""Packaging: the installed extension is the one in use, the fallback works,
and the wheel ships the stubs."""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import pathlib
import subprocess
import sys

import asynclocks
import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
FALLBACK_ASKED = os.environ.get("ASYNCLOCKS_NO_EXTENSIONS", "") not in ("", "0")
NAMES = ["Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"] + (
    ["Barrier"] if sys.version_info >= (3, 11) else []
)


def test_imported_from_installation_not_source_tree():
    path = pathlib.Path(asynclocks.__file__).resolve()
    assert REPO / "python" not in path.parents, path


@pytest.mark.skipif(FALLBACK_ASKED, reason="fallback requested")
def test_extension_is_active():
    from asynclocks import _core

    assert asynclocks.IMPLEMENTATION == "c", asynclocks.IMPORT_ERROR
    assert asynclocks.IMPORT_ERROR is None
    for name in NAMES:
        cls = getattr(asynclocks, name)
        assert cls is getattr(_core, name)
        assert cls is not getattr(asyncio, name)
        assert cls.__module__ == "asynclocks"
        assert issubclass(cls, getattr(asyncio, name))
    ext = pathlib.Path(_core.__file__)
    assert ext.suffix in (".so", ".pyd")
    assert ext.parent == pathlib.Path(asynclocks.__file__).parent


def test_fallback_exports_stdlib_classes():
    code = (
        "import asyncio, sys, asynclocks\n"
        "assert asynclocks.IMPLEMENTATION == 'stdlib', asynclocks.IMPLEMENTATION\n"
        f"for n in {NAMES!r}:\n"
        "    assert getattr(asynclocks, n) is getattr(asyncio, n), n\n"
        "print('ok')\n"
    )
    env = dict(os.environ, ASYNCLOCKS_NO_EXTENSIONS="1")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd="/"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("value", ["", "0"])
def test_extension_used_when_flag_unset_or_zero(value):
    code = "import asynclocks; print(asynclocks.IMPLEMENTATION)"
    env = dict(os.environ, ASYNCLOCKS_NO_EXTENSIONS=value)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd="/"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "c"


def test_wheel_ships_stubs_and_marker():
    files = {str(f).replace("\\", "/") for f in importlib.metadata.files("asynclocks") or ()}
    assert "asynclocks/py.typed" in files
    assert "asynclocks/_core.pyi" in files
    assert any(f.startswith("asynclocks/_core.") and f.endswith((".so", ".pyd")) for f in files)
    here = pathlib.Path(asynclocks.__file__).parent
    assert (here / "py.typed").is_file()
    assert (here / "_core.pyi").is_file()


def test_stub_lists_every_exported_class():
    stub = (pathlib.Path(asynclocks.__file__).parent / "_core.pyi").read_text()
    for name in NAMES:
        assert f"class {name}" in stub, name


def test_supported_versions_agree():
    """`python -m asynclocks` and the installed package's classifiers name the
    same supported versions, and the running interpreter is one of them."""
    from asynclocks.__main__ import SUPPORTED_PYTHONS

    classifiers = importlib.metadata.metadata("asynclocks").get_all("Classifier") or []
    prefix = "Programming Language :: Python :: 3."
    listed = tuple(c.rsplit(" :: ", 1)[1] for c in classifiers if c.startswith(prefix))
    assert listed == SUPPORTED_PYTHONS
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" in SUPPORTED_PYTHONS
