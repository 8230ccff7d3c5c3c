"""pytest plugin of asynclocks: ``pytest --asynclocks`` runs a suite on asynclocks.

Registered through the ``pytest11`` entry point (name ``asynclocks``; ``-p
no:asynclocks`` disables it). Without ``--asynclocks`` it does nothing and
imports neither asyncio nor asynclocks, so having asynclocks installed costs
other suites nothing.

With ``--asynclocks`` it calls :func:`asynclocks.install` from
``pytest_load_initial_conftests``, the earliest hook an installed plugin gets
after the command line is parsed: before any ``conftest.py`` and any test
module is imported, after the modules of the other installed plugins were
imported (an object such a module creates at import time stays asyncio's; set
``ASYNCLOCKS_INSTALL=1`` instead to install at interpreter start-up).
:func:`asynclocks.uninstall` runs when pytest unconfigures.

The report header says so whenever asynclocks' classes are in place in
asyncio, however they got there (``--asynclocks``, ``ASYNCLOCKS_INSTALL=1``, a
``conftest.py`` calling :func:`asynclocks.install`); with ``--asynclocks`` it
also says when they are not. It looks asynclocks up in :data:`sys.modules`
only: install() cannot have run unless asynclocks was imported.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest

_installed_here = False


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("asynclocks")
    group.addoption(
        "--asynclocks",
        action="store_true",
        default=False,
        help="replace asyncio's Lock, Event, Condition, Semaphore, BoundedSemaphore and "
        "Barrier by asynclocks' before conftest files and test modules are imported",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> None:
    global _installed_here
    if not getattr(early_config.known_args_namespace, "asynclocks", False):
        return
    import asynclocks

    if not asynclocks.is_installed():
        asynclocks.install()
        _installed_here = asynclocks.is_installed()


def pytest_report_header(config: pytest.Config) -> Any:
    asked = bool(config.getoption("asynclocks", False))
    module = sys.modules.get("asynclocks")  # never imported here without --asynclocks
    if module is None and not asked:
        return None
    import asynclocks

    if asynclocks.is_installed():
        if _installed_here:
            how = "--asynclocks"
        elif os.environ.get("ASYNCLOCKS_INSTALL", "") not in ("", "0"):
            how = f"ASYNCLOCKS_INSTALL={os.environ['ASYNCLOCKS_INSTALL']}"
        else:
            how = "asynclocks.install()"
        state = f"installed in place of asyncio's classes ({how})"
    elif asked:
        state = f"not installed (IMPLEMENTATION={asynclocks.IMPLEMENTATION!r})"
    else:
        return None
    return f"asynclocks {asynclocks.__version__}: {state}"


def pytest_unconfigure(config: pytest.Config) -> None:
    global _installed_here
    if _installed_here:
        import asynclocks

        asynclocks.uninstall()
        _installed_here = False
