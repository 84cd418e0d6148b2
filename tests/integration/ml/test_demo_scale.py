"""The booking model against the simulator's oracle at the demo scale, built end to end.

Slow (the whole `make build` path at scale 1.0: simulate, ingest, quality, dbt, ML), so it
runs in processes of its own, pointed at a throwaway database, landing dir, MLflow store and
Dagster home, exactly as `make build` would run them.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from ml.registry import CHAMPION, REGISTERED_MODEL
from tests.support import throwaway_database
from wedsync.settings import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DEMO_SCALE = "1.0"
# DESIGN.md's target is 0.02. The at-enquiry oracle knows what no enquiry-time feature can
# (each supplier's reputation and price response, whether rivals take the date): measured
# 0.028 at scale 1.0 (issue 12's note). The test guards that figure from regressing; the
# target stays open until a supplier track-record feature closes the gap.
ORACLE_AUC_TOLERANCE = 0.035
ORACLE_BRIER_RATIO = 1.05


def _run(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True, text=True)


def test_champion_beats_logistic_regression_and_nears_the_oracle_at_demo_scale(
    tmp_path: Path,
) -> None:
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").touch()
    tracking_uri = f"sqlite:///{tmp_path}/mlflow/mlflow.db"
    with throwaway_database("wedsync_dev_ml_demo") as database_url:
        env = {
            **os.environ,
            "WEDSYNC_DATABASE_URL": database_url,
            "WEDSYNC_LANDING_DIR": str(tmp_path / "landing"),
            "MLFLOW_TRACKING_URI": tracking_uri,
            "DAGSTER_HOME": str(dagster_home),
        }
        wedsync = str(Path(sys.executable).parent / "wedsync")
        simulated = _run([wedsync, "simulate", "--scale", DEMO_SCALE, "--seed", "42"], env)
        assert simulated.returncode == 0, simulated.stderr[-2000:]
        build = _run([sys.executable, "-m", "orchestration.build"], env)

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    try:
        champion = client.get_model_version_by_alias(REGISTERED_MODEL, CHAMPION)
    except MlflowException:
        pytest.fail(f"no champion after the build:\n{build.stdout[-3000:]}{build.stderr[-3000:]}")
    assert champion.run_id is not None
    metrics = client.get_run(champion.run_id).data.metrics
    assert metrics["test_roc_auc"] > metrics["logistic_regression_test_roc_auc"]
    assert metrics["roc_auc_gap"] < ORACLE_AUC_TOLERANCE
    assert metrics["brier_vs_oracle"] < ORACLE_BRIER_RATIO
    assert metrics["oracle_rows_missing_truth"] == 0
    assert build.returncode == 0, build.stdout[-3000:]
