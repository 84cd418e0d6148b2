"""Live-event ingest throughput: HTTP -> committed in Postgres, nothing lost, nothing twice.

Starts the API as deployed (uvicorn, `--workers`), against a fresh benchmark database, then drives
it over loopback with concurrent clients posting 1,000-event batches for `--duration` seconds
(a share of batches is sent twice, as a client retrying after a timeout would). Afterwards it
checks Postgres: every acknowledged event stored exactly once, no replay stored twice.

    python -m benchmarks.ingest --duration 30 --clients 16
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from itertools import count

import httpx
import msgspec

from wedsync.api_keys import create_api_key
from wedsync.settings import get_settings
from wedsync.warehouse import apply_schema, connect, ensure_database

BENCH_DATABASE = "wedsync_bench_ingest"
EVENT_TYPES = ("profile_view", "enquiry_created", "quote_sent", "booking_confirmed")


@dataclass
class Tally:
    """What the clients saw."""

    batches: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    acked_batches: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Batch:
    """A request body and the event ids it carries (to check Postgres against afterwards)."""

    body: bytes
    event_ids: list[str]


def make_batch(size: int, suppliers: int, serial: int) -> Batch:
    """One batch of valid, distinct events (fresh UUIDs) that happened in the last hour.

    Live events are live: they occurred moments before they are sent, so the (supplier, day)
    counters they bump repeat from batch to batch, as they do in production.
    """
    hour_ago = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    moments = [(hour_ago + dt.timedelta(seconds=s)).isoformat() for s in range(0, 3600, 60)]
    event_ids = [str(uuid.uuid4()) for _ in range(size)]
    events = [
        {
            "event_id": event_ids[i],
            "event_type": EVENT_TYPES[i % len(EVENT_TYPES)],
            "occurred_at": moments[(serial + i) % len(moments)],
            "supplier_id": f"sup_{(serial * size + i) % suppliers:06d}",
            "couple_id": f"cpl_{i:06d}",
            "wedding_date": "2027-08-14",
            "properties": {"guest_count": 80 + i % 40, "budget_gbp": 18000},
        }
        for i in range(size)
    ]
    return Batch(msgspec.json.encode(events), event_ids)


async def client_loop(
    client: httpx.AsyncClient,
    batches: list[Batch],
    next_index: count[int],
    deadline: float,
    replay_every: int,
    tally: Tally,
) -> None:
    """Post batches until the deadline; every `replay_every`-th batch is sent a second time."""
    while time.perf_counter() < deadline:
        index = next(next_index)
        if index >= len(batches):
            return
        sends = 2 if replay_every and index % replay_every == 0 else 1
        for _ in range(sends):
            started = time.perf_counter()
            response = await client.post("/api/events", content=batches[index].body)
            tally.latencies_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code != 202:
                tally.errors += 1
                continue
            answer = response.json()
            tally.acked_batches.add(index)
            tally.batches += 1
            tally.accepted += answer["accepted"]
            tally.duplicates += answer["duplicates"]
            tally.rejected += len(answer["rejected"])


async def drive(
    base_url: str,
    key: str,
    batches: list[Batch],
    clients: int,
    seconds: float,
    replay_every: int,
) -> tuple[Tally, float]:
    """Run `clients` unpaced clients on the API at `base_url` for `seconds` (or until `batches`
    run out); return their tally and the elapsed seconds. The failover benchmark drives the
    replicated warehouse's API with these same clients (`--load ingest`)."""
    tally, next_index = Tally(), count()
    async with httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        limits=httpx.Limits(max_connections=clients),
        timeout=60,
    ) as client:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(
            *(
                client_loop(client, batches, next_index, deadline, replay_every, tally)
                for _ in range(clients)
            )
        )
        return tally, time.perf_counter() - started


def wait_until_ready(port: int, server: subprocess.Popen[bytes], path: str = "/healthz") -> None:
    """Poll `path` until the server answers 200 (or fail if it died)."""
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not become ready")


def stop(server: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Ask the server to stop (SIGTERM, so it shuts down as deployed); kill it if it lingers."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()


def main() -> None:
    """Set up, run, verify and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--suppliers", type=int, default=600)
    parser.add_argument("--target", type=int, default=50_000, help="events/s to prepare for")
    parser.add_argument("--replay-every", type=int, default=50, help="resend every n-th batch")
    args = parser.parse_args()

    url = get_settings().database_url_for(BENCH_DATABASE)
    ensure_database(url)
    with connect(url) as conn:
        apply_schema(conn)
        conn.execute("truncate raw.events, raw.event_ids, raw.events_rejected")
        key = create_api_key(conn, None, "platform", "ingest benchmark")

    batches_needed = int(args.target * 1.5 * args.duration / args.batch) + args.clients
    prepared = time.perf_counter()
    batches = [make_batch(args.batch, args.suppliers, i) for i in range(batches_needed)]
    print(f"prepared {len(batches)} batches in {time.perf_counter() - prepared:.1f}s", flush=True)

    env = {**os.environ, "WEDSYNC_DATABASE_URL": url}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "serving.main:app",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        wait_until_ready(args.port, server)
        tally, elapsed = asyncio.run(
            drive(
                f"http://127.0.0.1:{args.port}",
                key,
                batches,
                args.clients,
                args.duration,
                args.replay_every,
            )
        )
    finally:
        stop(server)

    acked_ids = [event_id for i in sorted(tally.acked_batches) for event_id in batches[i].event_ids]
    check = check_postgres(url, acked_ids)
    rate = tally.accepted / elapsed
    latencies = sorted(tally.latencies_ms)
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    print(f"duration           {elapsed:.1f} s, {args.clients} clients, {args.workers} workers")
    print(f"batches acked      {tally.batches} (HTTP errors: {tally.errors})")
    print(f"events accepted    {tally.accepted:,}  ({rate:,.0f} events/s sustained)")
    print(f"duplicates (replayed, not stored) {tally.duplicates:,}; rejected {tally.rejected}")
    print(f"batch latency      p50 {statistics.median(latencies):.1f} ms, p99 {p99:.1f} ms")
    print(f"postgres           {check.stored:,} rows, {check.distinct:,} distinct event ids")
    verdict = "OK" if check.lost == check.doubled == 0 else "FAIL"
    print(f"acked but missing {check.lost}, stored twice {check.doubled}  ->  {verdict}")


@dataclass(frozen=True)
class Check:
    """What Postgres holds compared with what the clients saw acknowledged."""

    stored: int
    distinct: int
    lost: int

    @property
    def doubled(self) -> int:
        """Rows beyond the first of their event id."""
        return self.stored - self.distinct


def check_postgres(url: str, acked_ids: list[str]) -> Check:
    """Count acknowledged events missing from `raw.events`, and ids stored more than once."""
    with connect(url) as conn:
        conn.execute("create temporary table acked (event_id uuid not null)")
        with conn.cursor().copy("copy acked (event_id) from stdin") as copy:
            for event_id in acked_ids:
                copy.write_row((event_id,))
        row = conn.execute(
            "select (select count(*) from raw.events), "
            "(select count(distinct event_id) from raw.events), "
            "(select count(*) from acked a "
            " where not exists (select 1 from raw.events e where e.event_id = a.event_id))"
        ).fetchone()
    assert row is not None
    return Check(stored=row[0], distinct=row[1], lost=row[2])


if __name__ == "__main__":
    main()
