"""Differential fuzzer: random sequences of calls on one primitive, run against
the stdlib and asynclocks in the same process, traces compared.

Usage::

    python tests/hardening/fuzz_run.py SECONDS MAX_EXAMPLES

Runs hypothesis until MAX_EXAMPLES examples or SECONDS seconds, whichever comes
first (a deadline checked between examples). Exit status 0 when every example
agreed; a disagreement raises (status 1, the falsifying example printed). A
crash kills the process: the test sees the signal.
"""

from __future__ import annotations

import asyncio
import gc
import re
import sys
import time
import warnings

import asynclocks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PY = sys.version_info[:2]
_OBJ_RE = re.compile(r"<(?:[\w.]+\.)?(\w+) object at 0x[0-9a-fA-F]+")
_AT_RE = re.compile(r" at 0x[0-9a-fA-F]+")  # the queues' repr
KINDS = ["Lock", "Event", "Condition", "Semaphore", "BoundedSemaphore"]
if PY >= (3, 11):
    KINDS.append("Barrier")
QUEUES = ["Queue", "LifoQueue", "PriorityQueue"]
if getattr(asynclocks, "Queue", None) is not None:  # absent until asynclocks has queues
    KINDS += QUEUES

# operations: (name, argument)
OPS = st.one_of(
    st.tuples(
        st.just("spawn"),
        st.sampled_from(["acquire", "wait", "wait_for", "with", "get", "put", "join"]),
    ),
    st.tuples(
        st.just("call"),
        st.sampled_from(
            [
                "release",
                "set",
                "clear",
                "notify",
                "notify_all",
                "locked",
                "is_set",
                "reset",
                "abort",
                "put_nowait",
                "get_nowait",
                "task_done",
                "qsize",
                "full",
                "shutdown",
            ]
        ),
    ),
    st.tuples(st.just("bad"), st.sampled_from(["extra_arg", "bad_kw", "notify_str", "notify_neg"])),
    st.tuples(st.just("cancel"), st.integers(0, 7)),
    st.tuples(st.just("hand"), st.sampled_from(["send", "throw", "close", "cancel", "send2"])),
    st.tuples(st.just("sleep"), st.integers(0, 3)),
    st.tuples(st.just("gc"), st.just(0)),
)


def norm(text):
    # Type names carry their module: in reprs, and from 3.14 in the
    # interpreter's `async with` TypeError ("'asyncio.locks.Event' object does
    # not support the asynchronous context manager protocol ..."). The C
    # types' module is asynclocks, the stdlib's asyncio.locks (documented
    # difference): compare without the module.
    text = _AT_RE.sub(" at 0x", _OBJ_RE.sub(r"<\1 object", text))
    return text.replace("asynclocks.", "").replace("asyncio.locks.", "")


def res(fn):
    try:
        v = fn()
    except StopIteration as e:
        return ("stop", repr(e.value))
    except BaseException as exc:  # noqa: BLE001
        return ("raise", type(exc).__name__, norm(str(exc)))
    if asyncio.isfuture(v):
        return ("yield", "future")
    if v is None or isinstance(v, (bool, int, str)):
        return ("ok", v)
    return ("ok", type(v).__name__)


def state(obj):
    if hasattr(obj, "qsize"):  # a queue: str() is its state
        return norm(str(obj))
    m = re.search(r"\[([^\[\]]*)\]>$", repr(obj))
    return m.group(1) if m else "?"


