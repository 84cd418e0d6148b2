"""Run configuration of a dbt build, as a data engineer sets it in the launchpad."""

from __future__ import annotations

import datetime as dt

import dagster as dg
from pydantic import Field


class DbtBuildConfig(dg.Config):
    """How to run `dbt build`: incrementally (the default) or as a full refresh."""

    full_refresh: bool = Field(
        default=False,
        description="Rebuild incremental marts from scratch (refused on Saturdays unless forced).",
    )
    force_on_wedding_day: bool = Field(
        default=False,
        description="Allow a full refresh on a Saturday, the wedding day.",
    )
    as_of: str | None = Field(
        default=None,
        description="YYYY-MM-DD date that wedding_day_alerts are computed for (default: today).",
    )

    def as_of_date(self) -> dt.date | None:
        """`as_of` as a date; a clear error naming the field when it is not one."""
        if self.as_of is None:
            return None
        try:
            return dt.date.fromisoformat(self.as_of)
        except ValueError as error:
            raise ValueError(f"as_of: {self.as_of!r} is not a YYYY-MM-DD date") from error
