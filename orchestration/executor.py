"""The executor a job runs its steps on when it does not pin its own, chosen by the deployment.

`make demo`, `make build` and the tests leave `WEDSYNC_DAGSTER_EXECUTOR` unset: Dagster's
default (each step a process on the run worker's machine). A deployment past one machine sets
it to `celery`: every step of those jobs becomes a Celery task on the Redis broker, and
whichever `dagster-celery` worker is free runs it. Those jobs are the heavy ones, the analytics
build (dbt, the quality docs, ML training and scoring) and retention. The nightly load and the
events run pin the in-process executor (light steps, where imports dominate), so they stay on
their run worker either way.

Both sides read one file, `deploy/dagster-celery.yaml` (or the copy `WEDSYNC_CELERY_CONFIG`
names): the run worker that submits steps and the workers that take them must agree on the
broker and on how unacknowledged tasks come back.

On Kubernetes (`deploy/k8s/dagster-values.yaml`) it is `celery-k8s`: Dagster's chart form of
the same, where a Celery worker starts each step as a Kubernetes Job. That executor takes its
broker and Celery settings from the instance's CeleryK8sRunLauncher (the chart writes them) and
refuses `configured`, so it is used as it is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from wedsync.settings import REPO_ROOT

EXECUTOR_VARIABLE = "WEDSYNC_DAGSTER_EXECUTOR"
CELERY_CONFIG_VARIABLE = "WEDSYNC_CELERY_CONFIG"
DEFAULT_CELERY_CONFIG = REPO_ROOT / "deploy" / "dagster-celery.yaml"
EXECUTORS = ("multiprocess", "celery", "celery-k8s")


def celery_config_path() -> Path:
    """The Celery configuration file the code location and the workers share."""
    return Path(os.environ.get(CELERY_CONFIG_VARIABLE) or DEFAULT_CELERY_CONFIG)


def celery_executor_config(path: Path) -> dict[str, Any]:
    """The `execution.config` block of a worker configuration file, as the executor takes it."""
    parsed = yaml.safe_load(path.read_text()) or {}
    config = (parsed.get("execution") or {}).get("config")
    if not isinstance(config, dict):
        raise ValueError(f"{path} has no execution.config block")
    return config


def default_executor() -> dg.ExecutorDefinition | None:
    """The executor `WEDSYNC_DAGSTER_EXECUTOR` names; None leaves Dagster's default."""
    name = os.environ.get(EXECUTOR_VARIABLE) or "multiprocess"
    if name not in EXECUTORS:
        raise ValueError(f"{EXECUTOR_VARIABLE} must be one of {', '.join(EXECUTORS)}; got {name!r}")
    if name == "multiprocess":
        return None
    # Imported here: the default deployment never loads Celery (nor Kubernetes' client).
    if name == "celery-k8s":
        from dagster_celery_k8s import celery_k8s_job_executor

        return celery_k8s_job_executor
    from dagster_celery import celery_executor

    return celery_executor.configured(
        celery_executor_config(celery_config_path()), name="celery_on_redis"
    )
