"""A dbt model failing mid-build: the served marts and the cache stay last night's.

The failed model's table is last night's (dbt swaps a table in only once it is built), the
model built from it is skipped and unchanged, the API's cache version does not move and a
cached answer stays the one from last night; once the model is fixed and rebuilt, the version
moves, and tonight's build reaches every served mart it changes. The marts that did rebuild in
the failed run are tonight's on the build side only: the API reads `served`, which is
published whole with the version (docs/internals.md, "Publishing a consistent build"), so an
answer computed afresh (not cached) is of last night's build too.
"""

from __future__ import annotations

import pytest

from tests.faults.failed_build import FailedBuildFigures, run_failed_build_fault

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def figures() -> FailedBuildFigures:
    """One run of the scenario (three dbt builds) for both tests."""
    figures = run_failed_build_fault()
    print(figures.line())
    return figures


def test_a_model_failing_mid_build_leaves_the_served_build_and_cache_version(
    figures: FailedBuildFigures,
) -> None:
    assert not figures.build_succeeded
    assert figures.not_rebuilt == ["lead_funnel", "supplier_daily_activity"]
    assert {"lead_funnel", "supplier_daily_activity"} <= set(figures.marts_unchanged)
    assert figures.marts_rebuilt  # tonight's data reached the models that built
    assert figures.cache_version_requested == 0
    assert figures.cache_version_after_failure == figures.cache_version_before
    assert figures.cached_answer_kept
    assert figures.cache_version_after_fix > figures.cache_version_before
    # After the fix tonight's build reached every served mart it changes: the failed ones and
    # the siblings that had built beside them.
    assert {"lead_funnel", "supplier_daily_activity", *figures.mixed_served_marts} <= set(
        figures.served_changed_after_fix
    )


def test_after_a_failed_build_every_served_mart_is_the_previous_build(
    figures: FailedBuildFigures,
) -> None:
    assert figures.served_dbt_marts  # the scenario built the served marts it checks
    assert figures.served_previous_after_failure == figures.served_dbt_marts, (
        f"served from tonight's failed build: "
        f"{sorted(set(figures.served_dbt_marts) - set(figures.served_previous_after_failure))}"
    )
