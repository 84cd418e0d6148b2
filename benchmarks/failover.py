"""The warehouse's primary SIGKILLed under ingest: failover time, events lost or doubled, lag.

Brings up the replicated warehouse (`wedsync.cluster.postgres_ha`: etcd, two Patroni nodes in
synchronous replication, HAProxy by Patroni's REST checks, pgbouncer) and an API (2 uvicorn
workers, a Redis of its own) writing to it through pgbouncer and reading marts from the
replica. The fault suite's paced ingest clients (`benchmarks.fault_load`: 4 clients, 500-event
batches, each retried until acknowledged) post through the API while the replica's lag is
sampled on the primary every 100 ms (`pg_stat_replication.replay_lag`, and the byte distance
between the primary's WAL and what the replica replayed). Then the primary's postmaster is
SIGKILLed, and measured:
  - failover: from the kill until HAProxy's write port reaches the promoted replica;
  - ingest gap: the longest time no batch was acknowledged, around the kill;
  - lost / doubled: acknowledged events missing from `raw.events`, ids stored twice;
  - rejoin: from the kill until the killed node is back as the synchronous standby (Patroni
    rewinds it with pg_rewind), ingest still running.
Each run kills whichever node leads, so run 2 kills the node run 1 promoted.

    python -m benchmarks.failover --runs 3 --lag-seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from benchmarks.fault_load import BATCH_EVENTS, Load
from benchmarks.fault_servers import ApiServer, PrivateRedis
from benchmarks.ingest import check_postgres
from serving.security.tenancy import apply_tenancy
from wedsync.api_keys import create_api_key
from wedsync.cluster import ClusterPorts
from wedsync.cluster.postgres_ha import PostgresHA, PostgresHAPorts
from wedsync.warehouse import apply_schema, connect, ensure_database

DATABASE = "wedsync_failover"
STEADY_LIMIT_SECONDS = 60.0
LAG_SECONDS = 6.0
SAMPLING_LIMIT_SECONDS = 300.0
SAMPLE_SECONDS = 0.1
FAILOVER_LIMIT_SECONDS = 60.0
AFTER_FAILOVER_SECONDS = 3.0
REJOIN_LIMIT_SECONDS = 120.0
INGEST_CLIENTS = 4

_REPLICATION = """
select coalesce(extract(epoch from replay_lag), 0),
       coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)
from pg_stat_replication
"""


@dataclass
class FailoverFigures:
    """What one kill cost, and the replica's lag before it."""

    killed: str
    promoted: str
    failover_seconds: float
    ingest_gap_seconds: float
    acknowledged: int
    acknowledged_after_kill: int
    #: Acknowledged once HAProxy routed to the promoted node: ingest resumed there.
    acknowledged_after_failover: int
    lost: int
    doubled: int
    rejoin_seconds: float
    lag_ms: list[float] = field(default_factory=list)
    lag_bytes: list[float] = field(default_factory=list)
    #: Events acknowledged per second while the lag was sampled (the load it was measured at).
    events_per_second: float = 0.0

    def line(self) -> str:
        """The figures on one line (what `main` prints)."""
        return (
            f"killed {self.killed}, promoted {self.promoted}:"
            f" failover {self.failover_seconds:.1f} s  ingest gap {self.ingest_gap_seconds:.1f} s"
            f"  acked {self.acknowledged:,}"
            f" ({self.acknowledged_after_kill:,} after the kill,"
            f" {self.acknowledged_after_failover:,} after the failover)  lost {self.lost}"
            f"  doubled {self.doubled}  replica lag p50 {percentile(self.lag_ms, 50):.1f} ms"
            f" p99 {percentile(self.lag_ms, 99):.1f} ms max {max(self.lag_ms, default=0):.1f} ms"
            f" (p99 {percentile(self.lag_bytes, 99) / 1024:.0f} KiB behind,"
            f" {len(self.lag_ms)} samples at {self.events_per_second:,.0f} events/s)"
            f"  killed node back as standby {self.rejoin_seconds:.1f} s"
            " after the kill"
        )


