"""Rewrite the landing files soon after a couple is erased, not at the next daily run."""

import dagster as dg

from orchestration.defs.retention.jobs import landing_erasures_job
from orchestration.resources import WarehouseResource

_QUEUED = "select count(*), max(requested_at) from privacy.landing_erasures"


@dg.sensor(
    job=landing_erasures_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Every minute: when couples were erased whose landing files are not rewritten yet, "
        "run retention/landing_erasures."
    ),
)
def erased_couples_sensor(warehouse: WarehouseResource) -> dg.RunRequest | dg.SkipReason:
    """Request a run when the erasure queue holds couples newer than the last request."""
    with warehouse.connection() as conn:
        row = conn.execute(_QUEUED).fetchone()
    queued, newest = (row[0], row[1]) if row else (0, None)
    if not queued or newest is None:
        return dg.SkipReason("no erased couple waits for its landing files")
    # One run per newest erasure; a failed run is retried by the daily retention job.
    return dg.RunRequest(run_key=newest.isoformat())
