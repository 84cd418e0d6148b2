"""Export dates: one partition per nightly export of the WedSync platform.

Days are UK days (`Europe/London`, like every cron of the deployment); the newest partition
is yesterday's, the night whose export lands after midnight.
"""

import dagster as dg

from orchestration.automation import WEDDING_TIMEZONE
from wedsync.exports import EXPORT_START_DATE

export_date_partitions = dg.DailyPartitionsDefinition(
    start_date=EXPORT_START_DATE.isoformat(), end_offset=0, timezone=WEDDING_TIMEZONE
)
