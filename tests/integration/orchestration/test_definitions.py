"""The code location `workspace.yaml` loads: every domain merged, every group and job present."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.definitions import defs

pytestmark = pytest.mark.integration

EXPECTED_GROUPS = {"ingestion", "dbt", "quality", "ml", "serving"}
EXPECTED_JOBS = {"nightly_exports", "analytics", "event_models", "live_event_checks"}


def test_the_code_location_loads_with_every_group_job_schedule_and_sensor() -> None:
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert groups >= EXPECTED_GROUPS
    assert {job.name for job in defs.resolve_all_job_defs()} >= EXPECTED_JOBS
    assert {sensor.name for sensor in defs.sensors or []} >= {"new_events_sensor"}
    assert len(list(defs.schedules or [])) >= 2


def test_every_raw_export_carries_quality_checks() -> None:
    graph = defs.resolve_asset_graph()
    checked = {key.asset_key for key in graph.asset_check_keys}
    for entity in ("enquiries", "bookings", "payments", "suppliers"):
        assert dg.AssetKey(["raw", entity]) in checked
