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

`--load ingest` measures the lag alone, at the ingest benchmark's load: its unpaced clients
(`benchmarks.ingest`: 16 clients posting 1,000-event batches back to back, every 50th sent
twice) through the same API, no kill; each run also checks that every acknowledged event is
stored once. Both loads sample `replay_lag` and probe the replica (`benchmarks.replica_lag`).

    python -m benchmarks.failover --runs 3 --lag-seconds 20
    python -m benchmarks.failover --runs 3 --lag-seconds 20 --load ingest
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from benchmarks.fault_load import BATCH_EVENTS, Load
from benchmarks.fault_servers import ApiServer, PrivateRedis
from benchmarks.ingest import Tally, check_postgres, drive, make_batch
from benchmarks.replica_lag import LagSamples, percentile, sampled_during
from serving.security.tenancy import apply_tenancy
from wedsync.api_keys import create_api_key
from wedsync.cluster import ClusterPorts
from wedsync.cluster.postgres_ha import PostgresHA, PostgresHAPorts
from wedsync.warehouse import apply_schema, connect, ensure_database

DATABASE = "wedsync_failover"
STEADY_LIMIT_SECONDS = 60.0
LAG_SECONDS = 6.0
SAMPLE_SECONDS = 0.1
FAILOVER_LIMIT_SECONDS = 60.0
AFTER_FAILOVER_SECONDS = 3.0
REJOIN_LIMIT_SECONDS = 120.0
INGEST_CLIENTS = 4
#: The ingest benchmark's defaults (`benchmarks/ingest.py`), for `--load ingest`.
UNPACED_CLIENTS = 16
UNPACED_BATCH_EVENTS = 1000
UNPACED_SUPPLIERS = 600
UNPACED_REPLAY_EVERY = 50


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
    lag: LagSamples = field(default_factory=LagSamples)
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
            f"  doubled {self.doubled}  {self.lag.summary()}"
            f" at {self.events_per_second:,.0f} events/s"
            f"  killed node back as standby {self.rejoin_seconds:.1f} s"
            " after the kill"
        )


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
        acked_before_lag = len(load.seen.acked_batches)
        _, lag = await sampled_during(rig.ha, asyncio.sleep(lag_seconds))
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
        lag=lag,
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


@dataclass
class IngestLag:
    """The replica's lag while the ingest benchmark's unpaced clients wrote through the API."""

    lag: LagSamples
    tally: Tally
    seconds: float
    lost: int
    doubled: int

    @property
    def events_per_second(self) -> float:
        """Events acknowledged (and stored: duplicates left out) per second."""
        return self.tally.accepted / self.seconds

    def line(self) -> str:
        """The figures on one line (what `main` prints)."""
        return (
            f"{self.tally.accepted:,} events in {self.seconds:.1f} s"
            f" ({self.events_per_second:,.0f} events/s, HTTP errors {self.tally.errors})"
            f"  lost {self.lost}  doubled {self.doubled}  {self.lag.summary()}"
        )


def lag_under_ingest(rig: FailoverRig, seconds: float, target: float) -> IngestLag:
    """The replica's lag while `UNPACED_CLIENTS` of the ingest benchmark post for `seconds`.

    Batches are made beforehand for `target` events/s (as the ingest benchmark does, so making
    them takes no CPU from the servers); the clients stop early if they run out.
    """
    needed = int(target * seconds / UNPACED_BATCH_EVENTS) + UNPACED_CLIENTS
    batches = [make_batch(UNPACED_BATCH_EVENTS, UNPACED_SUPPLIERS, i) for i in range(needed)]
    clients = drive(
        rig.api.base_url,
        rig.platform_key,
        batches,
        UNPACED_CLIENTS,
        seconds,
        UNPACED_REPLAY_EVERY,
    )
    (tally, elapsed), lag = asyncio.run(sampled_during(rig.ha, clients))
    acked_ids = [event_id for i in sorted(tally.acked_batches) for event_id in batches[i].event_ids]
    check = check_postgres(rig.database_url, acked_ids)
    return IngestLag(lag, tally, elapsed, check.lost, check.doubled)


def summarise(figures: dict[str, list[float]]) -> None:
    """min / median / max of each figure over the runs."""
    for name, values in figures.items():
        print(
            f"{name:<16} min {min(values):9.1f}  median {statistics.median(values):9.1f}"
            f"  max {max(values):9.1f}"
        )


def lag_figures(runs: list[LagSamples]) -> dict[str, list[float]]:
    """p50 / p99 / max of `replay_lag` and of the probe, per run."""
    return {
        "lag p50 ms": [percentile(r.lag_ms, 50) for r in runs],
        "lag p99 ms": [percentile(r.lag_ms, 99) for r in runs],
        "lag max ms": [max(r.lag_ms, default=float("nan")) for r in runs],
        "probe p50 ms": [percentile(r.probe_ms, 50) for r in runs],
        "probe p99 ms": [percentile(r.probe_ms, 99) for r in runs],
        "probe max ms": [max(r.probe_ms, default=float("nan")) for r in runs],
        "received p99 ms": [percentile(r.received_ms, 99) for r in runs],
    }


def main() -> None:
    """Bring the rig up once, run `--runs` times (a kill, or the lag under unpaced ingest),
    print each run and a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--lag-seconds", type=float, default=20.0, help="how long the lag is sampled in each run"
    )
    parser.add_argument(
        "--load",
        choices=("paced", "ingest"),
        default="paced",
        help="paced: the fault suite's clients, then a kill; ingest: the ingest benchmark's"
        " unpaced clients, the lag only",
    )
    parser.add_argument(
        "--target", type=float, default=50_000, help="events/s to make batches for (--load ingest)"
    )
    args = parser.parse_args()
    ports = PostgresHAPorts.of(ClusterPorts.from_env())
    if args.load == "ingest":
        ingest_runs = []
        with failover_rig(ports) as rig:
            for run in range(1, args.runs + 1):
                ingest_runs.append(lag_under_ingest(rig, args.lag_seconds, args.target))
                print(f"run {run}: {ingest_runs[-1].line()}", flush=True)
        summarise(
            {
                **lag_figures([r.lag for r in ingest_runs]),
                "events/s": [r.events_per_second for r in ingest_runs],
            }
        )
        print(
            f"lost {sum(r.lost for r in ingest_runs)}"
            f"  doubled {sum(r.doubled for r in ingest_runs)} (target: lag p99 < 1 s)"
        )
        return
    runs = []
    with failover_rig(ports) as rig:
        for run in range(1, args.runs + 1):
            runs.append(kill_primary_under_ingest(rig, args.lag_seconds))
            print(f"run {run}: {runs[-1].line()}", flush=True)
    summarise(
        {
            "failover s": [r.failover_seconds for r in runs],
            "ingest gap s": [r.ingest_gap_seconds for r in runs],
            **lag_figures([r.lag for r in runs]),
        }
    )
    print(
        f"lost {sum(r.lost for r in runs)}  doubled {sum(r.doubled for r in runs)}"
        " (targets: failover <= 30 s, 0 lost, 0 doubled, lag p99 < 1 s)"
    )


if __name__ == "__main__":
    main()
