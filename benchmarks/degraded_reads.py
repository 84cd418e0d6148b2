"""A cached read with Postgres down, counted rather than only timed (issue 16's 50 ms bound).

On the shared 2-core machine the fault suite's slowest cached read (`benchmarks/faults.py`) is
set by who else holds the CPU: it was as slow *before* the fault as during it. This measures what
a degraded read itself costs, in one process and with no load beside it: the app (its lifespan
running) on a throwaway warehouse with one built mart, a dashboard's read answered once, then
the warehouse taken away (it refuses connections and drops the API's) and, once the breaker is
open, the same read repeated. Printed per read: the process's CPU time and wall time, how many
reads the hot path answered, how many asked the pool for a connection, and how many connection
attempts to Postgres the whole process made meanwhile (the breaker's probe and the pool's own
reconnection: by the clock, not by the reads).

    python -m benchmarks.degraded_reads [--reads 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import psycopg
from fastapi import FastAPI

from benchmarks.faults import prepare_served_warehouse
from tests.integration.serving.conftest import serve
from tests.integration.serving.test_metrics import take_the_warehouse_away
from tests.support import throwaway_database
from wedsync.settings import get_settings

METRICS = b"/api/analytics/metrics"
#: Redis db 11 is this benchmark's own.
REDIS_URL = urlparse(get_settings().redis_url)._replace(path="/11").geturl()
BREAKER_WAIT_SECONDS = 10.0
#: Between reads the event loop runs the worker's other tasks (the breaker's probe among them),
#: as a server's loop does between requests; not counted in a read's CPU or wall time.
PAUSE_SECONDS = 0.001


@dataclass(frozen=True)
class DegradedReadFigures:
    """What the degraded reads cost."""

    reads: int
    answered_stale: int
    hot_path: int
    pool_requests: int
    connect_attempts: int
    seconds: float
    cpu_us: float
    wall_ms: list[float]

    def line(self) -> str:
        """The figures (what `main` prints)."""
        ordered = sorted(self.wall_ms)
        return (
            f"degraded cached reads {self.reads}: {self.answered_stale} answered stale, "
            f"{self.hot_path} by the hot path, {self.pool_requests} pool requests, "
            f"{self.connect_attempts} connection attempts by the process in "
            f"{self.seconds:.1f} s  CPU {self.cpu_us:.0f} us/read  wall median "
            f"{statistics.median(ordered):.2f} ms, p99 {ordered[int(0.99 * len(ordered))]:.2f} "
            f"ms, max {ordered[-1]:.2f} ms"
        )


@contextmanager
def counted_connects() -> Iterator[list[int]]:
    """Count every psycopg async connection attempt made in this process meanwhile."""
    attempts = [0]
    original = psycopg.AsyncConnection.connect.__func__  # type: ignore[attr-defined]

    async def counting(cls: type[psycopg.AsyncConnection], *args: Any, **kwargs: Any) -> Any:
        attempts[0] += 1
        return await original(cls, *args, **kwargs)

    psycopg.AsyncConnection.connect = classmethod(counting)  # type: ignore[method-assign,assignment]
    try:
        yield attempts
    finally:
        psycopg.AsyncConnection.connect = classmethod(original)  # type: ignore[method-assign,assignment]


async def _get(app: FastAPI, key: str) -> tuple[int, dict[bytes, bytes]]:
    """One GET of the metrics, driven straight through ASGI (no HTTP client's CPU in it)."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": METRICS.decode(), "raw_path": METRICS, "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 1), "server": ("api.bench", 80),
        "headers": [(b"host", b"api.bench"), (b"authorization", f"Bearer {key}".encode())],
    }  # fmt: skip
    await app(scope, receive, send)
    start = sent[0]
    return start["status"], dict(start["headers"])


async def _degraded(url: str, key: str, reads: int) -> DegradedReadFigures:
    async with serve(url, REDIS_URL) as app:
        status, _ = await _get(app, key)  # computed once: cached and learned
        assert status == 200, status
        pool = app.state.serving.pool
        await take_the_warehouse_away(app, url)
        for _ in range(int(BREAKER_WAIT_SECONDS / 0.01)):
            if pool.breaker.is_open:
                break
            await asyncio.sleep(0.01)
        assert pool.breaker.is_open, "the breaker did not open"
        metrics = app.state.request_metrics
        hot, requests = metrics.hot_reads, pool.get_stats().get("requests_num", 0)
        stale, wall = 0, []
        with counted_connects() as attempts:
            cpu, started = 0.0, time.perf_counter()
            for _ in range(reads):
                began, cpu_began = time.perf_counter(), time.process_time()
                status, headers = await _get(app, key)
                cpu += time.process_time() - cpu_began
                wall.append((time.perf_counter() - began) * 1000)
                stale += status == 200 and b"warning" in headers
                await asyncio.sleep(PAUSE_SECONDS)
            seconds = time.perf_counter() - started
        return DegradedReadFigures(
            reads=reads,
            answered_stale=stale,
            hot_path=metrics.hot_reads - hot,
            pool_requests=pool.get_stats().get("requests_num", 0) - requests,
            connect_attempts=attempts[0],
            seconds=seconds,
            cpu_us=cpu / reads * 1e6,
            wall_ms=wall,
        )


def run_degraded_reads(reads: int) -> DegradedReadFigures:
    """The measurement on a throwaway warehouse."""
    with throwaway_database("degraded_reads") as url:
        _, readers = prepare_served_warehouse(url)
        return asyncio.run(_degraded(url, readers[0], reads))


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()
    if not 1 <= args.reads <= 100_000:
        parser.error("--reads must be between 1 and 100,000")
    print(run_degraded_reads(args.reads).line())


if __name__ == "__main__":
    main()
