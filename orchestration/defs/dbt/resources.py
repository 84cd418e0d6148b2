"""The dbt CLI resource, pointed at the warehouse the rest of the platform uses.

Each dbt invocation runs with the profile derived from the resource's `database_url`
(`environment.py`), so dbt builds in that database whatever shell started Dagster.

The manifest Dagster loads was parsed once (`project.py`), and dbt names every relation in it
with the database of the profile it was parsed with: `"wedsync"."marts"."dim_date"`. A build
in another database (a test's throwaway warehouse, an image packaged without the deployment's
database name) is parsed afresh by dbt itself, for its own profile; only Dagster's copy still
names the old database, and dagster-dbt's row counts and column metadata query the relations
it names. Postgres refuses such a cross-database reference, and dagster-dbt then logs the error
and drops the metadata. Schemas and aliases are fixed by the project (`generate_schema_name`
on the prod target); only the database depends on where the manifest was parsed. So the
resource hands dagster-dbt the manifest with every relation in the database it builds in:
the names dbt itself used for this build.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dagster_dbt import DbtCliInvocation, DbtCliResource
from pydantic import Field

from orchestration.defs.dbt.environment import VENV_BIN, dbt_environment, dbt_profile_env
from orchestration.defs.dbt.project import wedsync_dbt_project
from wedsync.settings import get_settings

#: The dbt next to the running interpreter: the venv's, even when the venv is not on PATH.
VENV_DBT = str(VENV_BIN / "dbt")

#: The manifest's collections whose entries name a relation (models, seeds, snapshots; sources).
RELATION_COLLECTIONS = ("nodes", "sources")


def _quoted(identifier: str) -> str:
    """An identifier as dbt-postgres quotes it in a relation name."""
    return f'"{identifier}"'


def in_database(manifest: Mapping[str, Any], database: str) -> dict[str, Any]:
    """`manifest` with every relation it names moved into `database`.

    A node's `database` and the database part of its `relation_name` change; nothing else
    does. Nodes without a relation (tests, ephemeral models) are left as they are.
    """

    def moved(props: Mapping[str, Any]) -> Mapping[str, Any]:
        parsed_in = props.get("database")
        if parsed_in is None or parsed_in == database:
            return props
        relation = props.get("relation_name")
        prefix = f"{_quoted(parsed_in)}."
        if relation is not None and relation.startswith(prefix):
            relation = f"{_quoted(database)}.{relation[len(prefix) :]}"
        return {**props, "database": database, "relation_name": relation}

    return {
        **manifest,
        **{
            collection: {
                unique_id: moved(props) for unique_id, props in manifest.get(collection, {}).items()
            }
            for collection in RELATION_COLLECTIONS
        },
    }


class WarehouseDbtCliResource(DbtCliResource):
    """`DbtCliResource` whose dbt runs against `database_url` (the WedSync warehouse)."""

    database_url: str = Field(description="URL of the warehouse database dbt builds in.")

    @property
    def database_name(self) -> str:
        """The warehouse database dbt builds in."""
        return dbt_profile_env(self.database_url)["WEDSYNC_PG_DATABASE"]

    def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:
        """Run a dbt command in the warehouse; its manifest names relations there too."""
        with dbt_environment(self.database_url):
            invocation = super().cli(args, **kwargs)
        invocation.manifest = in_database(invocation.manifest, self.database_name)
        return invocation


def dbt_resource(database_url: str | None = None) -> WarehouseDbtCliResource:
    """The dbt resource for the configured warehouse (see `wedsync.settings`)."""
    return WarehouseDbtCliResource(
        # DbtCliResource.__init__ takes the DbtProject (and its target and profiles dir); mypy
        # sees only the pydantic field, a str.
        project_dir=wedsync_dbt_project,  # type: ignore[arg-type]
        dbt_executable=VENV_DBT,
        database_url=database_url or get_settings().database_url,
    )
