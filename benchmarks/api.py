"""Read-API latency and capacity: the real server over loopback, against the demo marts.

(a) Open loop: requests are sent on a fixed schedule (`--rate` per second) whatever the
    server does, spread over many suppliers' keys, and each latency is measured from the
    request's *scheduled* time, so a stalled server cannot hide its queue (no coordinated
    omission). Once with every answer cached, once with every query new (cache misses).
(b) Capacity: requests/s at `--clients` concurrent closed-loop clients on the cached
    metrics endpoint, and in the same run on a bare Starlette JSON endpoint served the same
    way (same uvicorn, same workers), as the reference.

The marts are copied from a built demo warehouse (`make build`; `--source-database`) into the
benchmark database, so the figures are on the demo data set and the demo is left untouched.
The load generator is a minimal HTTP/1.1 client on raw asyncio streams (httpx costs more CPU
per request than the server it would measure, on a machine with 2 cores).

    python -m benchmarks.api --rate 1000 --duration 20 --clients 64
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

import psycopg
import redis
import uvloop
from psycopg import sql
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from benchmarks.ingest import stop, wait_until_ready
from serving.tenancy import apply_tenancy
from wedsync.api_keys import create_api_key
from wedsync.settings import get_settings
from wedsync.warehouse import apply_schema, connect, ensure_database
from wedsync.warehouse.dataset_versions import ANALYTICS_DATASET, bump_dataset_version

BENCH_DATABASE = "wedsync_dev_api"
#: The API helper's Redis database: the benchmark's answers never mix with the demo's.
BENCH_REDIS_URL = urlparse(get_settings().redis_url)._replace(path="/5").geturl()
METRICS = "/api/analytics/metrics"


async def _reference(request: Request) -> JSONResponse:
    """The reference: the least a Starlette JSON endpoint can do."""
    return JSONResponse({"status": "ok", "supplier_id": "sup_000123"})


#: `uvicorn benchmarks.api:reference_app`: a bare Starlette JSON endpoint.
reference_app = Starlette(routes=[Route(METRICS, _reference)])


# --- a minimal HTTP/1.1 keep-alive client ---------------------------------------------------


class Connection:
    """One keep-alive connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int, attempts: int = 100) -> Connection:
        """Connect to the server on loopback (a burst of connects may be refused: retry)."""
        for _ in range(attempts - 1):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                return cls(reader, writer)
            except ConnectionRefusedError:
                await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, request: bytes) -> int:
        """Send a raw request and read the whole answer; return its status code."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        """Close the socket."""
        self.writer.close()


def raw_get(path: str, key: str) -> bytes:
    """A GET request's bytes."""
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\r\n"
    ).encode()


@dataclass
class Outcome:
    """Latencies (ms) of the answered requests, and the count of unexpected answers."""

    latencies_ms: list[float] = field(default_factory=list)
    failures: int = 0
    elapsed_s: float = 0.0
    # Requests sent a second time on a new connection because their pooled one had closed.
    reconnects: int = 0
    # What the failures were: an HTTP status, or the connection error's name.
    failure_kinds: Counter[str] = field(default_factory=Counter)

    def fail(self, kind: str) -> None:
        """Count one unexpected answer or broken connection."""
        self.failures += 1
        self.failure_kinds[kind] += 1

    def percentile(self, share: float) -> float:
        """The `share` quantile of the latencies (nearest rank)."""
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    def summary(self) -> str:
        """p50/p95/p99 and failures."""
        return (
            f"p50 {self.percentile(0.50):6.2f} ms  p95 {self.percentile(0.95):6.2f} ms  "
            f"p99 {self.percentile(0.99):6.2f} ms  ({len(self.latencies_ms):,} answered, "
            f"{self.failures} failed {dict(self.failure_kinds) if self.failures else ''})"
        )


async def open_loop(
    port: int, requests: Sequence[bytes], rate: float, connections: int = 128
) -> Outcome:
    """Send `requests` at `rate` per second on schedule; latency from each scheduled time.

    `connections` are opened beforehand (a client's keep-alive pool); more are opened only
    when all are busy.
    """
    idle: list[Connection] = [await Connection.open(port) for _ in range(connections)]
    outcome = Outcome()

    async def one(scheduled: float, request: bytes) -> None:
        # uvicorn closes a connection idle for 5 s: a stale pooled one is replaced once.
        for attempt in (1, 2):
            try:
                connection = idle.pop() if idle and attempt == 1 else await Connection.open(port)
                status = await connection.send(request)
                break
            except (OSError, asyncio.IncompleteReadError) as error:
                if attempt == 2:
                    outcome.fail(type(error).__name__)
                    return
                outcome.reconnects += 1
        outcome.latencies_ms.append((time.perf_counter() - scheduled) * 1000)
        if status != 200:
            outcome.fail(str(status))
        idle.append(connection)

    started = time.perf_counter() + 0.05
    in_flight = []
    for index, request in enumerate(requests):
        scheduled = started + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        in_flight.append(asyncio.create_task(one(scheduled, request)))
    await asyncio.gather(*in_flight)
    outcome.elapsed_s = time.perf_counter() - started
    for connection in idle:
        connection.close()
    return outcome


async def closed_loop(
    port: int, requests: Sequence[bytes], clients: int, seconds: float
) -> Outcome:
    """`clients` connections sending back to back for `seconds`; elapsed and count give req/s."""
    loop = asyncio.get_running_loop()
    outcome = Outcome()
    deadline = loop.time() + seconds

    async def client(offset: int) -> None:
        connection = await Connection.open(port)
        index = offset
        while loop.time() < deadline:
            sent = time.perf_counter()
            status = await connection.send(requests[index % len(requests)])
            outcome.latencies_ms.append((time.perf_counter() - sent) * 1000)
            if status != 200:
                outcome.fail(str(status))
            index += clients
        connection.close()

    started = loop.time()
    await asyncio.gather(*(client(i) for i in range(clients)))
    outcome.elapsed_s = loop.time() - started
    return outcome


