"""The dbt CLI resource, pointed at the warehouse the rest of the platform uses.

dbt's profile reads `WEDSYNC_PG_*` variables. Rather than relying on the shell that started
Dagster (`eval "$(wedsync db env)"`), the resource derives them from its `database_url`
and sets them for the duration of each dbt invocation: dagster-dbt starts the dbt process,
and initialises a dbt adapter inside this process, from the process environment.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliInvocation, DbtCliResource
from pydantic import Field

from orchestration.defs.dbt.project import wedsync_dbt_project
from wedsync.settings import get_settings

#: The profile target Dagster builds: production schema names (see profiles.yml).
PROD_TARGET = "prod"

#: The dbt next to the running interpreter: the venv's, even when the venv is not on PATH.
VENV_DBT = str(Path(sys.executable).parent / "dbt")


def dbt_profile_env(database_url: str) -> dict[str, str]:
    """The `WEDSYNC_PG_*` variables dbt's profile reads, for `database_url`."""
    return dataclasses.replace(get_settings(), database_url=database_url).dbt_env()


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of the block, then restore them."""
    previous = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class WarehouseDbtCliResource(DbtCliResource):
    """`DbtCliResource` whose dbt runs against `database_url` (the WedSync warehouse)."""

    database_url: str = Field(description="URL of the warehouse database dbt builds in.")

    def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:
        """Run a dbt command with the profile's environment derived from `database_url`."""
        with _environment(dbt_profile_env(self.database_url)):
            return super().cli(args, **kwargs)


def dbt_resource(database_url: str | None = None) -> WarehouseDbtCliResource:
    """The dbt resource for the configured warehouse (see `wedsync.settings`)."""
    return WarehouseDbtCliResource(
        project_dir=wedsync_dbt_project,
        dbt_executable=VENV_DBT,
        # The deployment's schemas; an analyst's shell defaults to `dev` (profiles.yml).
        target=PROD_TARGET,
        database_url=database_url or get_settings().database_url,
    )
