"""Definitions of the serving domain."""

import dagster as dg

from orchestration.defs.serving.assets import api_cache_version
from orchestration.resources import warehouse_resource


def defs() -> dg.Definitions:
    """The serving cache-version asset and the warehouse it writes.

    Its automation condition is evaluated by the deployment's one automation sensor
    (`orchestration/automation.py`).
    """
    return dg.Definitions(
        assets=dg.with_source_code_references([api_cache_version]),
        resources={"warehouse": warehouse_resource()},
    )
