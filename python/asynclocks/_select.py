"""Which implementation ``import asynclocks`` uses, decided from the environment
and the interpreter's build.

:func:`choose` is pure (the caller passes the environment and the build's
configuration), so each case can be tested without that interpreter.
"""

from __future__ import annotations

import sys
import sysconfig
from collections.abc import Callable, Mapping

NO_EXTENSIONS = "ASYNCLOCKS_NO_EXTENSIONS"
REQUIRE_EXTENSION = "ASYNCLOCKS_REQUIRE_EXTENSION"

FREE_THREADED = (
    "free-threaded CPython build: the C extension would re-enable the GIL; "
    "asyncio's classes are used"
)


def env_flag(env: Mapping[str, str], name: str) -> bool:
    """True when the variable is set to a non-empty value other than ``0``."""
    return env.get(name, "") not in ("", "0")


def gil_disabled_build(get_config_var: Callable[[str], object] | None = None) -> bool:
    """True on a free-threaded build (``Py_GIL_DISABLED`` in the build's
    configuration; ``sysconfig.get_config_var`` unless another is given)."""
    if get_config_var is None:
        get_config_var = sysconfig.get_config_var
    return bool(get_config_var("Py_GIL_DISABLED"))


def gil_enabled_now() -> bool | None:
    """``sys._is_gil_enabled()`` where it exists (3.13+), else None."""
    is_enabled = getattr(sys, "_is_gil_enabled", None)
    return None if is_enabled is None else bool(is_enabled())


def choose(
    env: Mapping[str, str], gil_disabled: bool, gil_enabled: bool | None = None
) -> tuple[bool, str | None]:
    """Whether to import the C extension, and if not, why: ``(use_extension, reason)``.

    ``gil_disabled`` is the build's ``Py_GIL_DISABLED``; ``gil_enabled`` is
    ``sys._is_gil_enabled()`` (None where it does not exist). The extension
    declares that it needs the GIL: loading it would make a free-threaded
    interpreter enable the GIL for the whole process, so it is never imported
    there (nor when the running interpreter says its GIL is off).
    """
    if env_flag(env, NO_EXTENSIONS):
        return False, f"{NO_EXTENSIONS}={env[NO_EXTENSIONS]}: asyncio's classes are used, as asked"
    if gil_disabled or gil_enabled is False:
        return False, FREE_THREADED
    return True, None


def import_failed(exc: BaseException) -> str:
    """The reason given when the extension was wanted but its import failed."""
    return (
        f"the C extension asynclocks._core could not be imported ({exc}); "
        "asyncio's classes are used"
    )


def after_fallback(env: Mapping[str, str], reason: str) -> tuple[str, str]:
    """What the package does once it falls back: ``("raise", message)`` under
    ``ASYNCLOCKS_REQUIRE_EXTENSION``, ``("quiet", "")`` when the fallback was asked
    for with ``ASYNCLOCKS_NO_EXTENSIONS``, else ``("warn", message)``."""
    if env_flag(env, REQUIRE_EXTENSION):
        return "raise", f"asynclocks: {REQUIRE_EXTENSION} is set, but {reason}"
    if env_flag(env, NO_EXTENSIONS):
        return "quiet", ""
    return "warn", (
        f"asynclocks: {reason} (ThreadSafeFlag and ThreadSafeEvent are the pure-Python ones). "
        f"Set {NO_EXTENSIONS}=1 to choose this without the warning, "
        f"or {REQUIRE_EXTENSION}=1 to make it an ImportError"
    )
