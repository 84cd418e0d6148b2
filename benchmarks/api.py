"""Read-API latency and capacity: the real server over loopback, against the demo marts.

(a) Open loop: requests are sent on a fixed schedule (`--rate` per second) whatever the
    server does, spread over many suppliers' keys, and each latency is measured from the
    request's *scheduled* time, so a stalled server cannot hide its queue (no coordinated
    omission). Once with every answer cached, once with every query new (cache misses).
(b) Capacity: requests/s at `--clients` concurrent closed-loop clients on the cached
    metrics endpoint, and in the same run on a bare Starlette endpoint served the same way
    (same uvicorn, same workers) that sends the very bytes the API sent each key (its answer
    looked up by the `Authorization` header), as the reference. Cross-checked by `wrk`
    (Debian package `wrk`: `apt-get install -y wrk`; skipped with a note when absent), one
    key's cached answer against the reference sending that answer.

(c) CPU per answer: the server's CPU time (from /proc, every worker process) over a fixed
    number of requests sent back to back by one client, for cached answers, new queries and the
    same-bytes reference; with the Postgres backends' and Redis's CPU beside it. Unlike latency
    and req/s, this does not move with whatever else a shared machine runs: it is the figure
    to compare before and after a change. `--cpu-only` measures just this.

Each figure is taken `--runs` times (API and reference alternating, each run's uncached queries
new) and printed as min / median / max. Figures from a machine shared with other work are noise.

Why the issue-15 re-measure did not reproduce issue 8's closing note: the reference was a bare
Starlette endpoint returning a 45-byte JSON body, while the API answers a supplier's metrics
(17,474 bytes on the re-measure's demo): the ratio compared different work, and moved with the
demo data's answer sizes. `--tiny-reference` also runs that old reference, to show the gap.

The marts are copied from a built demo warehouse (`make build`; `--source-database`) into the
benchmark database, so the figures are on the demo data set and the demo is left untouched.
The load generator is a minimal HTTP/1.1 client on raw asyncio streams (httpx costs more CPU
per request than the server it would measure, on a machine with 2 cores).

    python -m benchmarks.api --rate 1000 --uncached-rate 500 --duration 20 --clients 64
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

import psutil
import psycopg
import redis
import uvloop
from psycopg import sql
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from benchmarks.ingest import stop, wait_until_ready
from serving.security.tenancy import apply_tenancy
from wedsync.api_keys import create_api_key
from wedsync.settings import get_settings
from wedsync.warehouse import apply_schema, connect, ensure_database
from wedsync.warehouse.served import publish_build

#: Named after the configured warehouse, so two checkouts benchmarking on one server never drop
#: each other's database.
BENCH_DATABASE = f"{get_settings().database_name}_bench_api"
#: The API helper's Redis database: the benchmark's answers never mix with the demo's.
BENCH_REDIS_URL = urlparse(get_settings().redis_url)._replace(path="/5").geturl()
METRICS = "/api/analytics/metrics"


#: Where the same-bytes reference finds the API's answers (a JSON file: bearer -> body).
ANSWERS_ENV = "WEDSYNC_BENCH_ANSWERS"


def _load_answers() -> dict[bytes, bytes]:
    path = os.environ.get(ANSWERS_ENV)
    if not path:
        return {}
    with open(path) as answers:
        return {k.encode(): v.encode() for k, v in json.load(answers).items()}


_ANSWERS = _load_answers()


async def _same_bytes(request: Request) -> Response:
    """The reference: the API's answer for this caller, sent by bare Starlette."""
    body = _ANSWERS.get(request.headers.get("authorization", "").encode(), b"{}")
    return Response(body, media_type="application/json")


async def _tiny(request: Request) -> JSONResponse:
    """The reference issue 8 used: a 45-byte JSON body, whatever the API would have sent."""
    return JSONResponse({"status": "ok", "supplier_id": "sup_000123"})


#: `uvicorn benchmarks.api:reference_app`: bare Starlette sending the API's bytes.
reference_app = Starlette(routes=[Route(METRICS, _same_bytes)])
#: `uvicorn benchmarks.api:tiny_reference_app`: the old reference, for comparison only.
tiny_reference_app = Starlette(routes=[Route(METRICS, _tiny)])


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
        return (await self.exchange(request))[0]

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send a raw request; its status code and body."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        body = await self.reader.readexactly(length) if length else b""
        return status, body

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


