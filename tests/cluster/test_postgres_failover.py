"""The replicated warehouse: mart reads from the replica never older than their version, and a
kill test (the primary Postgres SIGKILLed while the API ingests).

The replicated warehouse (etcd, two Patroni nodes in synchronous replication, HAProxy routing by
Patroni's REST checks, pgbouncer in front) serves an API whose ingest clients retry each batch
until it is acknowledged (`benchmarks.failover`, which prints the same figures). After the
kill, Patroni must promote the synchronous standby and HAProxy route writes to it within 30 s,
ingest must go on there, and Postgres must hold every acknowledged event exactly once; the
killed node must come back as the new primary's synchronous standby.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg
import pytest

from benchmarks.failover import FailoverRig, failover_rig, kill_primary_under_ingest
from benchmarks.fault_servers import available
from tests.integration.serving.conftest import MARTS_DDL, PHOTOGRAPHER, VENUE, after_dbt_build
from tests.support import publish
from wedsync.api_keys import create_api_key
from wedsync.cluster import ClusterPorts
from wedsync.cluster.postgres_ha import PostgresHAPorts
from wedsync.warehouse import connect
from wedsync.warehouse.dataset_versions import (
    ANALYTICS_DATASET,
    bump_dataset_version,
    read_dataset_version,
)
from wedsync.warehouse.partman import partman_manages_events
from wedsync.warehouse.served import publish_build

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FAILOVER_BOUND_SECONDS = 30.0
METRICS = "/api/analytics/metrics"
WAIT_SECONDS = 30.0
MISSING = [tool for tool in ("patroni", "etcd", "pgbouncer", "haproxy") if not shutil.which(tool)]


@pytest.fixture(scope="module")
def rig() -> Iterator[FailoverRig]:
    """The replicated warehouse and an API on it, on the topology's port block (+70..79)."""
    if MISSING or available():
        pytest.skip(f"needs {', '.join(MISSING) or available()} (see .ci/run)")
    with failover_rig(PostgresHAPorts.of(ClusterPorts.from_env())) as servers:
        yield servers


@contextmanager
def _replay_held(rig: FailoverRig) -> Iterator[None]:
    """The replica's replay paused (under Patroni's maintenance mode, or Patroni resumes it)."""
    rig.ha.set_maintenance(True)
    try:
        with _replica(rig) as replica:
            replica.execute("select pg_wal_replay_pause()")
            try:
                yield
            finally:
                replica.execute("select pg_wal_replay_resume()")
    finally:
        rig.ha.set_maintenance(False)


def _replica(rig: FailoverRig) -> psycopg.Connection:
    """The streaming replica, directly (HAProxy's replica port), as the superuser."""
    url = rig.ha.url("wedsync_failover", port=rig.ha.ports.replica)
    return psycopg.connect(url, autocommit=True)


def _replayed(rig: FailoverRig, version: int) -> None:
    """Wait until the replica has replayed `version` of the analytics dataset."""
    deadline = time.monotonic() + WAIT_SECONDS
    with _replica(rig) as replica:
        while read_dataset_version(replica, ANALYTICS_DATASET) < version:
            assert time.monotonic() < deadline, f"the replica never replayed version {version}"
            time.sleep(0.05)


def _enquiries_at(rig: FailoverRig, key: str, version: int, start: str = "2026-01-01") -> int:
    """The supplier's enquiries in the metrics answer, once the API names `version`."""
    deadline = time.monotonic() + WAIT_SECONDS
    headers = {"Authorization": f"Bearer {key}"}
    while True:
        answer = httpx.get(
            f"{rig.api.base_url}{METRICS}", params={"start": start}, headers=headers, timeout=10
        )
        assert answer.status_code == 200, answer.text
        if answer.headers["x-dataset-version"] == str(version):
            return int(answer.json()["vendor_performance_totals"]["enquiries"])
        assert time.monotonic() < deadline, f"the API never named version {version}"
        time.sleep(0.1)


def _rebuild(rig: FailoverRig, supplier: str, more_enquiries: int, bump: bool) -> int:
    """Change a supplier's May row on the primary as a build would; the version after it."""
    with connect(rig.database_url) as conn:
        conn.execute(
            "update marts.vendor_performance set enquiries = enquiries + %s"
            " where supplier_id = %s and month = '2026-05-01'",
            (more_enquiries, supplier),
        )
        conn.commit()
        if bump:
            return publish_build(conn)[1]
        publish(conn)  # published on the primary, but its version not moved
        return read_dataset_version(conn, ANALYTICS_DATASET)


def test_mart_reads_use_the_replica_only_once_it_has_replayed_the_version_they_are_cached_for(
    rig: FailoverRig,
) -> None:
    with connect(rig.database_url) as conn:
        conn.execute(MARTS_DDL)
        after_dbt_build(conn)
        photographer = create_api_key(conn, PHOTOGRAPHER, "professional", "replica reads")
        venue = create_api_key(conn, VENUE, "professional", "replica reads")
        built = bump_dataset_version(conn, ANALYTICS_DATASET)
    _replayed(rig, built)
    with _replay_held(rig):
        # A build lands on the primary while the replica is held back: the answer for the
        # new version must come from the new marts (the primary), not the replica's old ones.
        rebuilt = _rebuild(rig, PHOTOGRAPHER, 1000, bump=True)
        assert _enquiries_at(rig, photographer, rebuilt) == 70 + 1000
    _replayed(rig, rebuilt)
    with _replay_held(rig):
        # Caught up, the replica serves: a mart change the primary has not announced (no
        # new version) is not in the answer, because the answer came from the replica.
        _rebuild(rig, VENUE, 500, bump=False)
        assert _enquiries_at(rig, venue, rebuilt) == 12


def test_the_replicated_warehouse_has_its_event_months_managed_by_pg_partman(
    rig: FailoverRig,
) -> None:
    """Patroni runs Debian's PostgreSQL binaries, which have postgresql-15-partman's files, so
    the schema applied on the primary registers raw.events with pg_partman, and the extension,
    its configuration and the months reach the replica by streaming replication."""
    with connect(rig.ha.url("wedsync_failover")) as primary:
        assert partman_manages_events(primary)
    deadline = time.monotonic() + WAIT_SECONDS
    with _replica(rig) as replica:
        while not partman_manages_events(replica):
            assert time.monotonic() < deadline, (
                "pg_partman's configuration never reached the replica"
            )
            time.sleep(0.05)
        months = replica.execute("select count(*) from partman.show_partitions('raw.events')")
        assert (months.fetchone() or (0,))[0] >= 4


def test_sigkilling_the_primary_under_ingest_fails_over_and_loses_no_acknowledged_event(
    rig: FailoverRig,
) -> None:
    figures = kill_primary_under_ingest(rig)
    print(figures.line())
    assert figures.promoted != figures.killed
    assert figures.failover_seconds <= FAILOVER_BOUND_SECONDS, figures.line()
    # Ingest went on on the promoted node, and nothing acknowledged was lost or stored twice.
    assert figures.acknowledged_after_failover > 0, figures.line()
    assert figures.lost == 0, figures.line()
    assert figures.doubled == 0, figures.line()
    # The lag was sampled from a streaming synchronous standby, under load.
    assert figures.lag.lag_ms, "no replication row on the primary while ingesting"
    # The probe saw the standby replay the primary's WAL position, sample after sample.
    assert figures.lag.probe_ms, "the replay probe took no sample"
    # Patroni rewound the killed node and made it the new primary's synchronous standby.
    assert figures.rejoin_seconds != float("inf"), figures.line()
