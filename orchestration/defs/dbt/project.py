"""The dbt project and its manifest.

`target/` is not committed, so a fresh clone has no `manifest.json`; and an analyst who edits
a model expects Dagster to see the change. `prepare_manifest` therefore runs `dbt parse` when
the manifest is missing or older than any file of the project, under every entry point
(`make build`, `dagster dev`, the webserver and daemon, tests), not only under `dagster dev`
as `DbtProject.prepare_if_dev` would. Parsing happens in a private target dir and the
manifest is moved into place atomically, so processes starting together never read a
half-written one.

Dagster's manifest lives in `target/prod/`, not in dbt's default `target/`: an analyst's own
`dbt build` on the dev target writes `target/manifest.json`, and, being newer than the project
files, it would otherwise be taken as current and Dagster would build the analyst's schemas.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from wedsync.settings import DBT_PROJECT_DIR

#: Artifacts of `dbt parse` kept in `target/`: the manifest, and the partial-parse state that
#: dagster-dbt copies into each run's target dir so runs do not parse from scratch.
PARSE_ARTIFACTS = ("partial_parse.msgpack", "manifest.json")

#: What a manifest is parsed from: a newer file here makes the manifest stale.
PROJECT_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests")

wedsync_dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target_path=Path("target") / "prod"
)


def newest_source_mtime(project_dir: Path) -> float:
    """The modification time of the most recently changed file the manifest depends on."""
    newest = 0.0
    for name in PROJECT_SOURCES:
        path = project_dir / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        newest = max([newest, *(file.stat().st_mtime for file in files)])
    return newest


def manifest_is_stale(project_dir: Path, manifest_path: Path) -> bool:
    """True when there is no manifest or a project file changed after it was written."""
    if not manifest_path.exists():
        return True
    return manifest_path.stat().st_mtime < newest_source_mtime(project_dir)


def prepare_manifest(project: DbtProject, dbt: DbtCliResource) -> Path:
    """Make sure `project.manifest_path` is current, running `dbt parse` when it is not."""
    if manifest_is_stale(project.project_dir, project.manifest_path):
        project.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=project.manifest_path.parent) as scratch:
            dbt.cli(["parse", "--quiet"], target_path=Path(scratch)).wait()
            # The manifest moves last: a reader that sees it current also finds its state.
            for artifact in PARSE_ARTIFACTS:
                if (Path(scratch) / artifact).exists():
                    os.replace(Path(scratch) / artifact, project.manifest_path.parent / artifact)
    return project.manifest_path