def percentile(values: list[float], p: float) -> float:
    """The `p`th percentile (nearest rank); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


@dataclass(frozen=True)
class FailoverRig:
    """The replicated warehouse, an API writing to it, and the platform's key."""

    ha: PostgresHA
    api: ApiServer
    platform_key: str

    @property
    def database_url(self) -> str:
        """The warehouse through pgbouncer (whichever node is primary)."""
        return self.ha.url(DATABASE)


def free_port() -> int:
    """A port nothing listens on now (for the API)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def failover_rig(ports: PostgresHAPorts) -> Iterator[FailoverRig]:
    """Bring the replicated warehouse, a Redis and an API up in a temporary directory.

    The Redis is the rig's own: cached answers are keyed by tenant and data version, which a
    fresh warehouse repeats, so a shared Redis would answer from an earlier rig's marts.
    """
    root = Path(tempfile.mkdtemp(prefix="wedsync-postgres-ha-"))
    ha = PostgresHA(ports, root)
    cache = PrivateRedis(free_port())
    api: ApiServer | None = None
    try:
        ha.up()
        cache.start()
        url = ha.url(DATABASE)
        ensure_database(url)
        with connect(url) as conn:
            apply_schema(conn)
            apply_tenancy(conn)
            platform_key = create_api_key(conn, None, "platform", "failover test")
        # Mart reads go to the replica (ingest, which this measures, to the primary).
        replica = {"WEDSYNC_REPLICA_DATABASE_URL": ha.url(DATABASE, ha.ports.replica)}
        api = ApiServer(free_port(), url, cache.url, workers=2, extra_env=replica)
        api.start()
        yield FailoverRig(ha, api, platform_key)
    finally:
        if api is not None:
            api.stop()
        cache.kill()
        ha.destroy()


def sample_lag(ha: PostgresHA, node: int, stop: threading.Event) -> tuple[list[float], list[float]]:
    """Sample the standby's replay lag (ms) and distance (bytes) on `node` until `stop`."""
    lag_ms: list[float] = []
    lag_bytes: list[float] = []
    url = ha.url("postgres", port=ha.ports.postgres(node))
    with psycopg.connect(url, autocommit=True) as conn:
        deadline = time.monotonic() + SAMPLING_LIMIT_SECONDS
        while not stop.is_set() and time.monotonic() < deadline:
            for seconds, distance in conn.execute(_REPLICATION).fetchall():
                lag_ms.append(float(seconds) * 1000)
                lag_bytes.append(float(distance))
            time.sleep(SAMPLE_SECONDS)
    return lag_ms, lag_bytes


def routed_to_new_primary(ha: PostgresHA, old_port: int) -> bool:
    """Whether HAProxy's write port now reaches a writable node other than the killed one."""
    try:
        with psycopg.connect(ha.url("postgres", port=ha.ports.primary), connect_timeout=1) as conn:
            row = conn.execute("select pg_is_in_recovery(), inet_server_port()").fetchone()
    except psycopg.Error:
        return False
    return row is not None and not row[0] and row[1] != old_port


def is_standby(ha: PostgresHA, node: int) -> bool:
    """Whether `node` is the synchronous standby (streaming from the primary) now."""
    return ha.roles().get(f"node{node}") == "sync_standby"


