"""Publishing the build to `served` (`wedsync.warehouse.served`): whole, or not at all.

The API reads `served.*`; `publish_build` copies the built marts there and bumps the version in
one transaction. A mart whose columns changed is re-created with its tenant policy; a view on
it stops the publish (never `CASCADE`), naming the view, and the previous publish stays.
"""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from serving.core.config import api_database_url
from serving.security.tenancy import apply_tenancy
from tests.integration.serving.conftest import MARTS_DDL
from wedsync.warehouse import apply_schema, connect
from wedsync.warehouse.dataset_versions import ANALYTICS_DATASET, read_dataset_version
from wedsync.warehouse.schema import SCHEMA_LOCK_ID
from wedsync.warehouse.served import ServedTableInUse, publish_build

pytestmark = pytest.mark.integration

_ENQUIRIES = "select sum(enquiries) from served.vendor_performance"


def test_a_publish_copies_what_is_built_and_moves_the_version_with_it(warehouse_url: str) -> None:
    with connect(warehouse_url) as conn:
        conn.execute(MARTS_DDL)
        published, version = publish_build(conn)
        assert sorted(published) == ["seasonal_bookings", "vendor_performance"]
        assert version == 1
        # Not built yet: not published (the route names it in its 503).
        assert conn.execute("select to_regclass('served.lead_funnel')").fetchone() == (None,)
        conn.execute("update marts.vendor_performance set enquiries = enquiries + 1")
        conn.commit()
        assert conn.execute(_ENQUIRIES).fetchone() == (82,)  # built, not published
        publish_build(conn)
        assert conn.execute(_ENQUIRIES).fetchone() == (85,)
        policy = conn.execute(
            "select relrowsecurity, exists (select 1 from pg_policy where polrelid = c.oid) "
            "from pg_class c where oid = 'served.vendor_performance'::regclass"
        ).fetchone()
        assert policy == (True, True)


def test_a_changed_mart_is_recreated_and_a_view_on_it_stops_the_publish(
    warehouse_url: str,
) -> None:
    with connect(warehouse_url) as conn:
        conn.execute(MARTS_DDL)
        publish_build(conn)
        conn.execute("alter table marts.seasonal_bookings add column cancellations bigint")
        conn.commit()
        publish_build(conn)
        columns = conn.execute("select * from served.seasonal_bookings limit 0").description
        assert columns is not None and columns[-1].name == "cancellations"

        conn.execute(
            "create view public.bookings_by_month as select * from served.seasonal_bookings"
        )
        conn.execute("alter table marts.seasonal_bookings drop column cancellations")
        conn.execute("update marts.vendor_performance set enquiries = 0")
        conn.commit()
        version = read_dataset_version(conn, ANALYTICS_DATASET)
        with pytest.raises(ServedTableInUse, match="bookings_by_month"):
            publish_build(conn)
        conn.rollback()
        # Nothing of the failed publish is served, and the version did not move.
        assert conn.execute(_ENQUIRIES).fetchone() == (82,)
        assert read_dataset_version(conn, ANALYTICS_DATASET) == version


def test_the_served_copy_has_the_builds_indexes(warehouse_url: str) -> None:
    indexes = (
        "select substring(indexdef from ' USING (.*)$') from pg_indexes "
        "where schemaname = %s and tablename = 'vendor_performance' order by 1"
    )
    with connect(warehouse_url) as conn:
        conn.execute(MARTS_DDL)
        conn.execute("create index on marts.vendor_performance (supplier_id, month)")
        conn.commit()
        publish_build(conn)
        built = conn.execute(indexes, ("marts",)).fetchall()
        assert built == [("btree (supplier_id, month)",)]
        assert conn.execute(indexes, ("served",)).fetchall() == built
        # A later build indexes differently (dbt's config changed): the next publish follows.
        conn.execute("create index on marts.vendor_performance (month)")
        conn.commit()
        publish_build(conn)
        assert conn.execute(indexes, ("served",)).fetchall() == [
            ("btree (month)",),
            ("btree (supplier_id, month)",),
        ]
        assert conn.execute(_ENQUIRIES).fetchone() == (82,)


def test_the_api_role_reads_the_published_copy_only_in_its_scope(warehouse_url: str) -> None:
    with connect(warehouse_url) as conn:
        conn.execute(MARTS_DDL)
        publish_build(conn)
    with psycopg.connect(api_database_url(warehouse_url)) as api:
        api.execute("select set_config('wedsync.supplier_id', 'sup_000002', true)")
        seen = api.execute("select distinct supplier_id from served.vendor_performance")
        assert seen.fetchall() == [("sup_000002",)]


def _waiting_on_a_lock(conn: psycopg.Connection, pid: int) -> bool:
    row = conn.execute(
        "select wait_event_type = 'Lock' from pg_stat_activity where pid = %s", (pid,)
    ).fetchone()
    return bool(row and row[0])


def test_a_publish_while_an_api_worker_prepares_the_schema_waits_for_it_and_never_deadlocks(
    warehouse_url: str,
) -> None:
    # What `serving.core.db.prepare_warehouse` does when a worker (re)starts: the schema, then
    # the tenancy, in one transaction under the schema lock. A publish arriving in between
    # held the served tables and the RLS procedure's lock, then waited for the version table
    # the re-created trigger had locked, while the tenancy waited for the publish: deadlock.
    with connect(warehouse_url) as setup:
        setup.execute(MARTS_DDL)
        setup.commit()
    outcome: list[BaseException | tuple[list[str], int]] = []
    with connect(warehouse_url) as worker, connect(warehouse_url) as publisher:
        publisher_pid = publisher.info.backend_pid
        worker.execute("select pg_advisory_lock(%s)", (SCHEMA_LOCK_ID,))
        apply_schema(worker)  # its transaction stays open: the worker's connection is not
        # autocommit, so the trigger's lock is held until the commit below.

        def publish() -> None:
            try:
                outcome.append(publish_build(publisher))
            except BaseException as error:  # reported by the assertion below
                outcome.append(error)

        thread = threading.Thread(target=publish)
        thread.start()
        with connect(warehouse_url) as observer:
            for _ in range(200):
                if _waiting_on_a_lock(observer, publisher_pid):
                    break
                time.sleep(0.05)
            assert _waiting_on_a_lock(observer, publisher_pid), "the publish never waited"
        apply_tenancy(worker)
        worker.commit()
        worker.execute("select pg_advisory_unlock(%s)", (SCHEMA_LOCK_ID,))
        thread.join(timeout=60)
    assert len(outcome) == 1 and isinstance(outcome[0], tuple), outcome
    published, version = outcome[0]
    assert sorted(published) == ["seasonal_bookings", "vendor_performance"] and version == 1