async def play(mod, kind, value, ops):
    cls = getattr(mod, kind)
    if kind in ("Semaphore", "BoundedSemaphore"):
        obj = cls(value)
    elif kind == "Barrier":
        obj = cls(value + 1)
    elif kind in QUEUES:
        obj = cls(value - 1)
    else:
        obj = cls()
    trace = []
    tasks = []
    hand = []
    pred_box = [False]
    items = iter(range(10**6))

    def t_ended(i):
        def cb(t):
            if t.cancelled():
                trace.append(("end", i, "cancelled"))
            elif t.exception() is not None:
                e = t.exception()
                trace.append(("end", i, type(e).__name__, norm(str(e))))
            else:
                trace.append(("end", i, "ok", repr(t.result())))

        return cb

    async def with_body():
        async with obj:
            await asyncio.sleep(0)

    def make(what):
        if what == "acquire" and hasattr(obj, "acquire"):
            return obj.acquire()
        if what == "wait" and hasattr(obj, "wait"):
            return obj.wait()
        if what == "wait_for" and hasattr(obj, "wait_for"):
            return obj.wait_for(lambda: pred_box[0])
        if what == "get" and hasattr(obj, "get"):
            return obj.get()
        if what == "put" and hasattr(obj, "put"):
            return obj.put(next(items))
        if what == "join" and hasattr(obj, "join"):
            return obj.join()
        if what == "with" and not hasattr(obj, "qsize"):
            return with_body()
        return None

    for op, arg in ops:
        if op == "spawn":
            aw = make(arg)
            if aw is None:
                continue
            t = asyncio.ensure_future(aw)
            t.add_done_callback(t_ended(len(tasks)))
            tasks.append(t)
        elif op == "call":
            m = getattr(obj, arg, None)
            if m is None:
                continue
            if arg in ("reset", "abort"):
                t = asyncio.ensure_future(m())
                t.add_done_callback(t_ended(len(tasks)))
                tasks.append(t)
                continue
            if arg == "notify":
                pred_box[0] = not pred_box[0]
            if arg == "put_nowait":
                item = next(items)
                trace.append((arg, res(lambda m=m, item=item: m(item))))
                continue
            trace.append((arg, res(m)))
        elif op == "bad":
            if arg == "extra_arg":
                m = (
                    getattr(obj, "release", None)
                    or getattr(obj, "set", None)
                    or getattr(obj, "abort", None)
                    or obj.get_nowait
                )
                trace.append((arg, res(lambda m=m: m(1, 2))))
            elif arg == "bad_kw":
                m = (
                    getattr(obj, "locked", None)
                    or getattr(obj, "is_set", None)
                    or getattr(obj, "wait", None)
                    or obj.qsize
                )
                trace.append((arg, res(lambda m=m: m(bogus=1))))
            elif hasattr(obj, "notify"):
                n = "x" if arg == "notify_str" else -1
                trace.append((arg, res(lambda n=n: obj.notify(n))))
        elif op == "cancel":
            if tasks:
                t = tasks[arg % len(tasks)]
                trace.append(("cancel", arg % len(tasks), t.cancel()))
        elif op == "hand":
            if arg in ("send", "send2"):
                aw = make("acquire") or make("wait") or make("get")
                if aw is not None:
                    r = res(lambda aw=aw: aw.send(None))
                    trace.append(("hand-send", r))
                    if r[0] == "yield":
                        hand.append(aw)
                if arg == "send2" and hand:
                    h = hand[0]
                    r = res(lambda h=h: h.send(None))
                    trace.append(("hand-send-again", r))
                    if r[0] != "yield":
                        hand.remove(h)
            elif hand:
                aw = hand.pop()
                if arg == "throw":
                    trace.append(("hand-throw", res(lambda aw=aw: aw.throw(ValueError("f")))))
                elif arg == "cancel":
                    exc = asyncio.CancelledError()
                    trace.append(("hand-cancel", res(lambda aw=aw, exc=exc: aw.throw(exc))))
                else:
                    trace.append(("hand-close", res(aw.close)))
        elif op == "sleep":
            for _ in range(arg + 1):
                await asyncio.sleep(0)
        elif op == "gc":
            gc.collect()
        trace.append(("state", state(obj)))
    # wind down: close hand-driven awaitables, cancel tasks
    for aw in hand:
        trace.append(("final-close", res(aw.close)))
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    trace.append(("final", state(obj)))
    return trace


WATCHDOG = 3.0


def run_one(mod, kind, value, ops):
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda loop, ctx: None)
    try:
        task = loop.create_task(play(mod, kind, value, ops))
        watchdog = loop.call_later(WATCHDOG, loop.stop)
        try:
            return loop.run_until_complete(task)
        except RuntimeError as exc:
            if task.done():
                raise
            return ["hung", str(exc)]
        finally:
            watchdog.cancel()
    finally:
        loop.close()


def main(argv):
    seconds = float(argv[1])
    examples = int(argv[2])
    deadline = time.monotonic() + seconds
    warnings.simplefilter("ignore")
    count = [0]

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    @given(
        kind=st.sampled_from(KINDS),
        value=st.integers(0, 3),
        ops=st.lists(OPS, max_size=25),
    )
    def prop(kind, value, ops):
        if time.monotonic() > deadline:
            return
        count[0] += 1
        a = run_one(asynclocks, kind, value, ops)
        s = run_one(asyncio, kind, value, ops)
        assert a == s, f"{kind}({value}) {ops}"

    prop()
    print(f"fuzz: {count[0]} examples")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
