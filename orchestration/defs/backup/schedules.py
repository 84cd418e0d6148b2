"""A full backup every night, after the 02:00 analytics build, with the day's retry policy."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.backup.jobs import nightly_backup_job
from wedsync.wedding_day import run_tags, uk_today


@dg.schedule(
    job=nightly_backup_job,
    cron_schedule="30 3 * * *",
    execution_timezone="Europe/London",
    description="Nightly at 03:30: a full backup; retried more on Saturdays (wedding day).",
)
def nightly_backup_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """One run per night, tagged with the retry policy of the day it runs on."""
    return dg.RunRequest(tags=run_tags(uk_today(context.scheduled_execution_time)))
