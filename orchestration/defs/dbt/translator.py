"""How dbt nodes become Dagster assets: keys, groups, owners, tags and automation.

Models and seeds are keyed `<schema>/<name>` (`marts/vendor_performance`), the keys other
domains (ML, serving, the events sensor) depend on; the schema is the one the project
configures (`+schema: marts`), not the target's, so an analyst's dev build and production
share keys. Sources keep the key their `meta.dagster.asset_key` gives, which ties
`raw.enquiries` to the ingestion asset `raw/enquiries`. The key is decided in `get_asset_key`
rather than by rewriting the spec in `get_asset_spec`, because dagster-dbt also calls
`get_asset_key` directly when it maps dbt's run results back onto assets.

Groups follow the project's folders (`staging`, `intermediate`, `marts`, `marts_core`,
`features`, `seeds`), so a folder an analyst adds becomes a group in the Dagster UI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator

if TYPE_CHECKING:
    from dagster_dbt import DbtProject

from orchestration.automation import NIGHTLY, with_its_asset

ANALYTICS_OWNERS = ("team:analytics-engineering",)
KEYED_BY_SCHEMA = ("model", "seed", "snapshot")


def configured_schema(dbt_resource_props: Mapping[str, Any]) -> str:
    """The schema the project configures for a node (`marts`), whatever the target prefixes."""
    return dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props["schema"]


class WedsyncDbtTranslator(DagsterDbtTranslator):
    """Maps the WedSync dbt project onto the asset keys of docs/internals.md."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        """`<schema>/<name>` for models and seeds; a source's `meta.dagster.asset_key`."""
        if dbt_resource_props["resource_type"] in KEYED_BY_SCHEMA:
            return dg.AssetKey([configured_schema(dbt_resource_props), dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """The node's folder under `models/` (`marts/core` -> `marts_core`), or `seeds`."""
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        folders = dbt_resource_props.get("fqn", [])[1:-1]
        return "_".join(folders) or "models"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        """Analysts own the SQL; the dbt project's `meta.owner`, when set, names them."""
        owner = dbt_resource_props.get("meta", {}).get("owner")
        return [owner] if owner else list(ANALYTICS_OWNERS)

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        """dbt tags (e.g. `events`) plus the layer and materialization, for selection in the UI."""
        tags = dict(super().get_tags(dbt_resource_props))
        config = dbt_resource_props.get("config", {})
        tags["wedsync/layer"] = configured_schema(dbt_resource_props)
        if config.get("materialized"):
            tags["dbt/materialized"] = config["materialized"]
        return tags

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        """Nightly, gated on the night's exports and their blocking checks.

        The live-event marts are also rebuilt by the events sensor within a minute of an
        event; the nightly build catches them up with the night's supplier changes.
        """
        return NIGHTLY

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        """dbt's test, requested whenever its model is: the night's build is one run.

        A model's blocking tests then count as "will be requested" for its children in the
        same evaluation, so staging, marts and features go in one run rather than one run per
        layer, each waiting for the previous layer's tests to pass.
        """
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None:
            return None
        return spec._replace(automation_condition=with_its_asset(spec.asset_key))
