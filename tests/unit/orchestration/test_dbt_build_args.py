"""The dbt CLI arguments of a build and the wedding-day rule for full refreshes."""

import datetime as dt

import pytest

from orchestration.defs.dbt.build_args import FullRefreshRefused, dbt_build_args

WEDNESDAY = dt.date(2026, 11, 25)
SATURDAY = dt.date(2026, 11, 28)


def test_a_plain_build_is_incremental() -> None:
    assert dbt_build_args(today=SATURDAY) == ["build"]


def test_full_refresh_on_a_weekday() -> None:
    assert dbt_build_args(today=WEDNESDAY, full_refresh=True) == ["build", "--full-refresh"]


def test_full_refresh_is_refused_on_a_saturday_and_says_why() -> None:
    with pytest.raises(FullRefreshRefused) as refusal:
        dbt_build_args(today=SATURDAY, full_refresh=True)
    message = str(refusal.value)
    assert "Saturday 2026-11-28" in message
    assert "wedding day" in message
    assert "force_on_wedding_day" in message


def test_a_forced_full_refresh_runs_on_a_saturday() -> None:
    args = dbt_build_args(today=SATURDAY, full_refresh=True, force_on_wedding_day=True)
    assert args == ["build", "--full-refresh"]


def test_as_of_pins_the_alert_date() -> None:
    args = dbt_build_args(today=WEDNESDAY, as_of=dt.date(2026, 6, 1))
    assert args == ["build", "--vars", '{"as_of": "2026-06-01"}']
