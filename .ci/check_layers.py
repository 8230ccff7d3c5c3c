"""Check that the C files of src/ form layers: no cycle among them, by
includes or by calls.

A unit is a C file with its header (``lock.c`` + ``lock.h``: ``lock``). The
include graph links a file to each ``#include "x.h"`` it has; the call graph
links a unit to every other unit that defines a non-static function, or a
``static inline`` function of its header, that it names. Both must be free of
cycles. Prints the units in layer order (each depends only on units above
it) and exits 1 on a cycle.

Usage: python .ci/check_layers.py [src]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# A definition at the start of a line: `name(` after a return-type line, as
# the project's clang-format writes it (AlwaysBreakAfterReturnType).
DEFINITION = re.compile(r"^(?:static\s+inline\s+\S.*\n)?([A-Za-z_]\w*)\(", re.M)
STATIC = re.compile(r"^static\s(?!inline).*\n([A-Za-z_]\w*)\(", re.M)
IDENT = re.compile(r"[A-Za-z_]\w*")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
STRING = re.compile(r'"(?:\\.|[^"\\])*"')


def unit(p: Path) -> str:
    return p.stem


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of graph as a list of nodes, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m) :] + [m]
            if m not in state:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            c = visit(n)
            if c:
                return c
    return None


def layers(graph: dict[str, set[str]]) -> list[list[str]]:
    """Nodes by depth: layer 0 depends on nothing, layer k on layers < k."""
    depth: dict[str, int] = {}

    def d(n: str) -> int:
        if n not in depth:
            depth[n] = 1 + max((d(m) for m in graph.get(n, ()) if m != n), default=-1)
        return depth[n]

    for n in graph:
        d(n)
    out: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for n, k in depth.items():
        out[k].append(n)
    return [sorted(x) for x in out]


def main(argv: list[str]) -> int:
    src = Path(argv[1] if len(argv) > 1 else "src")
    files = sorted([*src.glob("*.c"), *src.glob("*.h")])
    texts = {f: STRING.sub('""', COMMENT.sub(" ", f.read_text())) for f in files}

    includes: dict[str, set[str]] = {}
    for f in files:
        includes[f.name] = {i for i in INCLUDE.findall(f.read_text()) if (src / i).exists()}

    defined: dict[str, str] = {}  # function name -> unit
    for f, t in texts.items():
        statics = set(STATIC.findall(t)) if f.suffix == ".c" else set()
        for name in DEFINITION.findall(t):
            if name not in statics and not name.isupper():  # not a macro use
                defined.setdefault(name, unit(f))
    calls: dict[str, set[str]] = {unit(f): set() for f in files}
    for f, t in texts.items():
        u = unit(f)
        for name in set(IDENT.findall(t)):
            v = defined.get(name)
            if v is not None and v != u:
                calls[u].add(v)

    ok = True
    for what, graph in (("include", includes), ("call", calls)):
        cycle = find_cycle(graph)
        if cycle:
            print(f"{what} cycle: {' -> '.join(cycle)}")
            ok = False
    if not ok:
        return 1
    merged = {u: set(calls[u]) for u in calls}
    for f, inc in includes.items():
        merged.setdefault(Path(f).stem, set()).update(Path(i).stem for i in inc)
    for u in merged:
        merged[u].discard(u)
    cycle = find_cycle(merged)
    if cycle:
        print(f"include+call cycle between units: {' -> '.join(cycle)}")
        return 1
    print("no include cycle, no call cycle; units by layer (each uses only earlier layers):")
    for k, layer in enumerate(layers(merged)):
        print(f"  {k}: {' '.join(layer)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
