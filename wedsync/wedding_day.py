"""Wedding-day guard rails: Saturday (UK time) is when suppliers' dashboards must not blink.

Most UK weddings happen on a Saturday and suppliers read their dashboards on the day, so on a
Saturday the platform is stricter: a risky change (a full refresh of the marts, a deployment of
the code location) is refused unless forced, runs are retried more before giving up, and
alerts fire sooner. One rule, kept pure (the moment is passed in) so it is tested with fixed dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")
SATURDAY = 5


class WeddingDayRefused(RuntimeError):
    """A risky change was asked for on a wedding day without forcing it."""


def is_wedding_day(day: dt.date) -> bool:
    """Whether `day` (a UK calendar date) is a Saturday."""
    return day.weekday() == SATURDAY


def uk_today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in the UK (a Saturday starts at midnight London time, not UTC)."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(UK).date()


def refuse_on_wedding_day(
    action: str, consequence: str, today: dt.date, *, force: bool, how_to_force: str
) -> None:
    """Raise `WeddingDayRefused` naming `action` when `today` is a Saturday and not forced."""
    if is_wedding_day(today) and not force:
        raise WeddingDayRefused(
            f"{action} refused on Saturday {today.isoformat()}: Saturday is the wedding day, "
            f"when suppliers read their dashboards and {consequence}. {how_to_force}"
        )


@dataclass(frozen=True)
class Guardrails:
    """How hard runs are retried and how soon alerts fire."""

    #: `dagster/max_retries` on scheduled runs (the run-retry policy retries failed runs).
    max_retries: int
    #: `/readyz` flags the backup as overdue once the last good one is older than this.
    backup_alert_hours: float


WEEKDAY = Guardrails(max_retries=1, backup_alert_hours=36.0)
#: Saturday: a failed run is retried more before anyone is paged; a missed backup alerts sooner.
WEDDING_DAY = Guardrails(max_retries=3, backup_alert_hours=25.0)


def guardrails(today: dt.date) -> Guardrails:
    """The thresholds in force on `today` (a UK date)."""
    return WEDDING_DAY if is_wedding_day(today) else WEEKDAY


def run_tags(today: dt.date) -> dict[str, str]:
    """Tags a scheduled run carries so the run-retry policy applies `today`'s thresholds."""
    rails = guardrails(today)
    return {
        "dagster/max_retries": str(rails.max_retries),
        "wedsync/wedding_day": str(is_wedding_day(today)).lower(),
    }
