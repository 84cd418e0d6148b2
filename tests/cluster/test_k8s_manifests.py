"""The Kubernetes deployment, checked offline: every manifest against the API schemas (strict).

`kubernetes-validate` carries the schemas of each Kubernetes release, so no cluster is needed;
strict mode refuses unknown fields, the usual typo. Dagster's chart values are not a Kubernetes
resource (the chart renders them, and helm is not available here), so for them the tests check
what ties them to this repository: the code location they serve is the one workspace.yaml loads,
and the chart's Celery (the CeleryK8sRunLauncher) runs with the settings `make cluster`'s
workers use, on the standalone broker, with the code location on the executor it requires.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import dagster as dg
import kubernetes_validate
import pytest
import yaml
from dagster_celery_k8s import celery_k8s_job_executor

from orchestration.executor import EXECUTOR_VARIABLE, celery_executor_config, default_executor
from wedsync.cluster.dagster import DEFAULT_CELERY_CONFIG
from wedsync.settings import REPO_ROOT

K8S_DIR = REPO_ROOT / "deploy" / "k8s"
KUBERNETES_VERSION = "1.37.0"
CHART_VALUES = K8S_DIR / "dagster-values.yaml"
MANIFESTS = sorted(path for path in K8S_DIR.glob("*.yaml") if path != CHART_VALUES)


def resources(path: Path) -> list[dict[str, Any]]:
    """The resources of one manifest file."""
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda path: path.name)
def test_every_resource_is_valid_kubernetes(manifest: Path) -> None:
    for resource in resources(manifest):
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_the_deployment_has_each_part_the_topology_needs() -> None:
    kinds = {
        (resource["kind"], resource["metadata"]["name"])
        for manifest in MANIFESTS
        for resource in resources(manifest)
    }
    assert ("HorizontalPodAutoscaler", "wedsync-api") in kinds
    assert ("StatefulSet", "wedsync-postgres") in kinds
    assert ("StatefulSet", "wedsync-redis") in kinds
    assert ("Deployment", "wedsync-mlflow") in kinds
    assert ("StatefulSet", "wedsync-celery-broker") in kinds


def test_a_misspelt_field_is_refused() -> None:
    api = next(r for r in resources(K8S_DIR / "api.yaml") if r["kind"] == "Deployment")
    broken = copy.deepcopy(api)
    container = broken["spec"]["template"]["spec"]["containers"][0]
    container["readinessprobe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError, match="readinessprobe"):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_dagsters_chart_serves_the_code_location_the_workspace_loads() -> None:
    values = yaml.safe_load(CHART_VALUES.read_text())
    workspace = yaml.safe_load((REPO_ROOT / "workspace.yaml").read_text())
    location = workspace["load_from"][0]["python_module"]
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    arguments = deployment["dagsterApiGrpcArgs"]
    module = arguments[arguments.index("--module-name") + 1]
    name = arguments[arguments.index("--location-name") + 1]
    assert (module, name) == (location["module_name"], location["location_name"])
    assert values["dagsterWebserver"]["replicaCount"] >= 2


def test_dagsters_chart_runs_steps_on_celery_as_the_local_workers_do() -> None:
    values = yaml.safe_load(CHART_VALUES.read_text())
    launcher = values["runLauncher"]
    assert launcher["type"] == "CeleryK8sRunLauncher"
    celery = launcher["config"]["celeryK8sRunLauncher"]
    # The chart's workers take tasks with the settings of deploy/dagster-celery.yaml.
    local = celery_executor_config(DEFAULT_CELERY_CONFIG)["config_source"]
    assert celery["configSource"] == local
    assert sum(queue["replicaCount"] for queue in celery["workerQueues"]) >= 2
    # The code server, the run workers and the steps all pick the chart's executor.
    (deployment,) = values["dagster-user-deployments"]["deployments"]
    assert {"name": EXECUTOR_VARIABLE, "value": "celery-k8s"} in deployment["env"]
    assert celery["env"][EXECUTOR_VARIABLE] == "celery-k8s"
    # The broker is the standalone Redis of celery-broker.yaml, not RabbitMQ nor the cluster.
    assert values["rabbitmq"]["enabled"] is False
    assert values["redis"]["enabled"] is True and values["redis"]["internal"] is False
    broker = next(r for r in resources(K8S_DIR / "celery-broker.yaml") if r["kind"] == "Service")
    assert values["redis"]["host"].split(".")[:2] == [broker["metadata"]["name"], "wedsync"]


def test_under_the_charts_executor_setting_every_job_runs_on_celery_k8s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(EXECUTOR_VARIABLE, "celery-k8s")
    executor = default_executor()
    assert executor is celery_k8s_job_executor
    # The analytics job, which pins no executor, takes it from the location's default.
    defs = dg.Definitions(jobs=[dg.define_asset_job("analytics")], executor=executor)
    assert defs.resolve_job_def("analytics").executor_def is celery_k8s_job_executor
