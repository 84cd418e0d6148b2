"""What recording the export history's partitions costs, with and without Dagster's event batching.

`make build` loads every export date in one run (the assets' single-run backfill policy), and
Dagster then records one materialization event per asset per date: 6 x 1,063 events for the
demo's history. Unbatched, each is its own write to the Postgres event log (the event row, its
partition tags, the asset's latest-materialization row). With `DAGSTER_EVENT_BATCH_SIZE` set,
the events of one output go to the storage in batches (`store_event_batch`: one insert of the
rows, one of their tags, the asset row updated once).

The same landing dir, warehouse and job as `make build` (`nightly_exports` over every export
date, `execute_in_process`), on a fresh Postgres-backed instance per run, alternating the two
modes. "Recording" is, summed over the six asset steps, the time from the step's output to its
success: creating and storing its materialization events (the step's own work, the COPYs, is
before the output). Planned events (one per asset per date, written when the run is created,
batched by the same setting) are in the whole run's time, not in "recording".

    wedsync simulate --scale 0.02 --as-of 2026-11-29 --landing-dir /tmp/landing
    WEDSYNC_LANDING_DIR=/tmp/landing python -m benchmarks.partition_recording --runs 3
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dagster as dg
import psycopg
from psycopg import sql

from orchestration.build import PARTITION_RANGE_END, PARTITION_RANGE_START
from orchestration.definitions import defs
from orchestration.defs.ingestion.assets import export_assets
from wedsync.exports import export_dates
from wedsync.settings import REPO_ROOT, get_settings
from wedsync.warehouse import apply_schema, connect, ensure_database

BATCH_VARIABLE = "DAGSTER_EVENT_BATCH_SIZE"
ASSET_STEPS = {key.to_python_identifier() for asset in export_assets for key in asset.keys}


@dataclass(frozen=True)
class Measurement:
    """One run of the history load."""

    batch_size: int
    seconds: float
    recording_seconds: float
    events: int
    partitions: int


@contextmanager
def fresh_instance() -> Iterator[dg.DagsterInstance]:
    """A DAGSTER_HOME on `deploy/dagster.yaml` with an empty Postgres storage, dropped after."""
    settings = get_settings()
    name = f"{settings.database_name}_recording_{uuid.uuid4().hex[:8]}"
    admin = settings.database_url_for("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    home = tempfile.mkdtemp(prefix="recording-")
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", f"{home}/dagster.yaml")
    previous = os.environ.get("DAGSTER_PG_URL")
    os.environ["DAGSTER_PG_URL"] = settings.dagster_storage_url(name)
    try:
        with dg.DagsterInstance.from_config(home) as instance:
            yield instance
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_PG_URL", None)
        else:
            os.environ["DAGSTER_PG_URL"] = previous
        shutil.rmtree(home, ignore_errors=True)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


def recording_seconds(instance: dg.DagsterInstance, run_id: str) -> float:
    """Summed over the asset steps: from the step's output to its success."""
    outputs: dict[str, float] = {}
    total = 0.0
    for entry in instance.all_logs(run_id):
        if entry.step_key not in ASSET_STEPS or entry.dagster_event is None:
            continue
        if entry.dagster_event.event_type == dg.DagsterEventType.STEP_OUTPUT:
            outputs[entry.step_key] = entry.timestamp
        elif entry.dagster_event.event_type == dg.DagsterEventType.STEP_SUCCESS:
            total += entry.timestamp - outputs[entry.step_key]
    return total


def measure(batch_size: int, nights: int) -> Measurement:
    """Load the first `nights` export dates in one run, recording with `batch_size` (0: one
    write per event)."""
    dates = export_dates(get_settings().landing_dir)[:nights]
    os.environ[BATCH_VARIABLE] = str(batch_size)
    with fresh_instance() as instance:
        started = time.perf_counter()
        result = defs.resolve_job_def("nightly_exports").execute_in_process(
            instance=instance,
            tags={
                PARTITION_RANGE_START: dates[0].isoformat(),
                PARTITION_RANGE_END: dates[-1].isoformat(),
            },
        )
        seconds = time.perf_counter() - started
        assert result.success
        events = len(
            instance.all_logs(result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        )
        # What the landing sensor reads: every date recorded, batched or not.
        partitions = len(instance.get_materialized_partitions(dg.AssetKey(["raw", "enquiries"])))
        assert partitions == len(dates), (partitions, len(dates))
        return Measurement(
            batch_size, seconds, recording_seconds(instance, result.run_id), events, partitions
        )


def main() -> None:
    """Alternate the two modes `--runs` times; print min/median/max of each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--nights", type=int, default=10_000, help="the first N export dates")
    args = parser.parse_args()
    ensure_database()
    with connect() as conn:
        apply_schema(conn)
    results: dict[int, list[Measurement]] = {0: [], args.batch_size: []}
    for run in range(args.runs):
        for batch_size in results:
            measurement = measure(batch_size, args.nights)
            results[batch_size].append(measurement)
            print(f"run {run + 1}: {measurement}", flush=True)
    for batch_size, measurements in results.items():
        for label, values in (
            ("whole run", [m.seconds for m in measurements]),
            ("recording", [m.recording_seconds for m in measurements]),
        ):
            print(
                f"batch size {batch_size:>5}, {label:9}: min {min(values):6.1f} s, "
                f"median {statistics.median(values):6.1f} s, max {max(values):6.1f} s "
                f"({measurements[0].events} materialization events, "
                f"{measurements[0].partitions} partitions)"
            )


if __name__ == "__main__":
    main()
