"""Definitions of the dbt domain: the dbt assets, their checks and the dbt resource."""

import dagster as dg

from orchestration.defs.dbt.assets import wedsync_dbt_models
from orchestration.defs.dbt.resources import dbt_resource


def defs() -> dg.Definitions:
    """The dbt models, seeds and tests of `dbt_project/` and the resource that runs them."""
    return dg.Definitions(assets=[wedsync_dbt_models], resources={"dbt": dbt_resource()})