async def _kill_under_ingest(rig: FailoverRig, lag_seconds: float) -> FailoverFigures:
    load = Load(rig.api.base_url, rig.platform_key, [])
    clients = asyncio.create_task(load.run(ingest_clients=INGEST_CLIENTS, feeds=0))
    try:
        for _ in range(int(STEADY_LIMIT_SECONDS / SAMPLE_SECONDS)):
            if load.steady():
                break
            await asyncio.sleep(SAMPLE_SECONDS)
        victim = rig.ha.leader()
        stop_sampling = threading.Event()
        sampler = asyncio.create_task(asyncio.to_thread(sample_lag, rig.ha, victim, stop_sampling))
        acked_before_lag = len(load.seen.acked_batches)
        await asyncio.sleep(lag_seconds)
        stop_sampling.set()
        lag_ms, lag_bytes = await sampler
        load_rate = (len(load.seen.acked_batches) - acked_before_lag) * BATCH_EVENTS / lag_seconds

        acked_before = len(load.seen.acked_batches)
        ack_times = [(time.monotonic(), acked_before)]
        rig.ha.kill_postgres(victim)
        killed_at = time.monotonic()
        failover = rejoin = float("inf")
        acked_at_failover = len(load.seen.acked_batches)
        old_port = rig.ha.ports.postgres(victim)
        # Ingest goes on until the killed node is the standby again (or the limit passes).
        while time.monotonic() - killed_at < REJOIN_LIMIT_SECONDS:
            ack_times.append((time.monotonic(), len(load.seen.acked_batches)))
            since_kill = time.monotonic() - killed_at
            if failover == float("inf") and await asyncio.to_thread(
                routed_to_new_primary, rig.ha, old_port
            ):
                failover = since_kill
                acked_at_failover = len(load.seen.acked_batches)
            if rejoin == float("inf") and await asyncio.to_thread(is_standby, rig.ha, victim):
                rejoin = since_kill
            if max(failover, rejoin) + AFTER_FAILOVER_SECONDS < since_kill:
                break
            await asyncio.sleep(SAMPLE_SECONDS)
        acked_after_kill = len(load.seen.acked_batches) - acked_before
        acked_after_failover = len(load.seen.acked_batches) - acked_at_failover
    finally:
        await load.stop()
        await asyncio.wait_for(clients, 150)
    promoted = rig.ha.leader()
    if rejoin != float("inf"):
        await asyncio.to_thread(rig.ha.wait_routed)
    acked_ids = [
        event_id
        for index in sorted(load.seen.acked_batches)
        for event_id in load.batches[index].event_ids
    ]
    check = check_postgres(rig.database_url, acked_ids)
    return FailoverFigures(
        killed=f"node{victim}",
        promoted=f"node{promoted}",
        failover_seconds=failover,
        ingest_gap_seconds=_longest_gap(ack_times),
        acknowledged=len(acked_ids),
        acknowledged_after_kill=acked_after_kill * BATCH_EVENTS,
        acknowledged_after_failover=acked_after_failover * BATCH_EVENTS,
        lost=check.lost,
        doubled=check.doubled,
        rejoin_seconds=rejoin,
        lag_ms=lag_ms,
        lag_bytes=lag_bytes,
        events_per_second=load_rate,
    )


def _longest_gap(samples: list[tuple[float, int]]) -> float:
    """The longest time the acknowledged count stood still, from (time, count) samples."""
    longest, since = 0.0, samples[0]
    for moment, count in samples[1:]:
        if count != since[1]:
            longest = max(longest, moment - since[0])
            since = (moment, count)
    return max(longest, samples[-1][0] - since[0])


def kill_primary_under_ingest(
    rig: FailoverRig, lag_seconds: float = LAG_SECONDS
) -> FailoverFigures:
    """SIGKILL the primary's Postgres while the API ingests; the figures (see the docstring).

    The replica's lag is sampled for `lag_seconds` first (10 samples a second).
    """
    return asyncio.run(_kill_under_ingest(rig, lag_seconds))


def main() -> None:
    """Bring the rig up once, kill the primary `--runs` times, print each run and a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--lag-seconds", type=float, default=20.0, help="how long the lag is sampled before a kill"
    )
    args = parser.parse_args()
    runs = []
    ports = PostgresHAPorts.of(ClusterPorts.from_env())
    with failover_rig(ports) as rig:
        for run in range(1, args.runs + 1):
            runs.append(kill_primary_under_ingest(rig, args.lag_seconds))
            print(f"run {run}: {runs[-1].line()}", flush=True)
    for name, values in (
        ("failover s", [r.failover_seconds for r in runs]),
        ("ingest gap s", [r.ingest_gap_seconds for r in runs]),
        ("lag p50 ms", [percentile(r.lag_ms, 50) for r in runs]),
        ("lag p99 ms", [percentile(r.lag_ms, 99) for r in runs]),
    ):
        print(
            f"{name:<13} min {min(values):7.1f}  median {statistics.median(values):7.1f}"
            f"  max {max(values):7.1f}"
        )
    print(
        f"lost {sum(r.lost for r in runs)}  doubled {sum(r.doubled for r in runs)}"
        " (targets: failover <= 30 s, 0 lost, 0 doubled, lag p99 < 1 s)"
    )


if __name__ == "__main__":
    main()