# --- the benchmark database and servers ---------------------------------------------------------


def prepare_database(
    source_database: str, suppliers: int, bench_database: str = BENCH_DATABASE
) -> tuple[str, list[tuple[str, str]]]:
    """A fresh benchmark warehouse holding the demo marts; (its URL, [(supplier, key)])."""
    settings = get_settings()
    maintenance = settings.database_url_for("postgres")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(
                sql.Identifier(bench_database)
            )
        )
    redis.Redis.from_url(BENCH_REDIS_URL).flushdb()
    url = settings.database_url_for(bench_database)
    ensure_database(url)
    dump = subprocess.run(
        [
            "pg_dump",
            "--no-owner",
            "--no-privileges",
            "--schema=marts",
            "--schema=predictions",
            settings.database_url_for(source_database),
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", url],
        input=dump.stdout,
        check=True,
        capture_output=True,
    )
    with connect(url) as conn:
        apply_schema(conn)
        apply_tenancy(conn)
        bump_dataset_version(conn, ANALYTICS_DATASET)
        supplier_ids = [
            row[0]
            for row in conn.execute(
                "select distinct supplier_id from marts.vendor_performance order by 1 limit %s",
                (suppliers,),
            ).fetchall()
        ]
        if not supplier_ids:
            raise SystemExit(f"no marts in database {source_database!r}: run `make build` first")
        keys = [
            (supplier, create_api_key(conn, supplier, "professional", "api benchmark"))
            for supplier in supplier_ids
        ]
    return url, keys


@contextmanager
def server(app: str, port: int, workers: int, database_url: str, ready_path: str) -> Iterator[None]:
    """uvicorn serving `app` as deployed, until the block ends."""
    env = {
        **os.environ,
        "WEDSYNC_DATABASE_URL": database_url,
        "WEDSYNC_REDIS_URL": BENCH_REDIS_URL,
        # The limiter runs (one Redis script per request) but never refuses the benchmark.
        "WEDSYNC_RATE_LIMIT_PROFESSIONAL": "100000000",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        wait_until_ready(port, process, ready_path)
        yield
    finally:
        stop(process)


def uncached_requests(keys: list[tuple[str, str]], count: int) -> list[bytes]:
    """`count` metrics queries, each new to the cache (a distinct supplier and date range)."""
    requests = []
    for index in range(count):
        _supplier, key = keys[index % len(keys)]
        day = index // len(keys)
        # Distinct end dates make distinct cache keys; the range keeps a realistic answer size.
        end = f"2026-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}"
        requests.append(raw_get(f"{METRICS}?start=2025-01-01&end={end}", key))
    return requests


def main() -> None:
    """Prepare, run (a) and (b), print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0, help="offered requests/s (a)")
    parser.add_argument(
        "--uncached-rate",
        type=float,
        default=None,
        help="offered requests/s for the uncached run (default: --rate)",
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per run")
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients (b)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--suppliers", type=int, default=200, help="suppliers' keys to spread over")
    parser.add_argument("--source-database", default=get_settings().database_name)
    args = parser.parse_args()

    url, keys = prepare_database(args.source_database, args.suppliers)
    cached = [raw_get(METRICS, key) for _, key in keys]
    total = int(args.rate * args.duration)
    uncached_rate = args.uncached_rate or args.rate
    uncached = uncached_requests(keys, int(uncached_rate * args.duration))
    print(
        f"demo marts from {args.source_database!r}; {len(keys)} suppliers' keys; "
        f"{args.workers} uvicorn workers; {os.cpu_count()} cores",
        flush=True,
    )

    with server("serving.main:app", args.port, args.workers, url, "/healthz"):
        # Warm every key's answer into the cache (and every worker's key memory).
        uvloop.run(closed_loop(args.port, cached, min(len(cached), args.clients), 3.0))
        hits = uvloop.run(
            open_loop(args.port, [cached[i % len(cached)] for i in range(total)], args.rate)
        )
        misses = uvloop.run(open_loop(args.port, uncached, uncached_rate))
        api_capacity = uvloop.run(closed_loop(args.port, cached, args.clients, args.duration))
    with server("benchmarks.api:reference_app", args.port, args.workers, url, METRICS):
        reference = uvloop.run(closed_loop(args.port, cached, args.clients, args.duration))

    api_rate = len(api_capacity.latencies_ms) / api_capacity.elapsed_s
    reference_rate = len(reference.latencies_ms) / reference.elapsed_s
    print(f"(a) open loop, cached,   {args.rate:,.0f} req/s offered: {hits.summary()}")
    print(f"(a) open loop, uncached, {uncached_rate:,.0f} req/s offered: {misses.summary()}")
    print(
        f"(b) {args.clients} clients, cached metrics:   {api_rate:8,.0f} req/s  "
        f"(p99 {api_capacity.percentile(0.99):.1f} ms, {api_capacity.failures} failed)"
    )
    print(
        f"(b) {args.clients} clients, bare Starlette:   {reference_rate:8,.0f} req/s  "
        f"(p99 {reference.percentile(0.99):.1f} ms)"
    )
    print(f"    capacity ratio {api_rate / reference_rate:.0%} of the reference (target >= 60%)")


if __name__ == "__main__":
    main()
