"""One computation per cache key across workers: two workers' caches share one Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import redis
import redis.asyncio as aioredis

from serving.cache.responses import CachedAnswer, Claim, ResponseCache
from tests.integration.serving.conftest import REDIS_URL

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

KEY = "wedsync:cache:sup_000001:7:/api/analytics/metrics?-"


@pytest.fixture
async def workers(redis_db: redis.Redis) -> AsyncIterator[tuple[ResponseCache, ResponseCache]]:
    """Two workers' caches, each with its own Redis client, as two uvicorn workers have."""
    clients = [aioredis.Redis.from_url(REDIS_URL) for _ in range(2)]
    yield ResponseCache(clients[0]), ResponseCache(clients[1])
    for client in clients:
        await client.aclose()


async def test_a_stampede_over_two_workers_computes_the_answer_once(
    workers: tuple[ResponseCache, ResponseCache],
) -> None:
    computations: list[int] = []

    def compute_as(worker: int) -> Callable[[], Awaitable[bytes]]:
        async def compute() -> bytes:
            computations.append(worker)
            await asyncio.sleep(0.2)  # a slow query: the other worker's askers arrive meanwhile
            return b'{"enquiries": 40}'

        return compute

    async def ask(worker: int) -> CachedAnswer:
        """What a route does: look the key up, and on a miss compute it with the claim."""
        found = await workers[worker].lookup(KEY)
        if isinstance(found, CachedAnswer):
            return found
        return await workers[worker].compute_once(KEY, compute_as(worker), found)

    answers = await asyncio.gather(*(ask(i % 2) for i in range(6)))
    assert len(computations) == 1
    assert {answer.body for answer in answers} == {b'{"enquiries": 40}'}
    assert len({answer.etag for answer in answers}) == 1


async def test_when_the_computing_worker_fails_another_computes(
    workers: tuple[ResponseCache, ResponseCache], redis_db: redis.Redis
) -> None:
    async def failing() -> bytes:
        await asyncio.sleep(0.1)
        raise ConnectionError("the warehouse went away mid-query")

    async def succeeding() -> bytes:
        return b'{"enquiries": 41}'

    claims = [await worker.lookup(KEY) for worker in workers]
    assert [c.held for c in claims if isinstance(c, Claim)] == [True, False]
    first = asyncio.create_task(workers[0].compute_once(KEY, failing, claims[0]))
    second = await workers[1].compute_once(KEY, succeeding, claims[1])
    with pytest.raises(ConnectionError):
        await first
    assert second.body == b'{"enquiries": 41}'
    assert redis_db.keys("wedsync:cache-lock:*") == []


async def test_a_lock_held_by_an_asker_that_joins_another_is_handed_over(
    workers: tuple[ResponseCache, ResponseCache], redis_db: redis.Redis
) -> None:
    worker = workers[0]
    computations = 0

    async def compute() -> bytes:
        nonlocal computations
        computations += 1
        return b'{"enquiries": 42}'

    # Two askers in one worker: the first lookup takes the lock, but the second asker's
    # answer arrives first and it starts waiting for the (unheld by it) lock.
    held, waiting = await worker.lookup(KEY), await worker.lookup(KEY)
    assert isinstance(held, Claim) and isinstance(waiting, Claim)
    assert (held.held, waiting.held) == (True, False)
    first = asyncio.create_task(worker.compute_once(KEY, compute, waiting))
    await asyncio.sleep(0)  # the waiting asker is now this worker's computation
    second = await asyncio.wait_for(worker.compute_once(KEY, compute, held), timeout=2)
    assert (await first) == second
    assert computations == 1
    assert redis_db.keys("wedsync:cache-lock:*") == []
