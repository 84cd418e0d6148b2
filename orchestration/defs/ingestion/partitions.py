"""Export dates: one partition per nightly export of the WedSync platform."""

import dagster as dg

from wedsync.exports import EXPORT_START_DATE

export_date_partitions = dg.DailyPartitionsDefinition(
    start_date=EXPORT_START_DATE.isoformat(), end_offset=0
)
