"""The restore drill: a point-in-time restore between two acknowledged batches, with pgBackRest."""

from __future__ import annotations

import shutil

import pytest

from benchmarks.backup_drill import run_drill

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.mark.skipif(shutil.which("pgbackrest") is None, reason="pgBackRest is not installed")
def test_restore_to_a_moment_between_two_batches_keeps_exactly_the_first() -> None:
    figures = run_drill()
    print(figures.lines())
    assert figures.backup.kind == "full"
    assert figures.backup.size_bytes > 0
    assert figures.found_before == figures.before_target > 0
    assert figures.found_after == 0
    assert figures.readyz_backup_seconds is not None  # /readyz reports the backup's age
