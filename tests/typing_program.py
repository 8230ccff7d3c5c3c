"""A program that uses asynclocks where asyncio's classes are annotated:
mypy --strict and pyright must accept it (tests/test_dropin.py runs them)."""

import asyncio
from typing import Literal

import asynclocks

# which implementation is active: exactly these two values
IMPL: Literal["c", "stdlib"] = asynclocks.IMPLEMENTATION


def use_lock(lock: asyncio.Lock) -> bool:
    return lock.locked()


def use_sem(sem: asyncio.Semaphore) -> bool:
    return sem.locked()


def use_event(ev: asyncio.Event) -> bool:
    return ev.is_set()


async def main() -> None:
    lock = asynclocks.Lock()
    use_lock(lock)
    cond = asyncio.Condition(asynclocks.Lock())
    async with cond:
        cond.notify_all()
    use_sem(asynclocks.BoundedSemaphore(2))
    use_sem(asynclocks.Semaphore())
    use_event(asynclocks.Event())
    b: asyncio.BoundedSemaphore = asynclocks.BoundedSemaphore()
    async with lock:
        pass
    ok: bool = await lock.acquire()
    lock.release()
    c2: asyncio.Condition = asynclocks.Condition(asynclocks.Lock())
    print(ok, b, c2)


if __name__ == "__main__":
    asyncio.run(main())
