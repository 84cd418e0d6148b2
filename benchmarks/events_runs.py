"""Runs per hour of live events: what the events sensor puts in the deployment's run queue.

Starts the API (uvicorn, as deployed) and `dagster-daemon` on the Postgres-backed instance of
`deploy/dagster.yaml`, with the live-events slice of the code location
(`benchmarks/events_location.py`), on a benchmark warehouse. Once the events sensor has ticked,
sends live events through `POST /api/events` at `--rate` events/s for `--minutes`, then counts
the runs created meanwhile, by job, by what launched them and by status, and scales the count
to an hour. Each repeat starts from an empty run history. Prints beside it the bound the
sensor's logic gives: one run per (time a run spends queued, starting and running + up to one
10 s sensor interval), since the sensor skips while an events run is queued or in progress.

    python -m benchmarks.events_runs --minutes 5 --repeats 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import psycopg
from psycopg import sql

from benchmarks.daemon import running_daemon
from benchmarks.ingest import stop, wait_until_ready
from orchestration.defs.dbt.resources import VENV_DBT, dbt_profile_env
from orchestration.defs.events.sensors import new_events_sensor
from wedsync.api_keys import create_api_key
from wedsync.settings import DBT_PROJECT_DIR, get_settings
from wedsync.simulator.live import LiveEventStream
from wedsync.simulator.streaming import api_client, stream_live_events
from wedsync.warehouse import apply_schema, connect, ensure_database

BENCH_DATABASE = "wedsync_bench_events_runs"
STORAGE_DATABASE = f"{BENCH_DATABASE}_dagster"
LOCATION_MODULE = "benchmarks.events_location"
#: Tag Dagster puts on runs a sensor launched (the automation sensor's runs carry its name).
SENSOR_TAG = "dagster/sensor_name"


@dataclass(frozen=True)
class Measurement:
    """One repeat: the runs created while events were sent, and how long each was unfinished."""

    seconds: float
    events_accepted: int
    runs_by_origin: Counter[str]
    run_seconds: list[float]

    @property
    def runs(self) -> int:
        """Every run created during the repeat."""
        return sum(self.runs_by_origin.values())

    @property
    def runs_per_hour(self) -> float:
        """The run count scaled to an hour."""
        return self.runs * 3600 / self.seconds


def fresh_database(name: str) -> str:
    """Drop and create `name` on the warehouse's server; return its URL."""
    maintenance = psycopg.conninfo.make_conninfo(get_settings().database_url, dbname="postgres")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return get_settings().database_url_for(name)


def prepare_warehouse(url: str) -> str:
    """The benchmark warehouse as `wedsync db init` leaves it, with `stg_events` built (the
    events job builds the event marts on it); return a platform API key."""
    ensure_database(url)
    with connect(url) as conn:
        apply_schema(conn)
        conn.execute("truncate raw.events, raw.event_ids, raw.events_rejected")
        key = create_api_key(conn, None, "platform", "events runs benchmark")
    subprocess.run(
        [VENV_DBT, "run", "--select", "stg_events", "--target", "prod", "--quiet"],
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, **dbt_profile_env(url), "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)},
        check=True,
    )
    return key


def wait_for_sensor(instance: dg.DagsterInstance, daemon: subprocess.Popen[bytes]) -> None:
    """Wait until the daemon has loaded the location and the events sensor has ticked, so the
    measurement starts on a running deployment, not on the daemon's start-up."""
    for _ in range(300):
        if daemon.poll() is not None:
            raise SystemExit("dagster-daemon exited during start-up (see its daemon.log)")
        states = instance.all_instigator_state()
        if any(
            state.name == new_events_sensor.name
            and instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
            for state in states
        ):
            return
        time.sleep(1)
    raise SystemExit("the events sensor did not tick within 300 s")


def count_runs(
    instance: dg.DagsterInstance, since: dt.datetime
) -> tuple[Counter[str], list[float]]:
    """Runs created since `since` by `<job> from <sensor>: <status>`, and how long each finished
    one was unfinished (queued, starting, running): what the events sensor waits for."""
    records = instance.get_run_records(filters=dg.RunsFilter(created_after=since))
    origins = Counter(
        f"{record.dagster_run.job_name} from "
        f"{record.dagster_run.tags.get(SENSOR_TAG, 'a retry')}: "
        f"{record.dagster_run.status.value.lower()}"
        for record in records
    )
    durations = [
        record.end_time - record.create_timestamp.timestamp()
        for record in records
        if record.end_time is not None
    ]
    return origins, durations


def measure(minutes: float, rate: float, port: int) -> Measurement:
    """One repeat: a fresh run history, events sent for `minutes`, the runs counted."""
    url = get_settings().database_url_for(BENCH_DATABASE)
    key = prepare_warehouse(url)
    storage_url = get_settings().dagster_storage_url(STORAGE_DATABASE)
    fresh_database(STORAGE_DATABASE)
    home = Path(tempfile.mkdtemp(prefix="events_runs_"))
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "serving.main:app", "--port", str(port)),
            *("--no-access-log", "--log-level", "warning"),
        ],
        env={**os.environ, "WEDSYNC_DATABASE_URL": url},
    )
    os.environ["DAGSTER_PG_URL"] = storage_url
    environment = {"DAGSTER_PG_URL": storage_url, "WEDSYNC_DATABASE_URL": url}
    try:
        with (
            running_daemon(home, LOCATION_MODULE, environment) as daemon,
            dg.DagsterInstance.from_config(str(home)) as instance,
        ):
            wait_until_ready(port, server)
            wait_for_sensor(instance, daemon)
            stream = LiveEventStream(seed=7, scale=1.0, today=dt.datetime.now(dt.UTC).date())
            started = dt.datetime.now(dt.UTC)
            with api_client(f"http://127.0.0.1:{port}", key) as client:
                report = stream_live_events(client, stream, rate, minutes * 60)
            seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
            runs_by_origin, run_seconds = count_runs(instance, started)
    finally:
        stop(server)
    shutil.rmtree(home)
    return Measurement(seconds, report.accepted, runs_by_origin, run_seconds)


def main() -> None:
    """Measure `--repeats` times; print each repeat and min/median/max runs per hour."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=100.0, help="events/s (the simulator's)")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()

    interval = new_events_sensor.minimum_interval_seconds or 30
    per_hour: list[float] = []
    for repeat in range(1, args.repeats + 1):
        result = measure(args.minutes, args.rate, args.port)
        per_hour.append(result.runs_per_hour)
        typical = statistics.median(result.run_seconds) if result.run_seconds else float("nan")
        print(
            f"repeat {repeat}: {result.events_accepted:,} events in {result.seconds:.0f} s -> "
            f"{result.runs} runs ({result.runs_per_hour:.0f}/h); a run unfinished {typical:.1f} s "
            f"(median), so the sensor's bound is {3600 / (typical + interval):.0f} to "
            f"{3600 / typical:.0f} runs/h",
            flush=True,
        )
        for origin, count in result.runs_by_origin.most_common():
            print(f"    {count:4d}  {origin}")
    print(
        f"runs per hour of live events: min {min(per_hour):.0f}, "
        f"median {statistics.median(per_hour):.0f}, max {max(per_hour):.0f} "
        f"({args.repeats} repeats of {args.minutes:g} min at {args.rate:g} events/s; "
        f"a run every {interval} s would be {3600 // interval})"
    )


if __name__ == "__main__":
    main()
