"""Type checkers name the public classes as users write them: ``asynclocks.Lock``,
not ``asynclocks._core.Lock`` (the classes are declared in ``__init__.pyi``;
``_core.pyi`` re-exports them).

Runs mypy and pyright on a small program when they are installed (CI's typing
step installs both), against the installed package's stubs.
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

CLASSES = ["Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"]
CLASSES += ["ThreadSafeFlag", "ThreadSafeEvent"]
if sys.version_info >= (3, 11):
    CLASSES.append("Barrier")


def _program(tmp_path: pathlib.Path) -> pathlib.Path:
    lines = ["import asynclocks", "from asynclocks import _core", ""]
    for name in CLASSES:
        args = "(2)" if name == "Barrier" else "()"
        lines.append(f"reveal_type(asynclocks.{name}{args})")
        lines.append(f"reveal_type(_core.{name}{args})")
    lines.append("reveal_type(asynclocks.IMPLEMENTATION)")
    # an error message, as a user meets it
    lines.append("wrong: int = asynclocks.Lock()")
    path = tmp_path / "names.py"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_mypy_names_the_public_module(tmp_path):
    api = pytest.importorskip("mypy.api")
    path = _program(tmp_path)
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    out, err, _status = api.run(
        ["--strict", "--no-incremental", "--python-version", version, str(path)]
    )
    revealed = re.findall(r'Revealed type is "([^"]+)"', out)
    expected = [f"asynclocks.{name}" for name in CLASSES for _ in (1, 2)]
    expected.append("Literal['c'] | Literal['stdlib']")
    assert revealed == expected, out + err
    assert 'expression has type "Lock", variable has type "int"' in out, out
    assert "asynclocks._core." not in out, out


def test_pyright_names_the_public_module(tmp_path):
    exe = pathlib.Path(sys.executable).with_name("pyright")
    if not exe.exists():
        pytest.skip("pyright is not installed")
    path = _program(tmp_path)
    r = subprocess.run(
        [str(exe), "--pythonpath", sys.executable, str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    revealed = re.findall(r'Type of "[^"]+" is "([^"]+)"', r.stdout)
    if not revealed:
        pytest.skip(f"pyright could not run: {r.stdout[-300:]} {r.stderr[-300:]}")
    # pyright names classes without their module (it adds the module only
    # where two classes share a name): both spellings resolve to the classes
    assert revealed[: 2 * len(CLASSES)] == [name for name in CLASSES for _ in (1, 2)], r.stdout
    assert '"Lock" is not assignable to "int"' in r.stdout, r.stdout
