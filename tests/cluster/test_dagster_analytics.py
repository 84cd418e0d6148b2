"""`make build`'s analytics job on the 2 Celery workers of the Dagster topology, for real.

The deployment's whole code location (`orchestration.definitions`, the module the code server
of `make cluster` serves) on a small simulated history. The history is loaded first, as
`make build` loads it (one in-process run of the nightly exports over every date; they pin the
in-process executor either way), before the daemon starts: else its landing sensor, which sees
every night landed and none loaded, would queue a run per night. Then the `analytics` job is
submitted as the UI submits it. Its steps, dbt's build, the GX quality
docs, the ML training and scoring and the serving cache version, are Celery tasks on the Redis
broker, and the workers run them. What is asserted: the run succeeds; every step it started
was announced by a Celery worker and started in a worker's own process, none in the run
worker; both workers took steps; and the marts the API serves were built. The step-to-worker
table is printed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import dagster as dg
import psycopg
import pytest
from mlflow.tracking import MlflowClient

from tests.cluster.dagster_runs import (
    PARTITION_RANGE_END,
    PARTITION_RANGE_START,
    RunningDagster,
    free_base,
    process_group,
    step_start_pids,
    step_workers,
    submit,
    wait_for_run,
)
from tests.integration.orchestration.nights import deployed_home
from wedsync.cluster.dagster import CODE_LOCATION_MODULE, DagsterHome, DagsterTopology, dagster_home
from wedsync.cluster.processes import Supervisor
from wedsync.cluster.topology import BIN
from wedsync.exports import export_dates
from wedsync.settings import REPO_ROOT, get_settings
from wedsync.simulator import SimulationConfig, simulate

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: The end-to-end test's small history (`tests/integration/platform/test_end_to_end.py`).
AS_OF = dt.date(2026, 11, 25)
SCALE = 0.05
#: This suite's own Redis databases: the Celery broker, and the cache the build versions.
REDIS = urlparse(get_settings().redis_url)
BROKER_URL = REDIS._replace(path="/12").geturl()
CACHE_URL = REDIS._replace(path="/13").geturl()
#: Bounds on the history's load and the analytics run (the whole `make build` of this history
#: takes a few minutes in process).
EXPORTS_SECONDS = 900
ANALYTICS_SECONDS = 1500


@pytest.fixture(scope="module")
def analytics_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDagster]:
    """The Dagster topology serving the deployment's code location, on a throwaway warehouse,
    Dagster storage and MLflow, with a small simulated history landed."""
    root = tmp_path_factory.mktemp("dagster-analytics")
    landing = root / "landing"
    simulate(SimulationConfig(landing_dir=landing, seed=7, scale=SCALE, as_of=AS_OF))
    ports = free_base()
    (root / "home").mkdir()
    with (
        deployed_home(root / "home", "wedsync_celery_analytics") as deployed,
        pytest.MonkeyPatch.context() as env,
    ):
        settings = dataclasses.replace(
            get_settings(),
            database_url=deployed.database_url,
            redis_url=CACHE_URL,
            landing_dir=landing,
            mlflow_tracking_uri=f"sqlite:///{root / 'mlflow' / 'mlflow.db'}",
        )
        # MLflow's store is made once here: two workers' ML steps each creating a new SQLite
        # store at once race on its migrations ("duplicate column name"). The topology of
        # `make cluster` logs to its MLflow servers instead (Postgres store, behind HAProxy).
        (root / "mlflow").mkdir()
        MlflowClient(tracking_uri=settings.mlflow_tracking_uri).search_experiments()
        home = dagster_home(root / "home", settings, ports, deployed.dagster_pg_url)
        home = dataclasses.replace(home, env={**home.env, "WEDSYNC_CELERY_BROKER_URL": BROKER_URL})
        load_history(home)
        topology = DagsterTopology(Supervisor(root / "run"), home, ports)
        try:
            topology.up()
            env.setenv("DAGSTER_PG_URL", home.env["DAGSTER_PG_URL"])
            with dg.DagsterInstance.from_config(str(home.path)) as instance:
                yield RunningDagster(topology, ports, instance, deployed.database_url)
        finally:
            topology.supervisor.stop_all()


def load_history(home: DagsterHome) -> None:
    """Every landed night loaded by one in-process run of the nightly exports, on `home`'s
    instance and warehouse (what `make build` does before the analytics job)."""
    dates = export_dates(Path(home.env["WEDSYNC_LANDING_DIR"]))
    tags = {PARTITION_RANGE_START: dates[0].isoformat(), PARTITION_RANGE_END: dates[-1].isoformat()}
    loaded = subprocess.run(
        [
            str(BIN / "dagster"),
            *("job", "execute", "-m", CODE_LOCATION_MODULE, "-d", str(REPO_ROOT)),
            *("-j", "nightly_exports", "--tags", json.dumps(tags)),
        ],
        env={**os.environ, **home.env},
        capture_output=True,
        text=True,
        timeout=EXPORTS_SECONDS,
    )
    assert loaded.returncode == 0, loaded.stdout[-3000:] + loaded.stderr[-3000:]


def test_the_analytics_job_runs_every_step_on_the_celery_workers(
    analytics_cluster: RunningDagster,
) -> None:
    cluster, instance = analytics_cluster, analytics_cluster.instance
    run_id = str(uuid.uuid4())
    submit(cluster.topology.home, "analytics", run_id, {}, ANALYTICS_SECONDS)
    run = wait_for_run(instance, run_id, ANALYTICS_SECONDS)
    attempts = step_workers(instance, run_id)
    started = step_start_pids(instance, run_id)
    workers = {
        member.name: cluster.topology.supervisor.pid(member.name)
        for member in cluster.topology.workers
    }
    print(f"\nanalytics run {run.status.value}: {len(started)} steps")
    for step, worker, _ in sorted(attempts, key=lambda attempt: attempt[2]):
        print(f"  {worker:32} {step}")
    print(f"steps per worker: {dict(Counter(worker for _, worker, _ in attempts))}")
    failures = [
        f"{entry.step_key}: {entry.message}"
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    ]
    assert run.status == dg.DagsterRunStatus.SUCCESS, failures

    # Every step the run started was handed to a Celery worker, and started in a worker's own
    # process (a solo worker runs its task in its own process group), never in the run worker.
    assert started
    assert set(started) <= {step for step, _, _ in attempts}
    assert {process_group(pid) for pid in started.values()} <= set(workers.values())
    # Both workers took steps.
    assert {worker.split("@")[0] for _, worker, _ in attempts} == {
        f"wedsync{n}" for n in range(1, len(workers) + 1)
    }
    with psycopg.connect(cluster.database_url) as conn:
        built = conn.execute("select count(*) from marts.vendor_performance").fetchone()
        assert built is not None and built[0] > 0
