"""When the dbt manifest must be re-parsed."""

import os
from pathlib import Path

from orchestration.defs.dbt.project import manifest_is_stale


def _project(root: Path) -> Path:
    (root / "models" / "marts").mkdir(parents=True)
    (root / "dbt_project.yml").write_text("name: wedsync\n")
    (root / "models" / "marts" / "vendor_performance.sql").write_text("select 1\n")
    return root


def _touch(path: Path, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    os.utime(path, (mtime, mtime))


def test_a_missing_manifest_is_stale(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert manifest_is_stale(project, project / "target" / "manifest.json")


def test_a_manifest_newer_than_every_file_is_current(tmp_path: Path) -> None:
    project = _project(tmp_path)
    for file in [project / "dbt_project.yml", *project.rglob("*.sql")]:
        os.utime(file, (1_000, 1_000))
    _touch(project / "target" / "manifest.json", 2_000)
    assert not manifest_is_stale(project, project / "target" / "manifest.json")


def test_an_edited_model_makes_the_manifest_stale(tmp_path: Path) -> None:
    project = _project(tmp_path)
    os.utime(project / "dbt_project.yml", (1_000, 1_000))
    _touch(project / "target" / "manifest.json", 2_000)
    os.utime(project / "models" / "marts" / "vendor_performance.sql", (3_000, 3_000))
    assert manifest_is_stale(project, project / "target" / "manifest.json")
