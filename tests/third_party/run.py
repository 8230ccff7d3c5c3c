#!/usr/bin/env python3
"""Run real libraries' own test suites on asyncio's classes and on asynclocks.

For each library in SUITES: download its sdist from PyPI (pinned version, the
tests come from the sdist), make a virtual environment with the library, its
test requirements and the asynclocks wheel, and run the selected tests twice
with ``--junitxml``:

* as is: asyncio's own Lock, Event, Condition, Semaphore, BoundedSemaphore
  and Barrier;
* with asynclocks: ``ASYNCLOCKS_INSTALL=1`` (installed at interpreter start-up,
  before any test module, conftest or plugin is imported) and ``pytest
  --asynclocks`` (the plugin, which then only reports it in the header).

Then it compares the per-test outcomes and prints, per suite: version, tests
run, passed as is, passed with asynclocks, and every test whose outcome
differs (with the first line of its failure message). ``--markdown`` prints
the summary as the table in docs/testing.md.

Usage (from the repository root; needs network access to PyPI; the redis
suite needs ``redis-server`` on PATH, which is started on 127.0.0.1 only)::

    python tests/third_party/run.py                      # every suite
    python tests/third_party/run.py anyio janus          # some suites
    python tests/third_party/run.py --python python3.13 --wheel dist/asynclocks-*.whl
    python tests/third_party/run.py --list               # suites and selections

Work files (venvs, sources, junit XML, summary.json) go to ``--work``
(default: a folder under the system's temporary directory); rerunning reuses
the downloads and venvs there (``--fresh`` starts over).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import pathlib
import platform
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

REPO = pathlib.Path(__file__).resolve().parents[2]


@dataclasses.dataclass
class Suite:
    name: str  # PyPI name
    version: str  # pinned: the sdist the tests come from, and the installed release
    deps: list[str]  # test requirements (pip specifiers)
    args: list[str]  # pytest arguments: the selection, run from the sdist's root
    why: str  # what in the library uses asyncio's primitives
    service: str | None = None  # "redis": a local redis-server must be running
    extras: str = ""
    # -P: do not put the sdist's root on sys.path, so that the installed
    # release (with its compiled extensions) is tested, not the source tree.
    python_flags: list[str] = dataclasses.field(default_factory=list)


SUITES: dict[str, Suite] = {
    s.name: s
    for s in [
        Suite(
            name="anyio",
            version="4.16.0",
            deps=[
                "pytest>=9",
                "pytest-mock>=3.14",
                "pytest-timeout>=2.4",
                "hypothesis>=4.18.2",
                "psutil>=5.9",
                "trustme>=1.0",
                "truststore>=0.9.1",
                "uvloop>=0.22.1",
                "blockbuster>=1.5.29",
            ],
            # The asyncio backend only (trio is not installed: its parameters
            # skip); the modules that exercise anyio's synchronization
            # primitives, memory streams and task groups, which the asyncio
            # backend builds on asyncio.Event (and asyncio.Lock in places).
            args=[
                "tests/test_synchronization.py",
                "tests/streams/test_memory.py",
                "tests/test_taskgroups.py",
                "-p",
                "no:randomly",
            ],
            why="asyncio backend: anyio.Event wraps asyncio.Event and reads its _waiters",
        ),
        Suite(
            name="janus",
            version="2.0.0",
            deps=["pytest>=8", "pytest-asyncio>=0.23"],
            # Everything but the codspeed benchmarks; the sdist's addopts need
            # pytest-cov, so they are replaced.
            args=["tests", "--ignore=tests/test_benchmarks.py", "-o", "addopts="],
            why="the async side of each queue: asyncio.Lock and three asyncio.Condition(lock)",
        ),
        Suite(
            name="redis",
            version="8.1.0",
            deps=[
                "pytest>=8",
                "pytest-asyncio>=0.24",
                "pytest-timeout",
                "packaging>=20.4",
                "ujson>=4.2",
                "numpy>=1.24",
                "pybreaker>=1.4",
                "aiohttp>=3.9",
                "xxhash",
            ],
            # The asyncio client against a local redis-server: connection
            # pools (asyncio.Lock; BlockingConnectionPool waits on an
            # asyncio.Condition), the client-side Lock, pub/sub, pipelines
            # and connections. Standalone server only.
            args=[
                "tests/test_asyncio/test_connection_pool.py",
                "tests/test_asyncio/test_lock.py",
                "tests/test_asyncio/test_pubsub.py",
                "tests/test_asyncio/test_pipeline.py",
                "tests/test_asyncio/test_connection.py",
                "-m",
                "not onlycluster and not redismod and not ssl and not replica",
                "-o",
                "addopts=",
            ],
            why="redis.asyncio: pool and client locks (asyncio.Lock), "
            "BlockingConnectionPool (asyncio.Condition)",
            service="redis",
        ),
        Suite(
            name="aiohttp",
            version="3.14.5",
            deps=[
                "pytest>=8",
                "pytest-mock",
                "pytest-timeout",
                "freezegun",
                "trustme",
                "blockbuster",
                "uvloop",
                "zlib_ng",
                "isal",
                "coverage",  # named by the sdist's warning filters
            ],
            # The installed wheel (C extensions), with the sdist's tests: client
            # and server websockets (the writer's asyncio.Lock), the web server,
            # and the client's functional tests; the sdist's addopts need
            # pytest-xdist and pytest-cov, so they are replaced by its marker
            # selection.
            args=[
                "tests/test_websocket_writer.py",
                "tests/test_client_ws_functional.py",
                "tests/test_web_websocket_functional.py",
                "tests/test_web_server.py",
                "tests/test_client_functional.py",
                "-o",
                "addopts=",
                "-m",
                "not dev_mode and not autobahn and not internal",
            ],
            why="websocket writer (asyncio.Lock); the tests' servers and clients use "
            "asyncio.Event and asyncio.Lock throughout",
            python_flags=["-P"],
        ),
        Suite(
            name="aiocache",
            version="0.12.3",
            # The release's own pins for its test tools (requirements-dev.txt
            # names pytest 7.2, pytest-asyncio 0.20): its tests predate
            # pytest-asyncio 0.22's changes.
            deps=[
                "pytest>=7.2,<8",
                "pytest-asyncio>=0.20,<0.22",
                "pytest-mock>=3.10",
                "redis>=4.4,<5",
                "aiomcache>=0.8",
                "marshmallow>=3.19",
                "msgpack>=1.0",
            ],
            # The unit tests (backends mocked) and the lock acceptance tests
            # on the memory and redis backends (no memcached server here).
            args=[
                "tests/ut",
                "tests/acceptance/test_lock.py",
                "-k",
                "not memcached",
                "-o",
                "addopts=",
            ],
            why="RedLock waits on an asyncio.Event per key",
            service="redis",
        ),
    ]
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run(cmd, text=True, check=True, **kw)  # type: ignore[call-overload, no-any-return]


def fetch_sdist(suite: Suite, dest: pathlib.Path) -> pathlib.Path:
    """Download and unpack the pinned sdist from PyPI; return the source root."""
    url = f"https://pypi.org/pypi/{suite.name}/json"
    with urllib.request.urlopen(url, timeout=120) as resp:
        meta = json.load(resp)
    files = meta["releases"].get(suite.version, [])
    sdists = [u for u in files if u["packagetype"] == "sdist"]
    if not sdists:
        raise SystemExit(f"{suite.name} {suite.version}: no sdist on PyPI")
    info = sdists[0]
    archive = dest / info["filename"]
    if not archive.exists():
        log(f"downloading {info['filename']}")
        urllib.request.urlretrieve(urllib.parse.urljoin(url, info["url"]), archive)
    import hashlib

    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != info["digests"]["sha256"]:
        archive.unlink()
        raise SystemExit(f"{archive.name}: sha256 mismatch")
    root = dest / f"{suite.name}-{suite.version}"
    if not root.exists():
        with tarfile.open(archive) as tar:
            top = {m.name.split("/", 1)[0] for m in tar.getmembers()}
            if sys.version_info >= (3, 12):
                tar.extractall(dest, filter="data")
            else:
                tar.extractall(dest)  # noqa: S202 - PyPI sdist, checked digest
        (extracted,) = top
        if dest / extracted != root:
            (dest / extracted).rename(root)
    return root


def build_wheel(python: str, work: pathlib.Path) -> pathlib.Path:
    out = work / "wheel"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    venv = work / "venv-build"  # the base interpreter may have no pip
    if not (venv / "bin" / "python").exists():
        run([python, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    run([*pip, "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)])
    (whl,) = out.glob("asynclocks-*.whl")
    return whl


def make_venv(python: str, suite: Suite, wheel: pathlib.Path, work: pathlib.Path) -> pathlib.Path:
    venv = work / f"venv-{suite.name}"
    py = venv / "bin" / "python"
    if not py.exists():
        run([python, "-m", "venv", str(venv)])
    spec = f"{suite.name}{suite.extras}=={suite.version}"
    run([str(py), "-m", "pip", "install", "-q", spec, *suite.deps])
    run([str(py), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(wheel)])
    return py


def redis_running(port: int = 6379) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def start_service(name: str, work: pathlib.Path) -> subprocess.Popen[bytes] | None:
    if name != "redis":
        raise ValueError(name)
    if redis_running():
        log("redis: one is already listening on 127.0.0.1:6379, using it")
        return None
    exe = shutil.which("redis-server")
    if exe is None:
        raise SystemExit(
            "the redis suite needs redis-server on PATH (Debian: apt-get install redis-server)"
        )
    data = work / "redis-data"
    data.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [
            exe,
            "--bind",
            "127.0.0.1",
            "--port",
            "6379",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(data),
            # the suite's busy-loading/read-only/OOM tests use DEBUG commands
            "--enable-debug-command",
            "local",
            "--protected-mode",
            "yes",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        if redis_running():
            log(f"redis-server started (pid {proc.pid})")
            return proc
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit("redis-server did not start")


def outcomes(xml_path: pathlib.Path) -> dict[str, tuple[str, str]]:
    """test id -> (outcome, first line of the message) from a junit XML file."""
    rank = {"passed": 0, "skipped": 1, "xfailed": 1, "failed": 2, "error": 3}
    result: dict[str, tuple[str, str]] = {}
    for case in ET.parse(xml_path).getroot().iter("testcase"):
        key = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome, message = "passed", ""
        for child in case:
            tag = child.tag
            if tag in ("failure", "error"):
                outcome = "failed" if tag == "failure" else "error"
                text = child.get("message") or (child.text or "")
                message = (text.strip().splitlines() or [""])[0][:200]
                break
            if tag == "skipped":
                outcome = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
        old = result.get(key)
        if old is None or rank[outcome] > rank[old[0]]:
            result[key] = (outcome, message)
    return result


def run_suite(
    py: pathlib.Path, suite: Suite, src: pathlib.Path, work: pathlib.Path, mode: str
) -> tuple[dict[str, tuple[str, str]], float]:
    env = dict(os.environ)
    for key in ("ASYNCLOCKS_INSTALL", "ASYNCLOCKS_NO_EXTENSIONS", "PYTHONPATH"):
        env.pop(key, None)
    extra: list[str] = []
    if mode == "asynclocks":
        env["ASYNCLOCKS_INSTALL"] = "1"
        extra = ["--asynclocks"]
        check = subprocess.run(
            [str(py), "-c", "import asynclocks; print(asynclocks.is_installed())"],
            env=env,
            text=True,
            capture_output=True,
            cwd=src,
        )
        if check.stdout.strip() != "True":
            raise SystemExit(
                f"asynclocks is not installed at start-up: {check.stdout}{check.stderr}"
            )
    xml = work / "results" / f"{suite.name}-{mode}.xml"
    xml.parent.mkdir(exist_ok=True)
    logfile = work / "results" / f"{suite.name}-{mode}.log"
    cmd = [
        str(py),
        *suite.python_flags,
        "-m",
        "pytest",
        *suite.args,
        *extra,
        f"--junitxml={xml}",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    log("$ " + " ".join(cmd) + f"   (log: {logfile})")
    started = time.monotonic()
    with open(logfile, "w") as out:
        proc = subprocess.run(cmd, env=env, cwd=src, stdout=out, stderr=subprocess.STDOUT)
    elapsed = time.monotonic() - started
    if not xml.exists():
        raise SystemExit(
            f"{suite.name} ({mode}): pytest exited {proc.returncode}, no junit XML; see {logfile}"
        )
    return outcomes(xml), elapsed


def compare(
    suite: Suite, asis: dict[str, tuple[str, str]], ours: dict[str, tuple[str, str]]
) -> dict[str, object]:
    ran = [k for k, (o, _) in asis.items() if o not in ("skipped",)]
    diffs = []
    for key in sorted(set(asis) | set(ours)):
        a = asis.get(key, ("absent", ""))
        b = ours.get(key, ("absent", ""))
        if a[0] != b[0]:
            diffs.append(
                {
                    "test": key,
                    "as_is": a[0],
                    "asynclocks": b[0],
                    "message_as_is": a[1],
                    "message_asynclocks": b[1],
                }
            )
    return {
        "suite": suite.name,
        "version": suite.version,
        "selection": suite.args,
        "tests_run": len(ran),
        "skipped": sum(1 for o, _ in asis.values() if o == "skipped"),
        "passed_as_is": sum(1 for o, _ in asis.values() if o in ("passed", "xfailed")),
        "passed_asynclocks": sum(1 for o, _ in ours.values() if o in ("passed", "xfailed")),
        "differences": diffs,
    }


def print_report(rows: list[dict[str, object]], meta: dict[str, str], markdown: bool) -> None:
    if markdown:
        print(
            f"{meta['date']}, CPython {meta['python']}, asynclocks {meta['asynclocks']} "
            f"(commit {meta['commit']}), `python tests/third_party/run.py`:\n"
        )
        print(
            "| suite | version | tests run | passed as is | passed with asynclocks | differences |"
        )
        print("|---|---|---|---|---|---|")
        for r in rows:
            diffs = r["differences"]
            assert isinstance(diffs, list)
            print(
                f"| {r['suite']} | {r['version']} | {r['tests_run']} | {r['passed_as_is']} | "
                f"{r['passed_asynclocks']} | {len(diffs)} |"
            )
        return
    print(
        f"\nCPython {meta['python']}, asynclocks {meta['asynclocks']} "
        f"(IMPLEMENTATION={meta['implementation']}, commit {meta['commit']}), {meta['date']}"
    )
    header = ("suite", "version", "tests run", "passed as is", "passed with asynclocks", "differ")
    table = [header] + [
        (
            str(r["suite"]),
            str(r["version"]),
            str(r["tests_run"]),
            str(r["passed_as_is"]),
            str(r["passed_asynclocks"]),
            str(len(r["differences"])),
        )  # type: ignore[arg-type]
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    for r in rows:
        diffs = r["differences"]
        assert isinstance(diffs, list)
        if not diffs:
            continue
        print(f"\n{r['suite']}: {len(diffs)} test(s) whose outcome differs")
        for d in diffs:
            print(f"  {d['test']}: as is {d['as_is']}, with asynclocks {d['asynclocks']}")
            msg = d["message_asynclocks"] or d["message_as_is"]
            if msg:
                print(f"      {msg}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("suites", nargs="*", help=f"default: all of {', '.join(SUITES)}")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the venvs")
    parser.add_argument(
        "--wheel", help="asynclocks wheel to test (default: build one from this repository)"
    )
    parser.add_argument(
        "--work", default=os.path.join(tempfile.gettempdir(), "asynclocks-third-party")
    )
    parser.add_argument("--fresh", action="store_true", help="delete --work first")
    parser.add_argument(
        "--markdown", action="store_true", help="print the summary as a Markdown table"
    )
    parser.add_argument("--list", action="store_true", help="list the suites and their selections")
    args = parser.parse_args(argv)

    if args.list:
        for s in SUITES.values():
            print(f"{s.name} {s.version}: {s.why}\n    pytest {' '.join(s.args)}")
        return 0
    names = args.suites or list(SUITES)
    unknown = [n for n in names if n not in SUITES]
    if unknown:
        parser.error(f"unknown suite(s) {unknown}; known: {list(SUITES)}")

    work = pathlib.Path(args.work).resolve()
    if args.fresh:
        shutil.rmtree(work, ignore_errors=True)
    (work / "src").mkdir(parents=True, exist_ok=True)
    wheel = pathlib.Path(args.wheel).resolve() if args.wheel else build_wheel(args.python, work)

    rows = []
    meta: dict[str, str] = {}
    services: dict[str, subprocess.Popen[bytes] | None] = {}
    try:
        for name in names:
            suite = SUITES[name]
            src = fetch_sdist(suite, work / "src")
            py = make_venv(args.python, suite, wheel, work)
            if suite.service and suite.service not in services:
                services[suite.service] = start_service(suite.service, work)
            if not meta:
                probe = subprocess.run(
                    [
                        str(py),
                        "-c",
                        "import platform, asynclocks; print(platform.python_version(), "
                        "asynclocks.__version__, asynclocks.IMPLEMENTATION)",
                    ],
                    text=True,
                    capture_output=True,
                    check=True,
                    cwd="/",
                ).stdout.split()
                commit = (
                    subprocess.run(
                        ["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"],
                        text=True,
                        capture_output=True,
                    ).stdout.strip()
                    or "unknown"
                )
                meta = {
                    "python": probe[0],
                    "asynclocks": probe[1],
                    "implementation": probe[2],
                    "commit": commit,
                    "date": datetime.date.today().isoformat(),
                    "machine": f"{platform.system()} {platform.machine()}",
                }
            asis, t1 = run_suite(py, suite, src, work, "as-is")
            ours, t2 = run_suite(py, suite, src, work, "asynclocks")
            row = compare(suite, asis, ours)
            row["seconds"] = [round(t1, 1), round(t2, 1)]
            rows.append(row)
            log(
                f"{name}: {row['tests_run']} run, {row['passed_as_is']} / "
                f"{row['passed_asynclocks']} passed, {len(row['differences'])} differ "
                f"({t1:.0f} s, {t2:.0f} s)"
            )
    finally:
        for proc in services.values():
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)
    (work / "summary.json").write_text(json.dumps({"meta": meta, "suites": rows}, indent=2))
    print_report(rows, meta, args.markdown)
    log(f"summary: {work / 'summary.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
