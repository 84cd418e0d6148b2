"""Three nights of the deployed shape: the landing sensor, the export runs, their checks and
the automation conditions, on the Postgres-backed instance of `deploy/dagster.yaml`.

The daemon evaluates the same two things every tick (the landing sensor, and the automation
sensor's `evaluate_automation_conditions`); the test calls them itself with the clock set to
each night, which the daemon, on the wall clock, cannot be made to do (`test_daemon_nights`
runs the real daemon on the wall clock). The nights straddle
the clocks going forward (Sunday 29 March 2026, 01:00 GMT):

- Fri 27 Mar lands on time and is good: the marts are requested after it loaded.
- Sat 28 Mar is missing that night (nothing loads, nothing is requested), then lands late
  next morning: it loads and the marts are requested after it.
- Sun 29 Mar (the first BST date) lands broken (half its guest counts negative): its export run
  fails on the blocking check, judged on that night alone, and the marts are not requested;
  the run-failure sensor holds the alert for the run's last retry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import psycopg
import pytest

from orchestration.alerts import AlertsResource, pipeline_alert_sensor
from orchestration.defs.dbt.assets import wedsync_dbt_models
from orchestration.defs.dbt.resources import dbt_resource
from orchestration.defs.ingestion.assets import export_assets
from orchestration.defs.ingestion.jobs import nightly_exports_job
from orchestration.defs.ingestion.resources import LandingZoneResource
from orchestration.defs.ingestion.sensors import export_landed_sensor
from orchestration.defs.quality.checks import rule_checks
from orchestration.defs.quality.resources import GreatExpectationsResource
from orchestration.freshness import export_freshness_checks
from orchestration.resources import WarehouseResource
from tests.integration.orchestration.nights import (
    ENQUIRIES_PER_NIGHT,
    GUEST_RANGE_CHECK,
    LOADED,
    deployed_home,
    land,
)

pytestmark = pytest.mark.integration

LONDON = ZoneInfo("Europe/London")
FRIDAY, SATURDAY, SUNDAY = dt.date(2026, 3, 27), dt.date(2026, 3, 28), dt.date(2026, 3, 29)
MART = dg.AssetKey(["marts", "seasonal_demand"])


@dataclass
class Deployment:
    """The deployed shape, one night at a time."""

    defs: dg.Definitions
    instance: dg.DagsterInstance
    landing: Path
    database_url: str
    alerts: AlertsResource
    automation_cursor: dg.AssetDaemonCursor | None = None

    def land_and_load(self) -> list[dg.ExecuteInProcessResult]:
        """Evaluate the landing sensor; run each export run it requests, as the daemon would."""
        context = dg.build_sensor_context(
            instance=self.instance,
            resources={"landing_zone": LandingZoneResource(landing_dir=str(self.landing))},
        )
        result = export_landed_sensor(context)
        requests = result.run_requests or [] if isinstance(result, dg.SensorResult) else []
        job = self.defs.resolve_job_def(nightly_exports_job.name)
        return [
            job.execute_in_process(
                instance=self.instance,
                partition_key=request.partition_key,
                tags=request.tags,
                raise_on_error=False,
            )
            for request in requests
        ]

    def marts_requested_at(self, when: dt.datetime) -> bool:
        """Evaluate every automation condition at `when`; whether the mart is requested."""
        result = dg.evaluate_automation_conditions(
            defs=self.defs,
            instance=self.instance,
            cursor=self.automation_cursor,
            evaluation_time=when,
        )
        self.automation_cursor = result.cursor
        return result.get_num_requested(MART) > 0

    def alert_on(self, failed: dg.ExecuteInProcessResult) -> None:
        """What the run-failure sensor does with a failed run."""
        with dg.build_run_status_sensor_context(
            sensor_name=pipeline_alert_sensor.name,
            dagster_event=failed.get_run_failure_event(),
            dagster_instance=self.instance,
            dagster_run=failed.dagster_run,
            resources={"alerts": self.alerts},
        ) as context:
            pipeline_alert_sensor(context.for_run_failure())


@pytest.fixture
def deployment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployment]:
    landing = tmp_path / "landing"
    with deployed_home(tmp_path, "three_nights") as deployed:
        monkeypatch.setenv("DAGSTER_PG_URL", deployed.dagster_pg_url)
        monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
        warehouse = WarehouseResource(database_url=deployed.database_url)
        alerts = AlertsResource(warehouse=warehouse)
        defs = dg.Definitions(
            assets=[*export_assets, wedsync_dbt_models],
            asset_checks=[*rule_checks, *export_freshness_checks],
            jobs=[nightly_exports_job],
            sensors=[export_landed_sensor],
            resources={
                "warehouse": warehouse,
                "landing_zone": LandingZoneResource(landing_dir=str(landing)),
                "great_expectations": GreatExpectationsResource(
                    warehouse=warehouse, data_docs_dir=str(tmp_path / "data_docs")
                ),
                "dbt": dbt_resource(deployed.database_url),
            },
        )
        with dg.DagsterInstance.get() as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            yield Deployment(defs, instance, landing, deployed.database_url, alerts)


def _check_evaluations(result: dg.ExecuteInProcessResult) -> list[dg.AssetCheckEvaluation]:
    return [
        event.asset_check_evaluation_data
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


def test_three_nights_marts_wait_for_good_exports_and_a_broken_night_blocks(
    deployment: Deployment,
) -> None:
    # Night of Fri 27 Mar: landed by 00:30, loaded, checks pass; the marts follow.
    assert not deployment.marts_requested_at(_at(FRIDAY, 23))
    assert not deployment.marts_requested_at(_at(SATURDAY, 0))  # midnight, nothing loaded
    land(deployment.landing, FRIDAY)
    (friday,) = deployment.land_and_load()
    assert friday.success
    assert deployment.marts_requested_at(_at(SATURDAY, 1))
    assert not deployment.marts_requested_at(_at(SATURDAY, 2))  # once a night

    # Night of Sat 28 Mar (the clocks go forward at 01:00 GMT): nothing lands.
    assert deployment.land_and_load() == []
    assert not deployment.marts_requested_at(_at(SUNDAY, 3))
    loaded = deployment.instance.get_materialized_partitions(LOADED)
    assert SATURDAY.isoformat() not in loaded
    # ...and lands late, at 11:00 BST: it loads, and the marts follow it.
    land(deployment.landing, SATURDAY)
    (late,) = deployment.land_and_load()
    assert late.success and late.dagster_run.tags["dagster/partition"] == SATURDAY.isoformat()
    assert deployment.marts_requested_at(_at(SUNDAY, 11))

    # Night of Sun 29 Mar, the first BST date: a broken export fails its own partition.
    land(deployment.landing, SUNDAY, broken=True)
    (sunday,) = deployment.land_and_load()
    assert not sunday.success
    (evaluation,) = [
        e for e in _check_evaluations(sunday) if e.asset_check_key == GUEST_RANGE_CHECK
    ]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["export_dates"].value == f"{SUNDAY}..{SUNDAY}"
    assert evaluation.metadata["element_count"].value == ENQUIRIES_PER_NIGHT  # that night only
    assert not deployment.marts_requested_at(_at(SUNDAY + dt.timedelta(days=1), 1))

    # `run_retries` will run it twice more: the alert waits for the last attempt
    # (`test_daemon_nights` sees the daemon retry it and the alert arrive).
    assert sunday.dagster_run.tags["dagster/will_retry"] == "true"
    deployment.alert_on(sunday)
    with psycopg.connect(deployment.database_url) as conn:
        alerts = conn.execute("select count(*) from quality.pipeline_alerts").fetchone()
    assert alerts == (0,)


def test_a_skipped_night_fails_the_exports_freshness_check(deployment: Deployment) -> None:
    """Real clock: the nights up to three days ago landed, the last two did not."""
    today = dt.datetime.now(LONDON).date()
    nights = [today - dt.timedelta(days=n) for n in (4, 3)]
    for night in nights:
        land(deployment.landing, night)
    assert all(run.success for run in deployment.land_and_load())

    freshness = dg.define_asset_job(
        "exports_freshness", selection=dg.AssetSelection.checks(*export_freshness_checks)
    )
    checks = dg.Definitions.merge(deployment.defs, dg.Definitions(jobs=[freshness]))
    result = checks.resolve_job_def("exports_freshness").execute_in_process(
        instance=deployment.instance, raise_on_error=False
    )
    verdicts = {
        evaluation.asset_key.to_user_string(): evaluation.passed
        for evaluation in _check_evaluations(result)
    }
    assert verdicts["raw/enquiries"] is False
