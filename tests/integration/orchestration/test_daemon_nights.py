"""The deployed shape running by itself: `dagster-daemon` on the Postgres-backed instance of
`deploy/dagster.yaml`, on the wall clock, with nobody calling a sensor or launching a run.

The test only writes exports into the landing dir and reads the instance and the warehouse.
Four nights (days before today, UK time):

- today-4 lands good: the landing sensor requests it, the queued run coordinator runs it.
- today-1 lands broken (half its guest counts negative), leaving today-3 and today-2 as gaps:
  both gaps are requested and fail (visibly, and without retries); the broken night fails its
  blocking check on its own rows, is retried twice (`run_retries`) and fails each time.
- today-3 then lands late: it loads, whatever failed around it.
- today-2 stays missing: a failed run, no materialization.

The run-failure sensor alerts once per failed night (not once per retry) into
`quality.pipeline_alerts`. The automation sensor ticks all along and launches no run of the
marts. On the wall clock that is also what its `on_cron` half says, since no midnight passes
during the test: that the gate holds the marts after midnight while a night is broken, and
releases them after good nights, in GMT and BST, is `test_three_nights`' part, which sets
the clock (the daemon cannot).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

import dagster as dg
import psycopg
import pytest

from benchmarks.daemon import running_daemon
from orchestration.alerts import WILL_RETRY_TAG, pipeline_alert_sensor
from orchestration.automation import automation_sensor
from orchestration.defs.ingestion.jobs import nightly_exports_job
from orchestration.defs.ingestion.sensors import export_landed_sensor
from tests.integration.orchestration.nights import (
    ENQUIRIES_PER_NIGHT,
    GUEST_RANGE_CHECK,
    LOADED,
    deployed_home,
    land,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T = TypeVar("T")

LOCATION_MODULE = "tests.integration.orchestration.daemon_location"
SENSORS = (export_landed_sensor.name, automation_sensor.name, pipeline_alert_sensor.name)

#: Every wait is bounded in time and in polls: a daemon that never gets there fails the test.
WAIT_SECONDS = 300
POLL_SECONDS = 2.0
#: Attempts of a broken night: the run and the two retries of `deploy/dagster.yaml`.
ATTEMPTS = 3

FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


def wait_for(
    what: str, daemon: subprocess.Popen[bytes], home: Path, condition: Callable[[], T | None]
) -> T:
    """Poll `condition` until it returns something truthy; fail after `WAIT_SECONDS`."""
    for _ in range(int(WAIT_SECONDS / POLL_SECONDS)):
        if daemon.poll() is not None:
            break
        if value := condition():
            return value
        time.sleep(POLL_SECONDS)
    log = (home / "daemon.log").read_text(errors="replace")[-3000:]
    raise AssertionError(f"the daemon did not get there: {what}\n--- daemon.log ---\n{log}")


def sensors_ticked(instance: dg.DagsterInstance) -> bool:
    """Whether every sensor of the location has evaluated at least once (running by default:
    the test switches nothing on; the failure sensor watches runs from its first tick on)."""
    states = instance.all_instigator_state()  # the location has sensors only
    ticked = {
        state.name
        for state in states
        if instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
    }
    return ticked >= set(SENSORS)


def runs_of(instance: dg.DagsterInstance, night: dt.date) -> list[dg.DagsterRun]:
    """The export runs of one night, oldest first."""
    runs = instance.get_runs(dg.RunsFilter(tags={"dagster/partition": night.isoformat()}))
    return sorted(runs, key=lambda run: instance.get_run_record_by_id(run.run_id).create_timestamp)  # type: ignore[union-attr]


def settled(instance: dg.DagsterInstance, night: dt.date, attempts: int = 1) -> list[dg.DagsterRun]:
    """The night's runs once `attempts` of them have finished and no retry is pending (Dagster
    tags a failed run with whether it will be retried)."""
    runs = runs_of(instance, night)
    finished = [run for run in runs if run.status in FINISHED]
    if len(finished) < attempts or len(finished) < len(runs):
        return []
    if runs[-1].status == dg.DagsterRunStatus.FAILURE and (
        runs[-1].tags.get(WILL_RETRY_TAG, "true") == "true"
    ):
        return []
    return runs


def succeeded(instance: dg.DagsterInstance, night: dt.date) -> dg.DagsterRun | None:
    """The night's successful run, once there is one."""
    runs = [run for run in runs_of(instance, night) if run.status == dg.DagsterRunStatus.SUCCESS]
    return runs[0] if runs else None


