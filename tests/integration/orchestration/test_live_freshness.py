"""The live assets' freshness: events waiting past the window fail it, a quiet platform passes.

The "last updated within 2 minutes" check it replaced failed on every quiet demo (nothing to
rebuild) and passed with events stuck, as long as some rebuild was recent.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import dagster as dg
import psycopg
import pytest

from orchestration.live_freshness import (
    CHECK_KEYS,
    LIVE_KEYS,
    LIVE_WINDOW,
    live_events_reflected,
    live_lag_sensor,
    unreflected_for,
)
from orchestration.resources import WarehouseResource
from tests.support import throwaway_database
from wedsync.warehouse import apply_schema

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 6, 6, 12, 0, tzinfo=dt.UTC)


def test_the_wait_counts_only_events_no_rebuild_has_started_after() -> None:
    minute = dt.timedelta(minutes=1)
    assert unreflected_for(None, None, NOW) == dt.timedelta(0)  # never an event
    assert unreflected_for(NOW - 10 * minute, NOW - 5 * minute, NOW) == dt.timedelta(0)
    assert unreflected_for(NOW - 3 * minute, NOW - 5 * minute, NOW) == 3 * minute
    assert unreflected_for(NOW - 3 * minute, None, NOW) == 3 * minute  # never rebuilt


@pytest.fixture
def warehouse() -> Iterator[WarehouseResource]:
    with throwaway_database("live_freshness") as database_url:
        with psycopg.connect(database_url) as conn:
            apply_schema(conn)
        yield WarehouseResource(database_url=database_url)


def _land_event(warehouse: WarehouseResource, ago: dt.timedelta) -> None:
    with psycopg.connect(warehouse.database_url) as conn:
        conn.execute(
            "insert into raw.events (event_id, event_type, occurred_at, supplier_id, properties,"
            " received_at) values (%s, 'profile_view', now() - %s, 'sup_000001', '{}',"
            " now() - %s)",
            (uuid.uuid4(), ago, ago),
        )


def _verdicts(instance: dg.DagsterInstance, warehouse: WarehouseResource) -> dict[str, bool]:
    defs = dg.Definitions(
        assets=[dg.AssetSpec(key) for key in LIVE_KEYS],
        asset_checks=[live_events_reflected],
        jobs=[
            dg.define_asset_job(
                "live_checks", selection=dg.AssetSelection.checks(live_events_reflected)
            )
        ],
        resources={"warehouse": warehouse},
    )
    result = defs.resolve_job_def("live_checks").execute_in_process(instance=instance)
    return {
        event.asset_check_evaluation_data.asset_key.to_user_string(): (
            event.asset_check_evaluation_data.passed
        )
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    }


def _due(instance: dg.DagsterInstance, warehouse: WarehouseResource) -> set[dg.AssetCheckKey]:
    context = dg.build_sensor_context(instance=instance, resources={"warehouse": warehouse})
    request = live_lag_sensor(context)
    if isinstance(request, dg.SkipReason):
        return set()
    assert isinstance(request, dg.RunRequest)
    return set(request.asset_check_keys or [])


def test_quiet_passes_waiting_events_fail_and_a_rebuild_after_them_passes_again(
    warehouse: WarehouseResource,
) -> None:
    every = {key.to_user_string() for key in LIVE_KEYS}
    with dg.DagsterInstance.ephemeral() as instance:
        # A quiet platform (no event ever, nothing rebuilt) is fresh.
        assert _due(instance, warehouse) == set(CHECK_KEYS)  # never evaluated
        assert _verdicts(instance, warehouse) == dict.fromkeys(every, True)
        assert _due(instance, warehouse) == set()

        # An event within the window: still fresh. One past it, with no rebuild: not.
        _land_event(warehouse, LIVE_WINDOW / 2)
        assert _due(instance, warehouse) == set()
        _land_event(warehouse, LIVE_WINDOW * 2)  # older, so the newest is still in the window
        assert _due(instance, warehouse) == set()
        with psycopg.connect(warehouse.database_url) as conn:
            conn.execute("delete from raw.events where received_at > now() - %s", (LIVE_WINDOW,))
        assert _due(instance, warehouse) == set(CHECK_KEYS)  # the sensor reports the lag
        assert _verdicts(instance, warehouse) == dict.fromkeys(every, False)

        # One asset rebuilt after the event: it alone is fresh again.
        rebuilt = LIVE_KEYS[0]
        instance.report_runless_asset_event(dg.AssetMaterialization(rebuilt))
        assert _due(instance, warehouse) == {dg.AssetCheckKey(rebuilt, CHECK_KEYS[0].name)}
        assert _verdicts(instance, warehouse) == {
            key: key == rebuilt.to_user_string() for key in every
        }
