"""The run config of a dbt build."""

import datetime as dt

import pytest

from orchestration.defs.dbt.config import DbtBuildConfig


def test_defaults_are_an_incremental_build_for_today() -> None:
    config = DbtBuildConfig()
    assert (config.full_refresh, config.force_on_wedding_day, config.as_of_date()) == (
        False,
        False,
        None,
    )


def test_as_of_is_read_as_a_date() -> None:
    assert DbtBuildConfig(as_of="2026-06-01").as_of_date() == dt.date(2026, 6, 1)


def test_a_malformed_as_of_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"as_of: '2026-02-30' is not a YYYY-MM-DD date"):
        DbtBuildConfig(as_of="2026-02-30").as_of_date()
