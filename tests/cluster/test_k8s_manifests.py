"""The Kubernetes deployment, checked offline: every manifest against the API schemas (strict).

`kubernetes-validate` carries the schemas of each Kubernetes release, so no cluster is needed;
strict mode refuses unknown fields, the usual typo. Dagster's chart values are not a Kubernetes
resource (the chart renders them, and helm is not available here), so for them the test checks
what ties them to this repository: the code location they serve is the one workspace.yaml loads.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

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
