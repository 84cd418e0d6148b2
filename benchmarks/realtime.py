"""Live feed at scale: N dashboards on one API process, events through the real ingest endpoint.

Starts the API as deployed (uvicorn, one process, the live feed installed) on the
`wedsync_dev_realtime` database and a private Redis, opens `--connections` WebSockets (spread over
`--suppliers` suppliers, from `--client-processes` processes so the clients do not starve on one
core), then posts one event per supplier per round to `POST /api/events` and times each
dashboard's delta. Rounds are spaced wider than the 1 s coalescing interval, so every round is
one frame per connection. Prints connections held, server memory per connection (RSS delta / N)
and delivery latency from the `202` acknowledgement to receipt.

    python -m benchmarks.realtime --connections 10000
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import multiprocessing as mp
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

import httpx
import msgspec
import redis
import uvloop

from benchmarks.dashboards import Dashboard, Receipt, open_dashboard
from benchmarks.ingest import stop, wait_until_ready
from wedsync.api_keys import create_api_key
from wedsync.events.live import channel
from wedsync.settings import get_settings
from wedsync.warehouse import apply_schema, ensure_database
from wedsync.warehouse import connect as connect_warehouse

BENCH_DATABASE = "wedsync_dev_realtime"
APP_FACTORY = "serving.main:create_app"
# Pub/sub channels are shared by every Redis db: a range of supplier ids no test uses.
FIRST_SUPPLIER = 950_000
HANDSHAKES_IN_FLIGHT = 64


@dataclass(frozen=True)
class ClientShare:
    """What one client process opens: its keys (one per connection) and the server address."""

    port: int
    keys: list[str]


def raise_file_limit() -> int:
    """Lift the soft open-files limit to the hard one (inherited by the server and clients)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident memory of a process, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


async def _open(port: int, key: str, gate: asyncio.Semaphore) -> Dashboard | None:
    async with gate:
        try:
            return await open_dashboard(port, key)
        except (OSError, TimeoutError) as error:  # counted and printed, not fatal
            print(f"connection failed: {error!r}", file=sys.stderr, flush=True)
            return None


async def _dashboards(share: ClientShare, pipe: Connection) -> None:
    gate = asyncio.Semaphore(HANDSHAKES_IN_FLIGHT)
    opened = await asyncio.gather(*(_open(share.port, key, gate) for key in share.keys))
    dashboards = [dashboard for dashboard in opened if dashboard is not None]
    pipe.send(len(dashboards))
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # the rounds are over
    still_open = sum(1 for dashboard in dashboards if dashboard.open)
    pipe.send((still_open, [dashboard.receipts for dashboard in dashboards]))
    for dashboard in dashboards:
        dashboard.close()


def run_dashboards(share: ClientShare, pipe: Connection) -> None:
    """A client process: open its share of connections, then record every delta's arrival.

    On uvloop, as the server is: the clients share the 2-core machine with the server, and
    asyncio's pure-Python loop cost them half as much CPU again (~150 ms a round, not ~100 ms).
    """
    uvloop.run(_dashboards(share, pipe))


def round_batch(suppliers: list[str]) -> bytes:
    """One event per supplier, occurring now."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return msgspec.json.encode(
        [
            {
                "event_id": str(uuid.uuid4()),
                "event_type": "enquiry_created",
                "occurred_at": now,
                "supplier_id": supplier_id,
                "couple_id": "cpl_000001",
                "properties": {"guest_count": 100},
            }
            for supplier_id in suppliers
        ]
    )


def publish_rounds(
    port: int, key: str, suppliers: list[str], rounds: int, interval: float
) -> list[tuple[float, float]]:
    """Post the rounds; (sent, acknowledged) monotonic times of each."""
    times = []
    auth = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for _ in range(rounds):
            body = round_batch(suppliers)
            sent = time.monotonic()
            answer = client.post("/api/events", content=body, headers=auth)
            acknowledged = time.monotonic()
            if answer.status_code != 202 or answer.json()["accepted"] != len(suppliers):
                raise SystemExit(f"ingest refused a round: {answer.status_code} {answer.text}")
            times.append((sent, acknowledged))
            # Jitter, so rounds do not phase-lock with the server's periodic work (the hub's
            # heartbeat tick, keepalive pings).
            time.sleep(interval + random.uniform(0, 0.5))
    return times


class PublishWatch:
    """Sees the ingest path's publishes in Redis, to split latency into ingest and fan-out."""

    def __init__(self, redis_url: str, pattern: str):
        self.arrivals: list[float] = []
        self._pubsub = redis.Redis.from_url(redis_url).pubsub()
        self._pubsub.psubscribe(pattern)
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        try:
            for message in self._pubsub.listen():
                if message["type"] == "pmessage":
                    self.arrivals.append(time.monotonic())
        except redis.ConnectionError:
            return  # the private Redis stopped: the run is over


