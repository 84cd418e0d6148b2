"""The code location `workspace.yaml` loads: every domain merged, every group and job present."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.definitions import defs

pytestmark = pytest.mark.integration

EXPECTED_GROUPS = {"ingestion", "staging", "marts", "marts_core", "quality", "ml", "serving"}
EXPECTED_JOBS = {"nightly_exports", "analytics", "event_models", "live_event_checks"}


def test_the_code_location_loads_with_every_group_job_schedule_and_sensor() -> None:
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups >= EXPECTED_GROUPS
    assert {job.name for job in defs.resolve_all_job_defs()} >= EXPECTED_JOBS
    sensors = {sensor.name: sensor for sensor in defs.sensors or []}
    assert set(sensors) >= {"new_events_sensor", "export_landed_sensor", "wedsync_automation"}
    # A deployment runs itself: every sensor is on from the first start of the daemon.
    assert {s.default_status for s in sensors.values()} == {dg.DefaultSensorStatus.RUNNING}


def test_every_buildable_asset_is_automated_and_every_cron_is_uk_time() -> None:
    graph = defs.resolve_asset_graph()
    unautomated = {
        key.to_user_string()
        for key in graph.materializable_asset_keys
        if graph.get(key).automation_condition is None
        # Raw is loaded by the landing sensor; retention runs on its own schedule and sensor.
        and key.path[0] not in ("raw", "retention")
    }
    assert unautomated == set()
    for schedule in defs.schedules or []:
        assert schedule.execution_timezone == "Europe/London"


def test_every_raw_export_carries_quality_checks() -> None:
    graph = defs.resolve_asset_graph()
    checked = {key.asset_key for key in graph.asset_check_keys}
    for entity in ("enquiries", "bookings", "payments", "suppliers"):
        assert dg.AssetKey(["raw", entity]) in checked


def test_every_asset_links_to_its_code() -> None:
    graph = defs.resolve_asset_graph()
    without = {
        key.to_user_string()
        for key in graph.materializable_asset_keys
        if "dagster/code_references" not in graph.get(key).metadata
    }
    assert without == set()
