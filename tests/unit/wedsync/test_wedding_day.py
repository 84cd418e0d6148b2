"""The wedding-day guard rails: Saturday in the UK is stricter, and risky changes need forcing."""

from __future__ import annotations

import datetime as dt

import pytest

from orchestration.defs.dbt.build_args import FullRefreshRefused, check_full_refresh_allowed
from wedsync.wedding_day import (
    WEDDING_DAY,
    WEEKDAY,
    WeddingDayRefused,
    guardrails,
    refuse_on_wedding_day,
    run_tags,
    uk_today,
)

SATURDAY = dt.date(2026, 6, 13)
FRIDAY = dt.date(2026, 6, 12)


def test_saturday_is_stricter_retries_more_and_alerts_sooner() -> None:
    assert guardrails(SATURDAY) == WEDDING_DAY
    assert guardrails(FRIDAY) == WEEKDAY
    assert WEDDING_DAY.max_retries > WEEKDAY.max_retries
    assert WEDDING_DAY.backup_alert_hours < WEEKDAY.backup_alert_hours
    assert run_tags(SATURDAY)["dagster/max_retries"] == str(WEDDING_DAY.max_retries)


def test_saturday_starts_at_midnight_in_london_not_utc() -> None:
    # 23:30 UTC on Friday 12 June is 00:30 on Saturday in British Summer Time.
    assert uk_today(dt.datetime(2026, 6, 12, 23, 30, tzinfo=dt.UTC)) == SATURDAY


def test_a_deployment_and_a_full_refresh_follow_the_same_rule() -> None:
    with pytest.raises(WeddingDayRefused, match="deploying the code location refused on Saturday"):
        refuse_on_wedding_day(
            "deploying the code location", "x", SATURDAY, force=False, how_to_force=""
        )
    refuse_on_wedding_day("deploying the code location", "x", SATURDAY, force=True, how_to_force="")
    refuse_on_wedding_day("deploying the code location", "x", FRIDAY, force=False, how_to_force="")
    with pytest.raises(FullRefreshRefused, match="force_on_wedding_day"):
        check_full_refresh_allowed(SATURDAY, force_on_wedding_day=False)
    check_full_refresh_allowed(SATURDAY, force_on_wedding_day=True)
