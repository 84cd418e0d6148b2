"""How dbt nodes become Dagster assets: keys, group, owners and tags.

Models and seeds are keyed `<schema>/<name>` (`marts/vendor_performance`), the keys other
domains (ML, serving, the events sensor) depend on; sources keep the key their
`meta.dagster.asset_key` gives, which ties `raw.enquiries` to the ingestion asset
`raw/enquiries`. The key is decided in `get_asset_key` rather than by rewriting the spec in
`get_asset_spec`, because dagster-dbt also calls `get_asset_key` directly when it maps dbt's
run results back onto assets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator

DBT_GROUP = "dbt"
ANALYTICS_OWNERS = ("team:analytics-engineering",)
KEYED_BY_SCHEMA = ("model", "seed", "snapshot")


class WedsyncDbtTranslator(DagsterDbtTranslator):
    """Maps the WedSync dbt project onto the asset keys of docs/internals.md."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        """`<schema>/<name>` for models and seeds; a source's `meta.dagster.asset_key`."""
        if dbt_resource_props["resource_type"] in KEYED_BY_SCHEMA:
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """Every dbt asset shows in the `dbt` group of the Dagster UI."""
        return DBT_GROUP

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        """Analysts own the SQL; the dbt project's `meta.owner`, when set, names them."""
        owner = dbt_resource_props.get("meta", {}).get("owner")
        return [owner] if owner else list(ANALYTICS_OWNERS)

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        """dbt tags (e.g. `events`) plus the layer and materialization, for selection in the UI."""
        tags = dict(super().get_tags(dbt_resource_props))
        config = dbt_resource_props.get("config", {})
        tags["wedsync/layer"] = dbt_resource_props.get("schema", "")
        if config.get("materialized"):
            tags["dbt/materialized"] = config["materialized"]
        return tags
