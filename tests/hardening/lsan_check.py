"""Read the AddressSanitizer/LeakSanitizer logs of a sanitizer test run.

Usage: ``python tests/hardening/lsan_check.py LOG_DIR``

Fails (exit 1) on any AddressSanitizer error report, and on any *direct*
leak whose allocation stack passes through asynclocks' extension. CPython
leaves some memory behind at exit (interned strings, static types, module
objects of subinterpreters), so other leak reports, and indirect leaks of the
module's own types and strings reachable only from such a module, are not
asynclocks' doing and are only counted.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

OURS = re.compile(r"_core\.cpython|/src/\w+\.c")


def blocks(text: str) -> list[str]:
    """Split a report into its leak blocks (header line plus stack)."""
    return re.split(r"\n(?=(?:Direct|Indirect) leak of )", text)


def main(argv: list[str]) -> int:
    logs = sorted(Path(argv[1]).glob("asan.*"))
    errors: list[str] = []
    ours: list[str] = []
    others = 0
    for log in logs:
        text = log.read_text(errors="replace")
        if "ERROR: AddressSanitizer" in text:
            errors.append(f"{log.name}:\n{text[:4000]}")
        for block in blocks(text):
            if not block.startswith(("Direct leak", "Indirect leak")):
                continue
            if block.startswith("Direct leak") and OURS.search(block):
                ours.append(f"{log.name}:\n{block[:3000]}")
            else:
                others += 1
    print(
        f"sanitizer logs: {len(logs)} processes, {len(errors)} ASan errors, "
        f"{len(ours)} direct leaks through asynclocks, {others} other leak reports "
        "(interpreter)"
    )
    for item in errors + ours:
        print(item)
    return 1 if errors or ours else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
