"""A program that uses asynclocks' queues where asyncio's are annotated:
mypy --strict and pyright must accept it (tests/test_queue.py runs mypy on it
once asynclocks has its queues). It also runs, and prints ``ok``."""

import asyncio
import sys

import asynclocks


def depth(q: "asyncio.Queue[int]") -> int:
    return q.qsize()


async def produce(q: "asyncio.Queue[int]", n: int) -> None:
    for i in range(n):
        await q.put(i)


async def consume(q: "asyncio.Queue[int]", n: int) -> int:
    total = 0
    for _ in range(n):
        item: int = await q.get()
        total += item
        q.task_done()
    return total


class Job:
    def __init__(self, priority: int, name: str) -> None:
        self.priority = priority
        self.name = name

    def __lt__(self, other: "Job") -> bool:
        return self.priority < other.priority


class Dedup(asynclocks.Queue[str]):
    """A subclass overriding the storage hooks, as real code does."""

    def _init(self, maxsize: int) -> None:
        self._seen: dict[str, None] = {}

    def _put(self, item: str) -> None:
        self._seen[item] = None

    def _get(self) -> str:
        item = next(iter(self._seen))
        del self._seen[item]
        return item

    def qsize(self) -> int:
        return len(self._seen)

    def empty(self) -> bool:
        return not self._seen


async def main() -> None:
    q: asyncio.Queue[int] = asynclocks.Queue()
    bounded = asynclocks.Queue[int](maxsize=4)
    lifo: asyncio.LifoQueue[str] = asynclocks.LifoQueue()
    prio: asyncio.PriorityQueue[tuple[int, str]] = asynclocks.PriorityQueue(8)
    jobs: asynclocks.PriorityQueue[Job] = asynclocks.PriorityQueue()
    as_base: asyncio.Queue[str] = lifo
    await produce(q, 3)
    producer = asyncio.ensure_future(produce(bounded, 10))
    total = await consume(bounded, 10)
    await producer
    await bounded.join()
    lifo.put_nowait("a")
    await as_base.put("b")
    last: str = lifo.get_nowait()
    prio.put_nowait((2, "two"))
    prio.put_nowait((1, "one"))
    first: tuple[int, str] = await prio.get()
    jobs.put_nowait(Job(3, "c"))
    jobs.put_nowait(Job(1, "a"))
    job = jobs.get_nowait()
    dedup = Dedup()
    for s in ("x", "y", "x"):
        dedup.put_nowait(s)
    try:
        q.get_nowait()
        asynclocks.Queue[int](1).put_nowait(1)
    except (asyncio.QueueEmpty, asyncio.QueueFull):
        pass
    if sys.version_info >= (3, 13):
        q.shutdown(immediate=False)
    ok = (
        depth(q) == 2
        and total == 45
        and last == "b"
        and first == (1, "one")
        and job.name == "a"
        and dedup.qsize() == 2
        and bounded.maxsize == 4
        and not bounded.full()
        and lifo.empty() is False
    )
    print("ok" if ok else f"unexpected: {depth(q)} {total} {last} {first} {job.name}")


if __name__ == "__main__":
    asyncio.run(main())
