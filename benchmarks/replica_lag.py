"""How far the replicated warehouse's standby is behind its primary, measured three ways at once.

`pg_stat_replication.replay_lag` alone can flatter: the primary learns the standby's replay
position only from the standby's feedback messages, and the column keeps its last value while
nothing new is written. So beside it (sampled on the primary every 100 ms, with the byte
distance `pg_current_wal_lsn() - replay_lsn`) a probe measures the lag as a reader of the
replica meets it: it reads the primary's current WAL position, then polls the standby until
`pg_last_wal_replay_lsn()` has reached it. That wait is how long everything written up to that
moment took to become visible on the replica; it needs no feedback message and no table. The
probe also notes when the standby had *received* (flushed) that position, so a slow probe says
which side it waited on: the stream (WAL not there yet) or replay (there, not yet applied by the
standby's one startup process). Checkpoints on each node during the window are counted too
(their full-page images swell the WAL just after).
Used by `benchmarks.failover` under the paced fault load and under the ingest benchmark's
unpaced clients (`--load ingest`).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

import psycopg

from wedsync.cluster.postgres_ha import PostgresHA
from wedsync.cluster.postgres_ports import NODES

SAMPLE_SECONDS = 0.1
#: The probe's poll of the standby: its resolution, and 500 cheap queries a second at most.
PROBE_POLL_SECONDS = 0.002
#: A probe waiting longer than this is recorded at this value (a lag that large fails anyway).
PROBE_LIMIT_SECONDS = 30.0
SAMPLING_LIMIT_SECONDS = 600.0

_REPLICATION = """
select coalesce(extract(epoch from replay_lag), 0),
       coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), 0)
from pg_stat_replication
"""
_CAUGHT_UP = """
select coalesce(pg_last_wal_receive_lsn() >= %(lsn)s::pg_lsn, false),
       coalesce(pg_last_wal_replay_lsn() >= %(lsn)s::pg_lsn, false)
"""
_CHECKPOINTS = "select checkpoints_timed + checkpoints_req from pg_stat_bgwriter"

T = TypeVar("T")


def percentile(values: list[float], p: float) -> float:
    """The `p`th percentile (nearest rank); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


@dataclass
class LagSamples:
    """The standby's lag over one sampling window."""

    #: `replay_lag` as the primary reports it (ms), every 100 ms.
    lag_ms: list[float] = field(default_factory=list)
    #: Bytes of WAL the standby had still to replay, at the same moments.
    lag_bytes: list[float] = field(default_factory=list)
    #: The probe: ms until the standby had replayed the primary's WAL position of that moment.
    probe_ms: list[float] = field(default_factory=list)
    #: ms until the standby had received (flushed) it, of the same probes.
    received_ms: list[float] = field(default_factory=list)
    #: Checkpoints (restartpoints on the standby) during the window: (primary, standby).
    checkpoints: tuple[int, int] = (0, 0)

    def summary(self) -> str:
        """p50 / p99 / max of each measure, on one line."""
        return (
            f"replay_lag p50 {percentile(self.lag_ms, 50):.1f} ms"
            f" p99 {percentile(self.lag_ms, 99):.1f} ms max {max(self.lag_ms, default=0):.1f} ms"
            f" ({len(self.lag_ms)} samples; p99 {percentile(self.lag_bytes, 99) / 1024:.0f} KiB"
            f" behind, max {max(self.lag_bytes, default=0) / 1024:.0f} KiB);"
            f" probe p50 {percentile(self.probe_ms, 50):.1f} ms"
            f" p99 {percentile(self.probe_ms, 99):.1f} ms"
            f" max {max(self.probe_ms, default=0):.1f} ms"
            f" ({len(self.probe_ms)} probes; received p99 {percentile(self.received_ms, 99):.1f}"
            f" ms); checkpoints primary {self.checkpoints[0]}, standby {self.checkpoints[1]}"
        )


def _node_url(ha: PostgresHA, node: int) -> str:
    return ha.url("postgres", port=ha.ports.postgres(node))


def sample_lag(ha: PostgresHA, primary: int, stop: threading.Event, into: LagSamples) -> None:
    """Sample the standby's `replay_lag` and byte distance on `primary` until `stop`."""
    with psycopg.connect(_node_url(ha, primary), autocommit=True) as conn:
        deadline = time.monotonic() + SAMPLING_LIMIT_SECONDS
        while not stop.is_set() and time.monotonic() < deadline:
            for seconds, distance in conn.execute(_REPLICATION).fetchall():
                into.lag_ms.append(float(seconds) * 1000)
                into.lag_bytes.append(float(distance))
            time.sleep(SAMPLE_SECONDS)


def probe_replay(
    ha: PostgresHA, primary: int, standby: int, stop: threading.Event, into: LagSamples
) -> None:
    """Every 100 ms until `stop`: the time from reading the primary's WAL position until the
    standby has replayed it (timed from before the read, so never under the real wait)."""
    with (
        psycopg.connect(_node_url(ha, primary), autocommit=True) as source,
        psycopg.connect(_node_url(ha, standby), autocommit=True) as replica,
    ):
        deadline = time.monotonic() + SAMPLING_LIMIT_SECONDS
        while not stop.is_set() and time.monotonic() < deadline:
            started = time.perf_counter()
            row = source.execute("select pg_current_wal_lsn()::text").fetchone()
            assert row is not None
            received_at: float | None = None
            while time.perf_counter() - started < PROBE_LIMIT_SECONDS:
                caught_up = replica.execute(_CAUGHT_UP, {"lsn": row[0]}).fetchone()
                assert caught_up is not None
                if caught_up[0] and received_at is None:
                    received_at = time.perf_counter()
                if caught_up[1]:
                    break
                time.sleep(PROBE_POLL_SECONDS)
            replayed_at = time.perf_counter()
            into.probe_ms.append((replayed_at - started) * 1000)
            into.received_ms.append(((received_at or replayed_at) - started) * 1000)
            time.sleep(SAMPLE_SECONDS)


def checkpoints(ha: PostgresHA, node: int) -> int:
    """Checkpoints (restartpoints, on a standby) `node` has made since it started."""
    with psycopg.connect(_node_url(ha, node), autocommit=True) as conn:
        row = conn.execute(_CHECKPOINTS).fetchone()
    return int(row[0]) if row else 0


async def sampled_during(ha: PostgresHA, work: Awaitable[T]) -> tuple[T, LagSamples]:
    """Await `work` while the lag between the leader and its standby is sampled and probed."""
    primary = await asyncio.to_thread(ha.leader)
    standby = next(node for node in NODES if node != primary)
    samples, stop = LagSamples(), threading.Event()
    before = [await asyncio.to_thread(checkpoints, ha, node) for node in (primary, standby)]
    samplers = asyncio.gather(
        asyncio.to_thread(sample_lag, ha, primary, stop, samples),
        asyncio.to_thread(probe_replay, ha, primary, standby, stop, samples),
    )
    try:
        result = await work
    finally:
        stop.set()
        await samplers
    after = [await asyncio.to_thread(checkpoints, ha, node) for node in (primary, standby)]
    samples.checkpoints = (after[0] - before[0], after[1] - before[1])
    return result, samples
