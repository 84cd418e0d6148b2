"""A dbt model failing mid-build: the served marts and the cache stay last night's.

The failed model's table is last night's (dbt swaps a table in only once it is built), the
model built from it is skipped and unchanged, the API's cache version does not move and a
cached answer stays the one from last night; once the model is fixed and rebuilt, the version
moves. What is not guaranteed, and printed: the marts that did rebuild in the failed run are
tonight's while the failed one is last night's, so an answer computed afresh (not cached)
mixes the two builds; only a blue/green swap of the whole schema would prevent that.
"""

from __future__ import annotations

import pytest

from tests.faults.failed_build import run_failed_build_fault

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_a_model_failing_mid_build_leaves_the_served_build_and_cache_version() -> None:
    figures = run_failed_build_fault()
    print(figures.line())
    assert not figures.build_succeeded
    assert figures.not_rebuilt == ["lead_funnel", "supplier_daily_activity"]
    assert {"lead_funnel", "supplier_daily_activity"} <= set(figures.marts_unchanged)
    assert figures.marts_rebuilt  # tonight's data reached the models that built
    assert figures.cache_version_requested == 0
    assert figures.cache_version_after_failure == figures.cache_version_before
    assert figures.cached_answer_kept
    assert figures.cache_version_after_fix > figures.cache_version_before
