"""Apply the retention policy once a day, after the nightly export has loaded."""

import dagster as dg

from orchestration.defs.retention.jobs import retention_job

retention_schedule = dg.ScheduleDefinition(
    job=retention_job,
    cron_schedule="0 3 * * *",
    execution_timezone="Europe/London",
    description="Daily at 03:00: drop expired raw.events months and landing export folders.",
)