# --- CPU per answer -----------------------------------------------------------------------------


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system, from /proc) of a process and its live descendants."""
    root = psutil.Process(pid)
    total = 0.0
    for process in (root, *root.children(recursive=True)):
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def backend_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each Postgres backend connected to `database` (the server is local)."""
    with psycopg.connect(get_settings().database_url_for("postgres"), autocommit=True) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "select pid from pg_stat_activity where datname = %s", (database,)
            ).fetchall()
        ]
    cpu = {}
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = psutil.Process(pid).cpu_times()
            cpu[pid] = times.user + times.system
    return cpu


def redis_cpu() -> float:
    """CPU seconds the benchmark's Redis server has used (`INFO cpu`)."""
    info = redis.Redis.from_url(BENCH_REDIS_URL).info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


@dataclass(frozen=True)
class CpuCost:
    """CPU per answer (ms): the server's processes, the Postgres backends, Redis."""

    server_ms: float
    postgres_ms: float
    redis_ms: float

    def summary(self) -> str:
        """The three costs on one line."""
        return (
            f"{self.server_ms:.3f} ms server CPU (+ Postgres {self.postgres_ms:.3f}, "
            f"Redis {self.redis_ms:.3f})"
        )


async def cpu_per_answer(port: int, pid: int, requests: Sequence[bytes], database: str) -> CpuCost:
    """The CPU each answer costs: `requests` sent back to back by one client, closed loop.

    CPU time (from /proc) is what a request costs whatever else the machine runs, where
    latency and req/s on a shared machine move with the other work: so this is the figure
    to compare before and after a change (and against the reference, measured the same way).
    Every answer must be a 200, or the figure would be of something else.
    """
    connection = await Connection.open(port)
    backends, server_cpu, cache_cpu = backend_cpu(database), process_tree_cpu(pid), redis_cpu()
    for request in requests:
        status = await connection.send(request)
        if status != 200:
            raise SystemExit(f"the server answered {status} while its CPU was measured")
    server_used = process_tree_cpu(pid) - server_cpu
    cache_used = redis_cpu() - cache_cpu
    backends_after = backend_cpu(database)
    connection.close()
    postgres_used = sum(cpu - backends.get(pid, 0.0) for pid, cpu in backends_after.items())
    per_answer = 1000 / len(requests)
    return CpuCost(server_used * per_answer, postgres_used * per_answer, cache_used * per_answer)


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
        publish_build(conn)
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
def server(
    app: str, port: int, workers: int, database_url: str, ready_path: str, answers: str = ""
) -> Iterator[subprocess.Popen[bytes]]:
    """uvicorn serving `app` as deployed, until the block ends (the block gets its process)."""
    env = {
        **os.environ,
        ANSWERS_ENV: answers,
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
        yield process
    finally:
        stop(process)


def uncached_requests(keys: list[tuple[str, str]], count: int, first: int = 0) -> list[bytes]:
    """`count` metrics queries, each new to the cache (a distinct supplier and date range).

    `first` skips that many queries, so each run's are new to the cache too.
    """
    requests = []
    for index in range(first, first + count):
        _supplier, key = keys[index % len(keys)]
        day = index // len(keys)
        # Distinct end dates make distinct cache keys; the range keeps a realistic answer size.
        end = f"2026-{1 + day // 28 % 12:02d}-{1 + day % 28:02d}"
        requests.append(raw_get(f"{METRICS}?start=2025-01-01&end={end}", key))
    return requests


async def answers_of(port: int, keys: list[tuple[str, str]]) -> dict[str, str]:
    """Each key's cached metrics answer, as the API sends it (bearer header -> body)."""
    connection = await Connection.open(port)
    answers = {}
    for _supplier, key in keys:
        status, body = await connection.exchange(raw_get(METRICS, key))
        if status != 200:
            raise SystemExit(f"the API answered {status} to a warmed key")
        answers[f"Bearer {key}"] = body.decode()
    connection.close()
    return answers


def write_answers(port: int, keys: list[tuple[str, str]], path: str) -> None:
    """Save each key's cached answer for the same-bytes reference, and print their sizes."""
    answers = uvloop.run(answers_of(port, keys))
    with open(path, "w") as answers_file:
        json.dump(answers, answers_file)
    sizes = sorted(len(body) for body in answers.values())
    print(
        f"cached answers: {sizes[0]:,}-{sizes[-1]:,} bytes "
        f"(median {statistics.median(sizes):,.0f})",
        flush=True,
    )


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: how busy the machine was (the noise)."""
    return " / ".join(f"{load:.2f}" for load in os.getloadavg())


def wrk_rate(port: int, key: str, seconds: float, clients: int) -> str:
    """`wrk`'s req/s on the metrics route with one key (non-2xx noted), or why it did not run."""
    if shutil.which("wrk") is None:
        return "wrk not installed (apt-get install -y wrk)"
    run = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{seconds:.0f}s",
            "-H",
            f"Authorization: Bearer {key}",
            f"http://127.0.0.1:{port}{METRICS}",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    )
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", run.stdout)
    refused = re.search(r"Non-2xx or 3xx responses: (\d+)", run.stdout)
    if rate is None:
        raise SystemExit(f"unexpected wrk output:\n{run.stdout}")
    return rate.group(1) + (f" ({refused.group(1)} non-2xx)" if refused else "")


