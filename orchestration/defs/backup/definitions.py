"""Definitions of the backup domain."""

import dagster as dg

from orchestration.defs.backup.jobs import nightly_backup_job
from orchestration.defs.backup.resources import backup_resource
from orchestration.defs.backup.schedules import nightly_backup_schedule


def defs() -> dg.Definitions:
    """The nightly backup job, its schedule and the pgBackRest resource."""
    return dg.Definitions(
        jobs=[nightly_backup_job],
        schedules=[nightly_backup_schedule],
        resources={"backup": backup_resource()},
    )
