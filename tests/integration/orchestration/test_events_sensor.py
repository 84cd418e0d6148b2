"""The events sensor: new rows in raw.events request one run of the event models, once."""

from __future__ import annotations

import datetime as dt
import uuid

import dagster as dg
import psycopg
import pytest

from orchestration.defs.events.assets import EVENT_MODEL_KEYS, RAW_EVENTS_KEY
from orchestration.defs.events.sensors import EVENTS_JOB, new_events_sensor
from orchestration.resources import WarehouseResource
from tests.support import throwaway_database
from wedsync.warehouse import apply_schema

pytestmark = pytest.mark.integration


def _evaluate(
    warehouse: WarehouseResource, cursor: str | None, instance: dg.DagsterInstance | None = None
) -> dg.SensorResult | dg.SkipReason:
    context = dg.build_sensor_context(
        cursor=cursor,
        resources={"warehouse": warehouse},
        instance=instance or dg.DagsterInstance.ephemeral(),
    )
    return new_events_sensor(context)


def _insert_event(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "insert into raw.events (event_id, event_type, occurred_at, supplier_id, properties) "
            "values (%s, 'profile_view', %s, 'sup_000001', '{}')",
            (uuid.uuid4(), dt.datetime.now(dt.UTC)),
        )


def test_new_events_request_a_run_and_the_cursor_remembers_them() -> None:
    with throwaway_database("events_sensor") as database_url:
        with psycopg.connect(database_url) as conn:
            apply_schema(conn)
        warehouse = WarehouseResource(database_url=database_url)
        assert isinstance(_evaluate(warehouse, None), dg.SkipReason)

        _insert_event(database_url)
        first = _evaluate(warehouse, None)
        assert isinstance(first, dg.SensorResult)
        (request,) = first.run_requests or []
        # Named, so the automation sensor sees this run moved the cache version itself.
        assert set(request.asset_selection or []) == set(EVENT_MODEL_KEYS)
        (materialization,) = first.asset_events or []
        assert materialization.asset_key == RAW_EVENTS_KEY

        assert isinstance(_evaluate(warehouse, first.cursor), dg.SkipReason)
        _insert_event(database_url)
        second = _evaluate(warehouse, first.cursor)
        assert isinstance(second, dg.SensorResult) and second.cursor != first.cursor


def test_no_second_run_while_an_events_run_is_in_progress_and_the_events_wait_for_the_next() -> (
    None
):
    with throwaway_database("events_sensor_busy") as database_url:
        with psycopg.connect(database_url) as conn:
            apply_schema(conn)
        warehouse = WarehouseResource(database_url=database_url)
        _insert_event(database_url)
        with dg.DagsterInstance.ephemeral() as instance:
            queued = dg.DagsterRun(
                job_name=EVENTS_JOB, run_id=str(uuid.uuid4()), status=dg.DagsterRunStatus.STARTED
            )
            instance.add_run(queued)
            assert isinstance(_evaluate(warehouse, None, instance), dg.SkipReason)

            instance.report_run_canceled(queued)
            after = _evaluate(warehouse, None, instance)
            assert isinstance(after, dg.SensorResult) and len(after.run_requests or []) == 1


def test_a_failed_run_awaiting_its_retry_holds_the_next_run_until_the_retry_exists() -> None:
    with throwaway_database("events_sensor_retry") as database_url:
        with psycopg.connect(database_url) as conn:
            apply_schema(conn)
        warehouse = WarehouseResource(database_url=database_url)
        _insert_event(database_url)
        with dg.DagsterInstance.ephemeral() as instance:
            failed = dg.DagsterRun(
                job_name=EVENTS_JOB,
                run_id=str(uuid.uuid4()),
                status=dg.DagsterRunStatus.FAILURE,
                tags={"dagster/will_retry": "true"},
            )
            instance.add_run(failed)
            assert isinstance(_evaluate(warehouse, None, instance), dg.SkipReason)

            retry = dg.DagsterRun(
                job_name=EVENTS_JOB,
                run_id=str(uuid.uuid4()),
                status=dg.DagsterRunStatus.SUCCESS,
                tags={"dagster/parent_run_id": failed.run_id},
            )
            instance.add_run(retry)
            after = _evaluate(warehouse, None, instance)
            assert isinstance(after, dg.SensorResult) and len(after.run_requests or []) == 1