def spread(values: list[float], unit: str, digits: int = 2) -> str:
    """min / median / max of a figure's runs."""
    low, middle, high = min(values), statistics.median(values), max(values)
    return f"{low:,.{digits}f} / {middle:,.{digits}f} / {high:,.{digits}f} {unit}"


@dataclass
class Runs:
    """Every run's figures, printed as min / median / max."""

    cached_p99: list[float] = field(default_factory=list)
    uncached_p95: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)
    reference: list[float] = field(default_factory=list)
    tiny: list[float] = field(default_factory=list)
    wrk_api: list[str] = field(default_factory=list)
    wrk_reference: list[str] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    cpu_cached: list[CpuCost] = field(default_factory=list)
    cpu_uncached: list[CpuCost] = field(default_factory=list)
    cpu_reference: list[CpuCost] = field(default_factory=list)

    def print_cpu(self) -> None:
        """CPU per answer, min / median / max of the runs, beside the reference's."""
        for name, costs in (
            ("cached", self.cpu_cached),
            ("uncached", self.cpu_uncached),
            ("same-bytes reference", self.cpu_reference),
        ):
            print(
                f"(c) CPU per answer, {name + ':':22} server "
                f"{spread([c.server_ms for c in costs], 'ms', 3)}; Postgres "
                f"{spread([c.postgres_ms for c in costs], 'ms', 3)}; Redis "
                f"{spread([c.redis_ms for c in costs], 'ms', 3)}"
            )
        ratios = [
            cached.server_ms / reference.server_ms
            for cached, reference in zip(self.cpu_cached, self.cpu_reference, strict=True)
        ]
        print(f"    cached / reference, server CPU: {spread(ratios, 'x', 2)}")


def capacity(outcome: Outcome) -> float:
    """Requests/s of a closed-loop run."""
    return len(outcome.latencies_ms) / outcome.elapsed_s


