"""The retention policy as a resource: how long live events and landing files are kept."""

from __future__ import annotations

import datetime as dt
import os
from functools import cache

import dagster as dg

DEFAULT_RAW_EVENT_DAYS = 730
DEFAULT_LANDING_DAYS = 400


def _days_from_env(name: str, default: int) -> int:
    """`name` as a whole number of days (at least 1), or `default` when unset."""
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of days, at least 1; got {raw!r}")
    return int(raw)


class RetentionPolicyResource(dg.ConfigurableResource):
    """Ages after which live events (with their ids and dead letters) and export files go.

    Two years of events cover a wedding booked a year ahead and its reviews; the landing files
    only need to outlive the longest backfill an engineer would run.
    """

    raw_event_days: int = DEFAULT_RAW_EVENT_DAYS
    landing_days: int = DEFAULT_LANDING_DAYS

    def raw_event_cutoff(self, today: dt.date) -> dt.date:
        """Events that occurred before this day are past the policy."""
        return today - dt.timedelta(days=self.raw_event_days)

    def landing_cutoff(self, today: dt.date) -> dt.date:
        """Export folders of dates before this day are past the policy."""
        return today - dt.timedelta(days=self.landing_days)


@cache
def retention_policy_resource() -> RetentionPolicyResource:
    """The policy from `WEDSYNC_RETENTION_RAW_EVENT_DAYS` / `WEDSYNC_RETENTION_LANDING_DAYS`."""
    return RetentionPolicyResource(
        raw_event_days=_days_from_env("WEDSYNC_RETENTION_RAW_EVENT_DAYS", DEFAULT_RAW_EVENT_DAYS),
        landing_days=_days_from_env("WEDSYNC_RETENTION_LANDING_DAYS", DEFAULT_LANDING_DAYS),
    )
