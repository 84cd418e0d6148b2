"""The incremental event marts: a second run re-aggregates only the supplier-days that got
new events, through the Dagster dbt asset, as the events sensor's job runs them."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator

import dagster as dg
import psycopg
import pytest

from orchestration.defs.dbt.assets import wedsync_dbt_models
from orchestration.defs.dbt.resources import dbt_resource
from tests.support import throwaway_database
from wedsync.warehouse import apply_schema, connect

pytestmark = pytest.mark.integration

EVENT_MARTS = [
    dg.AssetKey(["marts", "supplier_daily_activity"]),
    dg.AssetKey(["marts", "lead_funnel"]),
]
BUSY_SUPPLIER, QUIET_SUPPLIER = "sup_000001", "sup_000002"


@pytest.fixture
def events_warehouse() -> Iterator[str]:
    with throwaway_database("wedsync_dbt_events") as url:
        with connect(url) as conn:
            apply_schema(conn)
        yield url


def _send(
    database_url: str,
    supplier_id: str,
    event_type: str,
    received_hours_ago: int = 0,
    **properties: object,
) -> None:
    """Store one event as the API does, happening early today (UTC)."""
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "insert into raw.events"
            " (event_id, event_type, occurred_at, supplier_id, properties, received_at)"
            " values (%s, %s, date_trunc('day', now()) + interval '1 hour', %s, %s,"
            " now() - make_interval(hours => %s))",
            (uuid.uuid4(), event_type, supplier_id, json.dumps(properties), received_hours_ago),
        )


def _build(database_url: str, selection: list[dg.AssetKey]) -> None:
    result = dg.materialize(
        [wedsync_dbt_models],
        selection=selection,
        resources={"dbt": dbt_resource(database_url)},
        raise_on_error=False,
    )
    assert result.success


def _daily(database_url: str) -> dict[str, tuple[object, ...]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "select supplier_id, profile_views, enquiries, quotes, revenue_gbp, xmin::text"
            " from marts.supplier_daily_activity"
        ).fetchall()
    return {row[0]: row[1:] for row in rows}


def test_new_events_reaggregate_only_their_supplier_days(events_warehouse: str) -> None:
    working_dir = os.getcwd()
    for _ in range(3):
        _send(events_warehouse, BUSY_SUPPLIER, "profile_view", 1)
    _send(events_warehouse, BUSY_SUPPLIER, "enquiry_created", 1, guest_count=80)
    _send(events_warehouse, BUSY_SUPPLIER, "payment_received", 1, amount_gbp="500.00")
    # Received well before the watermark's lookback margin: not re-aggregated next time.
    _send(events_warehouse, QUIET_SUPPLIER, "profile_view", 2)
    _build(events_warehouse, [dg.AssetKey(["staging", "stg_events"]), *EVENT_MARTS])
    first = _daily(events_warehouse)
    assert first[BUSY_SUPPLIER][:4] == (3, 1, 0, 500)

    _send(events_warehouse, BUSY_SUPPLIER, "profile_view")
    _send(events_warehouse, BUSY_SUPPLIER, "quote_sent", amount_gbp="1200.00")
    _build(events_warehouse, EVENT_MARTS)
    second = _daily(events_warehouse)

    assert second[BUSY_SUPPLIER][:4] == (4, 1, 1, 500)
    # dagster-dbt's metadata threads chdir into the project and back: the builds leave the
    # process where it was (they once left it in dbt_project/, breaking later relative paths).
    assert os.getcwd() == working_dir
    # The quiet supplier's day had no new events: its row was not rewritten.
    assert second[QUIET_SUPPLIER] == first[QUIET_SUPPLIER]
    with psycopg.connect(events_warehouse) as conn:
        funnel = conn.execute(
            "select profile_views, enquiries, quotes, view_to_enquiry_rate"
            " from marts.lead_funnel where supplier_id = %s",
            (BUSY_SUPPLIER,),
        ).fetchone()
    assert funnel is not None
    assert funnel[:3] == (4, 1, 1)
    assert float(funnel[3]) == 0.25
