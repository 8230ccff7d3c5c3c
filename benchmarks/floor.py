"""Build and load the benchmark floor (``floor.c``) for the running interpreter.

The extension is compiled at run time with the interpreter's own compiler
settings (``sysconfig``: ``CC``, ``CCSHARED``, ``LDSHARED``, ``INCLUDEPY``,
``EXT_SUFFIX``) and ``-O2``, into a cache directory under ``benchmarks/.build``
(or a temporary directory when that is not writable), keyed by a hash of the
source and the build command.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import shlex
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import types
from pathlib import Path

MODULE_NAME = "asynclocks_floor"
SOURCE = Path(__file__).resolve().parent / "floor.c"


class FloorUnavailable(Exception):
    """The floor extension could not be built or loaded; the message says why."""


def _config(name: str) -> str:
    value = sysconfig.get_config_var(name)
    if not value:
        raise FloorUnavailable(f"sysconfig has no {name}")
    return str(value)


def _commands(obj: Path, out: Path) -> tuple[list[str], list[str]]:
    """Compile and link command lines for ``floor.c``."""
    cc = shlex.split(_config("CC"))
    if shutil.which(cc[0]) is None:
        raise FloorUnavailable(f"compiler {cc[0]!r} not found")
    ldshared = shlex.split(_config("LDSHARED"))
    if shutil.which(ldshared[0]) is None:
        raise FloorUnavailable(f"linker {ldshared[0]!r} not found")
    includes = {_config("INCLUDEPY"), sysconfig.get_path("platinclude")}
    compile_cmd = [
        *cc,
        *shlex.split(sysconfig.get_config_var("CCSHARED") or ""),
        "-O2",
        *(f"-I{path}" for path in sorted(includes) if path),
        "-c",
        str(SOURCE),
        "-o",
        str(obj),
    ]
    link_cmd = [*ldshared, str(obj), "-o", str(out)]
    return compile_cmd, link_cmd


def _cache_dirs() -> list[Path]:
    return [
        Path(__file__).resolve().parent / ".build",
        Path(tempfile.gettempdir()) / "asynclocks-bench-build",
    ]


def _build(directory: Path) -> Path:
    """Build into ``directory`` (reusing a cached build); return the library path."""
    suffix = _config("EXT_SUFFIX")
    probe_compile, probe_link = _commands(Path("floor.o"), Path("floor" + suffix))
    key = hashlib.sha256(
        SOURCE.read_bytes() + repr((probe_compile, probe_link, sys.version)).encode()
    ).hexdigest()[:16]
    target_dir = directory / f"{sys.implementation.cache_tag}-{key}"
    out = target_dir / (MODULE_NAME + suffix)
    if out.exists():
        return out
    target_dir.mkdir(parents=True, exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    obj = target_dir / "floor.o"
    tmp_out = target_dir / (MODULE_NAME + ".tmp" + suffix)
    for cmd in _commands(obj, tmp_out):
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            raise FloorUnavailable(f"build failed: {shlex.join(cmd)}\n" + "\n".join(detail))
    tmp_out.replace(out)
    obj.unlink(missing_ok=True)
    return out


def load_floor() -> types.ModuleType:
    """Build (or reuse) and import the floor extension.

    Raises :class:`FloorUnavailable` when there is no usable compiler or the
    build fails.
    """
    if MODULE_NAME in sys.modules:
        return sys.modules[MODULE_NAME]
    if not SOURCE.exists():
        raise FloorUnavailable(f"{SOURCE} is missing")
    errors: list[str] = []
    for directory in _cache_dirs():
        try:
            path = _build(directory)
        except OSError as exc:
            errors.append(f"{directory}: {exc}")
            continue
        loader = importlib.machinery.ExtensionFileLoader(MODULE_NAME, str(path))
        spec = importlib.util.spec_from_file_location(MODULE_NAME, path, loader=loader)
        if spec is None:
            raise FloorUnavailable(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        sys.modules[MODULE_NAME] = module
        return module
    raise FloorUnavailable("no writable build directory: " + "; ".join(errors))


def floor_namespace(module: types.ModuleType) -> types.SimpleNamespace:
    """Wrap the floor types as a namespace of "classes" for :mod:`asynclocks._bench.runner`.

    ``Lock`` and ``Semaphore`` are ``Floor``, which never waits: in the
    contended Semaphore workload it does strictly less than any semaphore
    (no task ever blocks). ``Event`` is ``FloorEvent``, which waits on bare
    loop futures.
    """
    floor_type = module.Floor
    return types.SimpleNamespace(Lock=floor_type, Event=module.FloorEvent, Semaphore=floor_type)
