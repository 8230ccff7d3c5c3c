"""Helpers for the ThreadSafeFlag / ThreadSafeEvent tests: event loops running
in their own threads, and bounded polling."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
import threading
import time

import paritylib

DEADLINE = 10.0  # seconds: a bound for what must happen, never a timing assertion


class LoopThread:
    """An event loop of ``flavour`` running forever in a daemon thread."""

    def __init__(self, flavour: str = "asyncio") -> None:
        self.loop = paritylib.new_loop(flavour)
        self._ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self._ready.wait(DEADLINE)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        self.loop.run_forever()

    def submit(self, coro) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, fn, *args):
        """Run fn(*args) in the loop's thread and return its result."""

        async def inner():
            return fn(*args)

        return self.submit(inner()).result(DEADLINE)

    def stop(self) -> None:
        """Stop the loop (tasks stay pending) and join the thread."""
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(DEADLINE)

    def close(self) -> None:
        """Cancel what is left, stop and close the loop."""
        if self.loop.is_closed():
            return
        if self.thread.is_alive():

            async def cancel_all():
                me = asyncio.current_task()
                tasks = [t for t in asyncio.all_tasks() if t is not me]
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

            try:
                self.submit(cancel_all()).result(DEADLINE)
            except concurrent.futures.TimeoutError:  # pragma: no cover
                pass
            self.stop()
        self.loop.close()

    def __enter__(self) -> LoopThread:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_WAITERS_RE = re.compile(r"waiters:(\d+)\]>$")


def waiters(obj) -> int:
    """Number of queued waiters, read from the repr."""
    m = _WAITERS_RE.search(repr(obj))
    return int(m.group(1)) if m else 0


def until(pred, what: str = "condition") -> None:
    """Poll pred() until true; fail after DEADLINE seconds."""
    end = time.monotonic() + DEADLINE
    while not pred():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.001)
