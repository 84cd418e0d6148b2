"""The dbt CLI arguments of a build, and the wedding-day rule for full refreshes.

Kept pure (no Dagster context, no clock) so the rules are unit-tested with fixed dates.
A full refresh drops and rebuilds the incremental marts that suppliers' dashboards read;
on a Saturday, the day most UK weddings happen, suppliers check those dashboards on the day,
so a full refresh then needs an explicit `force_on_wedding_day`.
"""

from __future__ import annotations

import datetime as dt
import json

from wedsync.wedding_day import WeddingDayRefused, refuse_on_wedding_day


class FullRefreshRefused(WeddingDayRefused):
    """A full refresh was asked for on a wedding day without forcing it."""


def check_full_refresh_allowed(today: dt.date, *, force_on_wedding_day: bool) -> None:
    """Raise `FullRefreshRefused` when `today` is a Saturday and the run is not forced."""
    try:
        refuse_on_wedding_day(
            "full_refresh",
            "a full refresh would empty and rebuild the marts they serve from",
            today,
            force=force_on_wedding_day,
            how_to_force="Run an incremental build now, or set force_on_wedding_day: true in "
            "the run config to rebuild anyway.",
        )
    except WeddingDayRefused as refusal:
        raise FullRefreshRefused(str(refusal)) from None


def dbt_build_args(
    *,
    today: dt.date,
    full_refresh: bool = False,
    force_on_wedding_day: bool = False,
    as_of: dt.date | None = None,
) -> list[str]:
    """The arguments of `dbt build` for one run (selection is added by dagster-dbt).

    `as_of` pins the date the "today"-relative marts (wedding_day_alerts) are computed for.
    """
    args = ["build"]
    if full_refresh:
        check_full_refresh_allowed(today, force_on_wedding_day=force_on_wedding_day)
        args.append("--full-refresh")
    if as_of is not None:
        args += ["--vars", json.dumps({"as_of": as_of.isoformat()})]
    return args
