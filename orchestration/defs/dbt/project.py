"""The dbt project Dagster builds, and how its manifest is prepared.

`target/` is not committed, so a fresh clone has no `manifest.json`. dagster-dbt prepares it
(`dbt parse`, with `dbt deps` when the project has packages):
- under `dagster dev`, `prepare_if_dev()` below parses at every load of the code location, so
  an analyst's edit to a model shows on "Reload definitions";
- everywhere else (`make build`, `make demo`'s webserver and daemon, `make test`, a deployment's
  image) the manifest is prepared once beforehand, by the deployment step
  `dagster-dbt project prepare-and-package --file orchestration/defs/dbt/project.py`
  (the Makefile's `dbt-manifest` target), and loading never parses.

Dagster's manifest lives in `target/prod/`, not in dbt's default `target/`: an analyst's own
`dbt build` on the dev target writes `target/manifest.json`, which must never become what
Dagster builds. It is parsed for the `prod` target, whose schema names are the ones the API,
the ML code and the quality checks address (macros/generate_schema_name.sql). `dagster dev`
parses with the profile of the configured warehouse (`environment.py`); a build in another
database still gets its own relations' metadata (`resources.py`).
"""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.defs.dbt.environment import dbt_environment
from wedsync.settings import DBT_PROJECT_DIR, get_settings

#: The profile target Dagster builds: production schema names (see profiles.yml).
PROD_TARGET = "prod"

wedsync_dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target=PROD_TARGET,
    target_path=Path("target") / "prod",
)

with dbt_environment(get_settings().database_url):
    wedsync_dbt_project.prepare_if_dev()