def round_of(t: float, starts: list[float]) -> int | None:
    """The round a time belongs to: the last one whose request was sent at or before it."""
    index = bisect.bisect_right(starts, t) - 1
    return index if index >= 0 else None


def latencies_ms(
    receipts: list[list[Receipt]], rounds: list[tuple[float, float]], published: list[float]
) -> tuple[list[float], list[float]]:
    """Per delta frame, in ms: receipt - acknowledgement of its round, and receipt - the first
    publish of its round seen in Redis (the hub's share)."""
    starts = [sent for sent, _ in rounds]
    first_publish: dict[int, float] = {}
    for t in published:
        index = round_of(t, starts)
        if index is not None:
            first_publish.setdefault(index, t)
    from_ack: list[float] = []
    from_publish: list[float] = []
    for connection in receipts:
        for received, _ in connection:
            index = round_of(received, starts)
            if index is None:
                continue
            from_ack.append((received - rounds[index][1]) * 1000)
            if index in first_publish:
                from_publish.append((received - first_publish[index]) * 1000)
    return from_ack, from_publish


def percentile(sorted_values: list[float], share: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    return sorted_values[max(0, int(len(sorted_values) * share + 0.5) - 1)]


def prepare_keys(url: str, suppliers: list[str]) -> tuple[str, dict[str, str]]:
    """A platform key for publishing and one key per supplier (its dashboards sign in with it)."""
    ensure_database(url)
    with connect_warehouse(url) as conn:
        apply_schema(conn)
        conn.execute("delete from app.api_keys where label = 'realtime benchmark'")
        conn.commit()
        platform = create_api_key(conn, None, "platform", "realtime benchmark")
        keys = {s: create_api_key(conn, s, "professional", "realtime benchmark") for s in suppliers}
    return platform, keys


@contextmanager
def private_redis() -> Iterator[str]:
    """A Redis server of the benchmark's own on a free port.

    Pub/sub is server-wide (not per database), so on a shared Redis every other publisher's
    deltas reach the hub too and skew the figures.
    """
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server not found: pass --redis-url to use a running Redis")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--maxclients", "1000"]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def api_server(args: argparse.Namespace, database_url: str, redis_url: str) -> Iterator[int]:
    """The API as deployed, one uvicorn process with the live feed; yields its pid."""
    env = {
        **os.environ,
        "WEDSYNC_DATABASE_URL": database_url,
        "WEDSYNC_REDIS_URL": redis_url,
        # 10,000 dashboards over 100 suppliers: more per supplier than a professional tier may
        # hold (serving.limits.connections); this measures the fan-out, not the caps.
        "WEDSYNC_WS_CONNECTIONS_PROFESSIONAL": "none",
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", APP_FACTORY,
               "--port", str(args.port), "--ws", args.ws, "--ws-per-message-deflate", "false",
               "--no-access-log", "--log-level", "warning", "--backlog", "4096"]  # fmt: skip
    server = subprocess.Popen(command, env=env)
    try:
        wait_until_ready(args.port, server)
        yield server.pid
    finally:
        stop(server, timeout=60)


@dataclass
class Figures:
    """What one run measured."""

    held: int = 0
    connect_seconds: float = 0.0
    rss_idle: int = 0
    rss_held: int = 0
    server_cpu_seconds: float = 0.0
    still_open: int = 0
    rounds: list[tuple[float, float]] = field(default_factory=list)
    receipts: list[list[Receipt]] = field(default_factory=list)
    published: list[float] = field(default_factory=list)