def alerts(database_url: str) -> dict[str, list[str]]:
    """The alert rows: run ids by partition."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("select partition, run_id from quality.pipeline_alerts").fetchall()
    by_night: dict[str, list[str]] = {}
    for partition, run_id in rows:
        by_night.setdefault(partition, []).append(run_id)
    return by_night


def check_evaluations(
    instance: dg.DagsterInstance, run: dg.DagsterRun
) -> list[dg.AssetCheckEvaluation]:
    """The asset check evaluations a run stored."""
    records = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    return [
        record.get_dagster_event().asset_check_evaluation_data
        for record in records
        if record.dagster_event
    ]


def test_the_daemon_loads_landed_nights_fails_broken_and_missing_ones_and_alerts_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = dt.datetime.now(ZoneInfo("Europe/London")).date()
    good, late, missing, broken = (today - dt.timedelta(days=n) for n in (4, 3, 2, 1))
    landing = tmp_path / "landing"
    landing.mkdir()
    with deployed_home(tmp_path, "daemon_nights") as deployed:
        monkeypatch.setenv("DAGSTER_PG_URL", deployed.dagster_pg_url)
        monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
        with dg.DagsterInstance.get() as instance:
            with running_daemon(
                tmp_path,
                LOCATION_MODULE,
                {
                    "DAGSTER_PG_URL": deployed.dagster_pg_url,
                    "WEDSYNC_DATABASE_URL": deployed.database_url,
                    "WEDSYNC_LANDING_DIR": str(landing),
                },
            ) as daemon:

                def wait(what: str, condition: Callable[[], T | None]) -> T:
                    return wait_for(what, daemon, tmp_path, condition)

                wait("every sensor ticks, switched on by default", lambda: sensors_ticked(instance))

                land(landing, good)
                land(landing, broken, broken=True)
                good_run = wait(f"{good} loads", lambda: succeeded(instance, good))
                (gap_3,) = wait(f"{late} fails as missing", lambda: settled(instance, late))
                (gap_2,) = wait(f"{missing} fails as missing", lambda: settled(instance, missing))
                attempts = wait(
                    f"{broken} fails {ATTEMPTS} times", lambda: settled(instance, broken, ATTEMPTS)
                )

                land(landing, late)
                late_run = wait(f"{late} loads when it lands", lambda: succeeded(instance, late))
                failed_nights = {late, missing, broken}
                stored = wait(
                    "one alert per failed night, the broken one from its last attempt",
                    lambda: (
                        (found := alerts(deployed.database_url))
                        and found.keys() >= {night.isoformat() for night in failed_nights}
                        and attempts[-1].run_id in found[broken.isoformat()]
                        and found
                    ),
                )
                runs = instance.get_runs()

            assert good_run.tags["wedsync/export"] == "landed"
            assert late_run.tags["wedsync/export"] == "landed"
            for gap in (gap_3, gap_2):
                assert gap.status == dg.DagsterRunStatus.FAILURE
                assert (
                    gap.tags["wedsync/export"] == "missing" and gap.tags[WILL_RETRY_TAG] == "false"
                )

            assert len(attempts) == ATTEMPTS
            assert all(run.status == dg.DagsterRunStatus.FAILURE for run in attempts)
            (verdict,) = [
                evaluation
                for evaluation in check_evaluations(instance, attempts[0])
                if evaluation.asset_check_key == GUEST_RANGE_CHECK
            ]
            assert not verdict.passed and verdict.severity == dg.AssetCheckSeverity.ERROR
            assert verdict.metadata["export_dates"].value == f"{broken}..{broken}"
            assert verdict.metadata["element_count"].value == ENQUIRIES_PER_NIGHT  # that night only

            loaded = instance.get_materialized_partitions(LOADED)
            assert {good.isoformat(), late.isoformat()} <= loaded
            assert missing.isoformat() not in loaded
            assert runs_of(instance, missing) == [gap_2]

            assert stored == {
                late.isoformat(): [gap_3.run_id],
                missing.isoformat(): [gap_2.run_id],
                broken.isoformat(): [attempts[-1].run_id],
            }
            # Every run was an export run: the automation sensor launched none of the marts.
            assert {run.job_name for run in runs} == {nightly_exports_job.name}