def main() -> None:
    """Prepare, run (a) and (b) `--runs` times, print the figures."""
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
    parser.add_argument("--runs", type=int, default=3, help="repeats of every figure")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--suppliers", type=int, default=200, help="suppliers' keys to spread over")
    parser.add_argument("--source-database", default=get_settings().database_name)
    parser.add_argument(
        "--tiny-reference", action="store_true", help="also run issue 8's 45-byte reference"
    )
    parser.add_argument(
        "--cpu-requests",
        type=int,
        default=3000,
        help="requests per CPU-per-answer figure (c) (uncached: a third as many)",
    )
    parser.add_argument(
        "--cpu-only", action="store_true", help="measure only the CPU per answer (c)"
    )
    args = parser.parse_args()

    url, keys = prepare_database(args.source_database, args.suppliers)
    cached = [raw_get(METRICS, key) for _, key in keys]
    total = int(args.rate * args.duration)
    uncached_rate = args.uncached_rate or args.rate
    uncached_count = int(uncached_rate * args.duration)
    cpu_cached = [cached[i % len(cached)] for i in range(args.cpu_requests)]
    cpu_uncached_count = max(1, args.cpu_requests // 3)
    bench_database = urlparse(url).path.lstrip("/")
    print(
        f"demo marts from {args.source_database!r}; {len(keys)} suppliers' keys; "
        f"{args.workers} uvicorn workers; {os.cpu_count()} cores; {args.runs} runs; "
        f"load average {load_average()}",
        flush=True,
    )
    runs = Runs()
    answers_path = os.path.join(tempfile.gettempdir(), f"wedsync_bench_answers_{os.getpid()}.json")
    for run in range(args.runs):
        with server("serving.main:app", args.port, args.workers, url, "/healthz") as api_server:
            # Warm every key's answer into the cache (and every worker's key memory).
            uvloop.run(closed_loop(args.port, cached, min(len(cached), args.clients), 3.0))
            # The CPU figures' uncached queries come after every open-loop run's.
            first_cpu_query = args.runs * uncached_count + run * cpu_uncached_count
            runs.cpu_cached.append(
                uvloop.run(cpu_per_answer(args.port, api_server.pid, cpu_cached, bench_database))
            )
            runs.cpu_uncached.append(
                uvloop.run(
                    cpu_per_answer(
                        args.port,
                        api_server.pid,
                        uncached_requests(keys, cpu_uncached_count, first_cpu_query),
                        bench_database,
                    )
                )
            )
            if run == 0:
                write_answers(args.port, keys, answers_path)
            if not args.cpu_only:
                hits = uvloop.run(
                    open_loop(args.port, [cached[i % len(cached)] for i in range(total)], args.rate)
                )
                misses = uvloop.run(
                    open_loop(
                        args.port,
                        uncached_requests(keys, uncached_count, run * uncached_count),
                        uncached_rate,
                    )
                )
                api = uvloop.run(closed_loop(args.port, cached, args.clients, args.duration))
                runs.wrk_api.append(wrk_rate(args.port, keys[0][1], args.duration, args.clients))
        with server(
            "benchmarks.api:reference_app", args.port, args.workers, url, METRICS, answers_path
        ) as reference_server:
            uvloop.run(closed_loop(args.port, cached, min(len(cached), args.clients), 1.0))
            runs.cpu_reference.append(
                uvloop.run(
                    cpu_per_answer(args.port, reference_server.pid, cpu_cached, bench_database)
                )
            )
            if not args.cpu_only:
                reference = uvloop.run(closed_loop(args.port, cached, args.clients, args.duration))
                runs.wrk_reference.append(
                    wrk_rate(args.port, keys[0][1], args.duration, args.clients)
                )
        print(
            f"run {run + 1}: CPU per answer: cached {runs.cpu_cached[-1].summary()}\n"
            f"       uncached {runs.cpu_uncached[-1].summary()}\n"
            f"       same-bytes reference {runs.cpu_reference[-1].summary()}",
            flush=True,
        )
        if args.cpu_only:
            continue
        if args.tiny_reference:
            with server("benchmarks.api:tiny_reference_app", args.port, args.workers, url, METRICS):
                tiny = uvloop.run(closed_loop(args.port, cached, args.clients, args.duration))
            runs.tiny.append(capacity(tiny))
        runs.cached_p99.append(hits.percentile(0.99))
        runs.uncached_p95.append(misses.percentile(0.95))
        runs.api.append(capacity(api))
        runs.reference.append(capacity(reference))
        for outcome in (hits, misses, api, reference):
            runs.failures.update(outcome.failure_kinds)
        print(
            f"       cached {hits.summary()}\n       uncached {misses.summary()}\n"
            f"       capacity {capacity(api):,.0f} req/s, same-bytes reference "
            f"{capacity(reference):,.0f} req/s; wrk {runs.wrk_api[-1]} vs "
            f"{runs.wrk_reference[-1]} req/s",
            flush=True,
        )
    os.unlink(answers_path)

    print(f"\nmin / median / max of {args.runs} runs (load average {load_average()})")
    runs.print_cpu()
    if args.cpu_only:
        return
    ratios = [api / reference for api, reference in zip(runs.api, runs.reference, strict=True)]
    print(f"(a) cached p99 at {args.rate:,.0f} req/s:      {spread(runs.cached_p99, 'ms')}")
    print(f"(a) uncached p95 at {uncached_rate:,.0f} req/s:    {spread(runs.uncached_p95, 'ms')}")
    print(f"(b) cached metrics, {args.clients} clients:   {spread(runs.api, 'req/s', 0)}")
    print(f"(b) same-bytes reference:         {spread(runs.reference, 'req/s', 0)}")
    print(
        f"    capacity ratio:               {spread([r * 100 for r in ratios], '%', 0)}"
        " (target >= 60%)"
    )
    if runs.tiny:
        tiny_ratios = [api / tiny * 100 for api, tiny in zip(runs.api, runs.tiny, strict=True)]
        print(
            f"    (45-byte reference:           {spread(runs.tiny, 'req/s', 0)}; "
            f"ratio {spread(tiny_ratios, '%', 0)})"
        )
    print(f"wrk, one key, API:                {', '.join(runs.wrk_api)} req/s")
    print(f"wrk, one key, same-bytes ref.:    {', '.join(runs.wrk_reference)} req/s")
    if runs.failures:
        print(f"failures: {dict(runs.failures)}")


if __name__ == "__main__":
    main()
