"""Check the live events once a day, when yesterday's volume per supplier is complete."""

import dagster as dg

from orchestration.defs.quality.jobs import live_event_checks_job

live_event_checks_schedule = dg.ScheduleDefinition(
    job=live_event_checks_job,
    cron_schedule="30 0 * * *",
    execution_timezone="Europe/London",
    description="Daily at 00:30: duplicate event ids and supplier volume anomalies in raw.events.",
)
