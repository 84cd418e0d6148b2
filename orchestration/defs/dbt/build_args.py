"""The dbt CLI arguments of a build, and the wedding-day rule for full refreshes.

Kept pure (no Dagster context, no clock) so the rules are unit-tested with fixed dates.
A full refresh drops and rebuilds the incremental marts that suppliers' dashboards read;
on a Saturday, the day most UK weddings happen, suppliers check those dashboards on the day,
so a full refresh then needs an explicit `force_on_wedding_day`.
"""

from __future__ import annotations

import datetime as dt
import json

SATURDAY = 5


class FullRefreshRefused(RuntimeError):
    """A full refresh was asked for on a wedding day without forcing it."""


def check_full_refresh_allowed(today: dt.date, *, force_on_wedding_day: bool) -> None:
    """Raise `FullRefreshRefused` when `today` is a Saturday and the run is not forced."""
    if today.weekday() == SATURDAY and not force_on_wedding_day:
        raise FullRefreshRefused(
            f"full_refresh refused on Saturday {today.isoformat()}: Saturday is the wedding "
            "day, when suppliers read their dashboards and a full refresh would empty and "
            "rebuild the marts they serve from. Run an incremental build now, or set "
            "force_on_wedding_day: true in the run config to rebuild anyway."
        )


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