def measure(args: argparse.Namespace, database_url: str, redis_url: str) -> Figures:
    """Open the dashboards, publish the rounds, collect what every dashboard received."""
    suppliers = [f"sup_{FIRST_SUPPLIER + i:06d}" for i in range(args.suppliers)]
    platform_key, supplier_keys = prepare_keys(database_url, suppliers)
    keys = [supplier_keys[suppliers[i % len(suppliers)]] for i in range(args.connections)]
    figures = Figures()
    clients: list[tuple[mp.Process, Connection]] = []
    with api_server(args, database_url, redis_url) as pid:
        figures.rss_idle = rss_bytes(pid)
        connecting = time.monotonic()
        try:
            for n in range(args.client_processes):
                ours, theirs = mp.Pipe()
                share = ClientShare(args.port, keys[n :: args.client_processes])
                process = mp.Process(target=run_dashboards, args=(share, theirs), daemon=True)
                process.start()
                clients.append((process, ours))
            figures.held = sum(pipe.recv() for _, pipe in clients)
            figures.connect_seconds = time.monotonic() - connecting
            time.sleep(2.0)  # let the server settle (allocations, ping timers) before measuring
            figures.rss_held = rss_bytes(pid)
            watch = PublishWatch(redis_url, channel("sup_95*"))
            cpu_before = cpu_seconds(pid)
            figures.rounds = publish_rounds(
                args.port, platform_key, suppliers, args.rounds, args.interval
            )
            time.sleep(1.0)
            figures.server_cpu_seconds = cpu_seconds(pid) - cpu_before
            figures.published = watch.arrivals
            for _, pipe in clients:
                pipe.send("done")
                open_count, share_receipts = pipe.recv()
                figures.still_open += open_count
                figures.receipts.extend(share_receipts)
        finally:
            for process, _ in clients:
                process.join(timeout=30)
                if process.is_alive():
                    process.kill()
    return figures


def report(args: argparse.Namespace, figures: Figures, file_limit: int) -> None:
    """Print the figures."""
    per_connection = (figures.rss_held - figures.rss_idle) / max(figures.held, 1)
    from_ack, fan_out = latencies_ms(figures.receipts, figures.rounds, figures.published)
    from_ack.sort()
    fan_out.sort()
    expected = figures.held * args.rounds
    delivered = sum(events for connection in figures.receipts for _, events in connection)
    frames = sum(len(connection) for connection in figures.receipts)
    acks = [(ack - sent) * 1000 for sent, ack in figures.rounds]
    print(
        f"connections held   {figures.held:,} of {args.connections:,} in one API process "
        f"(opened in {figures.connect_seconds:.1f} s; open-files limit {file_limit:,})"
    )
    print(
        f"server memory      {figures.rss_idle / 2**20:.0f} MiB idle -> "
        f"{figures.rss_held / 2**20:.0f} MiB = {per_connection / 1024:.1f} KiB per connection"
    )
    print(
        f"rounds             {args.rounds} x {args.suppliers} events through POST /api/events "
        f"(ack p50 {statistics.median(acks):.1f} ms)"
    )
    print(
        f"delivered          {delivered:,} of {expected:,} events in {frames:,} frames "
        f"({expected - delivered:,} missing); {figures.still_open:,} connections still open"
    )
    if from_ack:
        print(
            f"latency ack->recv  p50 {percentile(from_ack, 0.50):.1f} ms, "
            f"p99 {percentile(from_ack, 0.99):.1f} ms, max {from_ack[-1]:.1f} ms "
            "(target p99 <= 250 ms)"
        )
    busy = figures.server_cpu_seconds / max(args.rounds, 1)
    print(
        f"server CPU         {busy * 1000:.0f} ms per round (ingest + fan-out to "
        f"{figures.held:,} dashboards, heartbeats, pings) = "
        f"{busy * 1e6 / max(figures.held, 1):.0f} us per delivered frame"
    )
    if fan_out:
        print(f"  publish->recv    p50 {percentile(fan_out, 0.50):.1f} ms, "
              f"p99 {percentile(fan_out, 0.99):.1f} ms (the hub's share; the rest is the "
              "ingest path's live-counter publish, serving.live.counters)")  # fmt: skip


def main() -> None:
    """Parse the options, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=10_000)
    parser.add_argument("--suppliers", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between rounds")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument(
        "--ws", default="websockets-sansio", help="uvicorn --ws implementation (as deployed)"
    )
    parser.add_argument("--redis-url", help="use this Redis (default: start a private one)")
    args = parser.parse_args()

    file_limit = raise_file_limit()
    if args.connections + 100 > file_limit:
        raise SystemExit(f"{args.connections} connections need more than {file_limit} open files")
    database_url = get_settings().database_url_for(BENCH_DATABASE)
    if args.redis_url:
        figures = measure(args, database_url, args.redis_url)
    else:
        with private_redis() as redis_url:
            figures = measure(args, database_url, redis_url)
    report(args, figures, file_limit)


if __name__ == "__main__":
    main()
