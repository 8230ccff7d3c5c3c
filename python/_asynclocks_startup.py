"""Start-up hook of asynclocks: ``ASYNCLOCKS_INSTALL=1`` runs :func:`asynclocks.install`.

``asynclocks-install.pth`` (at the root of site-packages) imports this module
when the environment variable ``ASYNCLOCKS_INSTALL`` exists, so that an unset
variable costs one dictionary look-up at interpreter start-up and imports
nothing. A value other than ``""`` and ``"0"`` installs asynclocks' classes in
place of asyncio's before any other code runs. A failure is reported on stderr
and never stops the interpreter.

(PYTEST_DONT_REWRITE: imported before pytest starts when the variable is set.)
"""

from __future__ import annotations

import os

if os.environ.get("ASYNCLOCKS_INSTALL", "") not in ("", "0"):
    try:
        import asynclocks

        asynclocks.install()
    except Exception as exc:  # never stop the interpreter from starting
        import sys

        print(
            f"asynclocks: ASYNCLOCKS_INSTALL is set but install() failed: {exc!r}",
            file=sys.stderr,
        )
