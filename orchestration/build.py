"""`make build`: materialize every asset through Dagster, then print a one-screen summary.

Two runs, as the schedules would do them: the nightly exports over every export date in the
landing dir (one single-run backfill), then the analytics job (dbt, quality docs, ML, serving).
Both go through the Dagster instance in `$DAGSTER_HOME`, so they show in the UI afterwards.
Exit status 0 only when both runs succeeded.

The history's run records one materialization per export asset per date (and, when the run is
created, one planned event each): 6 x 1,063 of each for the demo's history. Dagster writes them
to the event log in batches when `DAGSTER_EVENT_BATCH_SIZE` is set (one insert per batch instead
of a round trip per event); the build sets it unless the environment already does, and `make`
exports it for the daemon's runs too (figures: `benchmarks/partition_recording.py`).
"""

from __future__ import annotations

import os
import sys
import time

import dagster as dg

from orchestration.definitions import defs
from orchestration.summary import BuildSummary, collect_summary
from wedsync.exports import export_dates
from wedsync.settings import get_settings
from wedsync.warehouse import apply_schema, connect, ensure_database

PARTITION_RANGE_START = "dagster/asset_partition_range_start"
PARTITION_RANGE_END = "dagster/asset_partition_range_end"
#: The console shows INFO and up: at DEBUG, loading the export history printed a few lines per
#: daily partition (about 7,000 at scale 0.05), burying the summary. The UI keeps every event.
CONSOLE_AT_INFO = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
EVENT_BATCH_VARIABLE = "DAGSTER_EVENT_BATCH_SIZE"
#: Events per write: one batch per asset for the history's year-scale runs.
EVENT_BATCH_SIZE = "1000"


def run_build(instance: dg.DagsterInstance) -> tuple[list[dg.ExecuteInProcessResult], float]:
    """Load every export date, then build everything downstream; return runs and seconds."""
    settings = get_settings()
    ensure_database()
    with connect() as conn:
        apply_schema(conn)
    dates = export_dates(settings.landing_dir)
    if not dates:
        raise SystemExit(f"no exports in {settings.landing_dir}: run `wedsync simulate` first")
    os.environ.setdefault(EVENT_BATCH_VARIABLE, EVENT_BATCH_SIZE)
    started = time.perf_counter()
    exports = defs.resolve_job_def("nightly_exports").execute_in_process(
        instance=instance,
        run_config=CONSOLE_AT_INFO,
        tags={
            PARTITION_RANGE_START: dates[0].isoformat(),
            PARTITION_RANGE_END: dates[-1].isoformat(),
        },
        raise_on_error=False,
    )
    runs = [exports]
    if exports.success:
        runs.append(
            defs.resolve_job_def("analytics").execute_in_process(
                instance=instance, run_config=CONSOLE_AT_INFO, raise_on_error=False
            )
        )
    return runs, time.perf_counter() - started


def main() -> int:
    """Run the build and print its summary; 0 when everything materialized."""
    with dg.DagsterInstance.get() as instance:
        runs, seconds = run_build(instance)
    summary: BuildSummary = collect_summary(runs, seconds)
    print(summary.render())
    return 0 if all(run.success for run in runs) and len(runs) == 2 else 1


if __name__ == "__main__":
    sys.exit(main())
