"""MLflow on Postgres behind HAProxy: concurrent trainings log, register and store artifacts.

Four processes each run the real training (`ml.publish.train_and_register`, on synthetic
enquiries) against HAProxy's MLflow port at the same time, so their calls interleave across
the 2 tracking servers: runs, metrics, the calibration plot and the model (uploaded through the
servers into the directory standing in for the object store), the registered version and the
alias. Every training must succeed and every record be complete, whichever server wrote it.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from ml.evaluation import EMBARGO_DAYS, WINDOW_DAYS
from ml.features import prepare_features
from ml.publish import train_and_register
from ml.registry import EXPERIMENT_NAME, REGISTERED_MODEL, use_tracking
from tests.unit.ml.synthetic import synthetic_enquiries
from wedsync.cluster import Cluster
from wedsync.cluster.balancer import server_stats

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TRAININGS = 4
ENQUIRIES = 3_000
CANDIDATES = ["prior_rate", "logistic_regression"]


def _train(tracking_uri: str, seed: int) -> tuple[str, str]:
    """One training in its own process, as a Dagster run would do it: (run id, version)."""
    use_tracking(tracking_uri)
    enquiries = prepare_features(synthetic_enquiries(ENQUIRIES, seed=seed))
    published = train_and_register(
        enquiries, CANDIDATES, Path("/nonexistent-truth"), EMBARGO_DAYS, WINDOW_DAYS
    )
    return published.run_id, published.version


def test_concurrent_trainings_log_through_two_tracking_servers(cluster: Cluster) -> None:
    tracking_uri = f"http://127.0.0.1:{cluster.ports.mlflow_lb}"
    # A client of its own (MLflow's global tracking URI stays as other tests left it).
    client = MlflowClient(tracking_uri, registry_uri=tracking_uri)
    # The experiment exists before the trainings race to find it.
    client.create_experiment(EXPERIMENT_NAME)
    served_before = server_stats(cluster.ports.stats, "mlflow", "stot")

    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(TRAININGS, mp_context=spawn) as pool:
        futures = [pool.submit(_train, tracking_uri, seed) for seed in range(TRAININGS)]
        published = [future.result(timeout=300) for future in futures]

    for run_id, _version in published:
        run = client.get_run(run_id)
        assert run.info.status == "FINISHED"
        assert 0.5 < run.data.metrics["test_roc_auc"] <= 1.0
        logged = {artifact.path for artifact in client.list_artifacts(run_id)}
        assert "calibration.png" in logged
    versions = sorted(int(version) for _run, version in published)
    assert versions == list(range(1, TRAININGS + 1))
    registered = client.search_model_versions(f"name = '{REGISTERED_MODEL}'")
    assert {version.run_id for version in registered} == {run for run, _ in published}
    # The artifacts went through the servers into the shared directory (the object store).
    stored = list(cluster.mlflow_artifacts.rglob("calibration.png"))
    assert len(stored) == TRAININGS
    served_after = server_stats(cluster.ports.stats, "mlflow", "stot")
    assert all(served_after[name] > served_before[name] for name in cluster.mlflow_names)
