"""`deploy/dagster.yaml`: run and event storage in Postgres, queued runs, as `make demo` uses it."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest

from tests.support import throwaway_database
from wedsync.settings import REPO_ROOT, get_settings

pytestmark = pytest.mark.integration


@dg.asset
def wedding_count() -> int:
    """A trivial asset: the point is where its run and events are stored."""
    return 1


def test_the_deployment_instance_stores_runs_and_events_in_postgres(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", tmp_path / "dagster.yaml")
    with throwaway_database("dagster_storage") as database_url:
        storage_database = database_url.rsplit("/", 1)[-1]
        monkeypatch.setenv("DAGSTER_PG_URL", get_settings().dagster_storage_url(storage_database))
        monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
        with dg.DagsterInstance.get() as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
            assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
            result = dg.materialize([wedding_count], instance=instance)
            assert result.success
            stored = instance.get_latest_materialization_event(dg.AssetKey("wedding_count"))
            assert stored is not None and stored.run_id == result.run_id
            assert instance.get_run_by_id(result.run_id) is not None
