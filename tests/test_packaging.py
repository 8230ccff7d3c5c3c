"""Packaging: the installed extension is the one in use, the fallback works,
the wheel ships the stubs and the licence, the public namespace is the API.

The suite is meant to run against a wheel installed with ``pip install .``.
An editable install (``pip install -e .``) imports the Python files from the
source tree by design: the checks that only make sense for a wheel say so and
are skipped then, the others run.
"""

from __future__ import annotations

import ast
import asyncio
import importlib.metadata
import json
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
DIST = importlib.metadata.distribution("asynclocks")


def _editable() -> bool:
    """True for ``pip install -e .`` (PEP 660 records it in direct_url.json)."""
    text = DIST.read_text("direct_url.json")
    return bool(text) and bool(json.loads(text).get("dir_info", {}).get("editable"))


EDITABLE = _editable()
wheel_only = pytest.mark.skipif(
    EDITABLE,
    reason="editable install (pip install -e .): the package is imported from the source tree "
    "by design; install a wheel (pip install .) to run this check",
)


@wheel_only
def test_imported_from_installation_not_source_tree():
    path = pathlib.Path(asynclocks.__file__).resolve()
    assert REPO / "python" not in path.parents, (
        f"asynclocks was imported from the source tree ({path}), not from the installed wheel: "
        "the tests must run against an installed package (pip install . then python -m pytest); "
        "is the repository's python/ directory on sys.path or PYTHONPATH?"
    )


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
    assert ext.suffix in (".so", ".pyd"), f"asynclocks._core is not an extension module: {ext}"
    if not EDITABLE:
        assert ext.parent == pathlib.Path(asynclocks.__file__).parent, (
            f"the extension ({ext}) is not in the package directory of the asynclocks "
            f"that was imported ({asynclocks.__file__}): two installations are mixed"
        )


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


def _installed_files() -> set[str]:
    return {str(f).replace("\\", "/") for f in DIST.files or ()}


@wheel_only
def test_wheel_ships_stubs_marker_and_extension():
    files = _installed_files()
    missing = {"asynclocks/py.typed", "asynclocks/__init__.pyi", "asynclocks/_core.pyi"} - files
    assert not missing, f"the installed wheel's RECORD lacks {sorted(missing)}"
    assert any(f.startswith("asynclocks/_core.") and f.endswith((".so", ".pyd")) for f in files), (
        "the installed wheel's RECORD has no asynclocks/_core extension module"
    )


def test_stubs_and_marker_beside_the_package():
    here = pathlib.Path(asynclocks.__file__).parent
    for name in ("py.typed", "__init__.pyi", "_core.pyi"):
        assert (here / name).is_file(), f"{name} is missing beside {asynclocks.__file__}"


def test_licence_shipped_and_declared():
    meta = DIST.metadata
    assert meta["License-Expression"] == "MIT", (
        f"License-Expression is {meta['License-Expression']!r}, expected 'MIT'"
    )
    assert meta.get_all("License-File") == ["LICENSE"], meta.get_all("License-File")
    if not EDITABLE:
        licence = [f for f in DIST.files or () if f.name == "LICENSE"]
        assert licence, "the wheel ships no LICENSE file (expected in .dist-info/licenses/)"
        assert "MIT License" in licence[0].read_text(), "the shipped LICENSE is not the MIT text"


def test_version_written_once():
    assert DIST.version == asynclocks.__version__, (
        f"the installed metadata says {DIST.version} but asynclocks.__version__ is "
        f"{asynclocks.__version__}: the build must read the version from __init__.py"
    )


def test_metadata_classifiers():
    classifiers = set(DIST.metadata.get_all("Classifier") or ())
    wanted = {f"Programming Language :: Python :: 3.{minor}" for minor in range(10, 16)}
    wanted.add("Typing :: Typed")
    assert wanted <= classifiers, f"classifiers missing: {sorted(wanted - classifiers)}"
    # No placeholder addresses: URLs are added with the first index release.
    placeholders = [u for u in DIST.metadata.get_all("Project-URL") or () if "example." in u]
    assert not placeholders, f"placeholder project URLs in the metadata: {placeholders}"
    assert DIST.metadata.get_all("Author") or DIST.metadata.get_all("Author-email"), "no author"


def test_dir_is_the_api():
    api = sorted([*asynclocks.__all__, "__version__"])
    assert dir(asynclocks) == api, (
        f"dir(asynclocks) lists more or less than the API: "
        f"extra {sorted(set(dir(asynclocks)) - set(api))}, "
        f"missing {sorted(set(api) - set(dir(asynclocks)))}"
    )
    helpers = {"annotations", "asyncio", "importlib", "os", "sys", "Any", "TYPE_CHECKING"}
    leaked = helpers & set(vars(asynclocks))
    assert not leaked, f"implementation helpers left in the asynclocks namespace: {sorted(leaked)}"
    for name in asynclocks.__all__:
        assert hasattr(asynclocks, name), f"__all__ names {name!r}, which asynclocks lacks"


def _public_defs(tree: ast.AST):
    """Classes and functions of a stub that a user sees (no _private, no __init__)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.name == "__init__" or (
                node.name.startswith("_") and not node.name.startswith("__")
            ):
                continue
            yield node


@pytest.mark.parametrize("name", ["__init__.pyi", "_core.pyi"])
def test_stubs_have_docstrings(name):
    stub = pathlib.Path(asynclocks.__file__).parent / name
    tree = ast.parse(stub.read_text())
    assert ast.get_docstring(tree), f"{name} has no module docstring"
    undocumented = [node.name for node in _public_defs(tree) if not ast.get_docstring(node)]
    assert not undocumented, f"{name}: stub entries without a docstring: {undocumented}"


def test_stub_lists_every_exported_class():
    """The classes are declared in __init__.pyi (type checkers then name them
    asynclocks.Lock ...) and re-exported by _core.pyi."""
    here = pathlib.Path(asynclocks.__file__).parent
    package = (here / "__init__.pyi").read_text()
    core = (here / "_core.pyi").read_text()
    for name in NAMES:
        assert f"class {name}(" in package, name
        assert f"from asynclocks import {name} as {name}" in core, name


def test_supported_versions_agree():
    """`python -m asynclocks` and the installed package's classifiers name the
    same supported versions, and the running interpreter is one of them."""
    from asynclocks.__main__ import SUPPORTED_PYTHONS

    classifiers = importlib.metadata.metadata("asynclocks").get_all("Classifier") or []
    prefix = "Programming Language :: Python :: 3."
    listed = tuple(c.rsplit(" :: ", 1)[1] for c in classifiers if c.startswith(prefix))
    assert listed == SUPPORTED_PYTHONS
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" in SUPPORTED_PYTHONS
