"""check_wheel.py WHEEL cpXY: a repaired wheel is a manylinux wheel for CPython X.Y.

Checks the file name's tags and the WHEEL file's Tag lines (interpreter and ABI
cpXY, platform manylinux), and that the wheel ships the extension, the stubs,
py.typed and the licence. Prints what it found; exit status 1 with the reasons
when something is wrong.
"""

from __future__ import annotations

import re
import sys
import zipfile

from packaging.utils import parse_wheel_filename

MANYLINUX = re.compile(r"^manylinux(1|2010|2014|_\d+_\d+)_(x86_64|aarch64|i686)$")


def main(path: str, cp: str) -> int:
    problems: list[str] = []
    name = path.rsplit("/", 1)[-1]
    _, version, _, tags = parse_wheel_filename(name)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        wheel_meta = zf.read(f"asynclocks-{version}.dist-info/WHEEL").decode()
    meta_tags = {
        line.split(":", 1)[1].strip() for line in wheel_meta.splitlines() if line.startswith("Tag:")
    }
    name_tags = {str(t) for t in tags}
    print(f"tags: {', '.join(sorted(name_tags))}")
    if meta_tags != name_tags:
        problems.append(
            f"WHEEL Tag lines {sorted(meta_tags)} differ from the file name's {sorted(name_tags)}"
        )
    for tag in tags:
        if tag.interpreter != cp or tag.abi != cp:
            problems.append(f"tag {tag}: interpreter and ABI should both be {cp}")
        if not MANYLINUX.match(tag.platform):
            problems.append(f"tag {tag}: platform {tag.platform} is not a manylinux platform")
    wanted = {
        "asynclocks/__init__.py",
        "asynclocks/py.typed",
        "asynclocks/__init__.pyi",
        "asynclocks/_core.pyi",
        f"asynclocks-{version}.dist-info/licenses/LICENSE",
    }
    for missing in sorted(wanted - set(names)):
        problems.append(f"the wheel lacks {missing}")
    if not any(re.match(r"asynclocks/_core\..*\.so$", n) for n in names):
        problems.append("the wheel has no asynclocks/_core extension module")
    grafted = sorted(n for n in names if n.startswith("asynclocks.libs/"))
    if grafted:
        print(f"libraries grafted by auditwheel: {grafted}")
    for problem in problems:
        print(f"wheel check: {problem}", file=sys.stderr)
    if not problems:
        print(
            f"wheel check: {name} is a manylinux wheel for {cp} with extension, stubs and LICENSE"
        )
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
