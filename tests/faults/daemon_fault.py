"""The Dagster daemon SIGKILLed while a dbt run it launched is building, then restarted.

Last night's build is served; tonight's exports have loaded; a run of the dbt build
is submitted to the queued run coordinator (as the UI does) and the daemon launches it. Once
the run has materialized its first model, the daemon is killed - alone (`kill -9` of its
pid) or with the code server and run worker it started (a machine or container restart) -
and started again. A reader samples the served mart throughout: it must only ever see last
night's table or tonight's, whole. `benchmarks/faults.py` prints the figures.
"""

from __future__ import annotations

import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import psycopg

from orchestration.defs.dbt.assets import wedsync_dbt_models
from orchestration.defs.dbt.resources import dbt_resource
from tests.daemon import Daemon, daemon_home, instance_of, running_daemon, submit_job
from tests.faults.daemon_location import DBT_BUILD_JOB
from tests.faults.nights import two_nights
from tests.support import throwaway_database

#: Bounds of the polling (the test never asserts on time; these only stop a hang).
STARTED_LIMIT_SECONDS = 120.0
FINISHED_LIMIT_SECONDS = 600.0
SAMPLE_SECONDS = 0.1
ROOT_RUN_TAG = "dagster/root_run_id"

#: What the reader counts: rows, and enquiries over all rows (tonight adds enquiries).
SERVED_FIGURE = "select count(*), coalesce(sum(enquiries), 0) from marts.vendor_performance"


@dataclass(frozen=True)
class DaemonFaultFigures:
    """What killing the daemon mid-run did."""

    fault: str
    statuses: list[str]
    materialized_before_kill: int
    recovery_seconds: float
    last_night: tuple[int, int]
    tonight: tuple[int, int]
    samples: int
    served_states: set[tuple[int, int]]
    read_errors: list[str]

    @property
    def half_built_reads(self) -> int:
        """Reads that saw neither last night's mart nor tonight's."""
        return len(self.served_states - {self.last_night, self.tonight}) + len(self.read_errors)

    def line(self) -> str:
        """The figures on one line (what `benchmarks/faults.py` prints)."""
        return (
            f"{self.fault:<22} run {' -> '.join(self.statuses)} "
            f"(killed after {self.materialized_before_kill} models)  "
            f"recovery {self.recovery_seconds:5.1f} s  served mart read {self.samples} times: "
            f"{self.half_built_reads} half-built (rows, enquiries: last night "
            f"{self.last_night}, tonight {self.tonight})"
        )


class MartReader(threading.Thread):
    """Reads the served mart's figure over and over, as dashboards would, until stopped."""

    def __init__(self, database_url: str) -> None:
        super().__init__(daemon=True)
        self.database_url = database_url
        self.states: list[tuple[int, int]] = []
        self.errors: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self.done.wait(SAMPLE_SECONDS):
                try:
                    row = conn.execute(SERVED_FIGURE).fetchone()
                except psycopg.Error as error:
                    self.errors.append(str(error))
                    continue
                assert row is not None
                self.states.append((int(row[0]), int(row[1])))


def served_figure(database_url: str) -> tuple[int, int]:
    """The mart's rows and enquiries now."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(SERVED_FIGURE).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _build_last_night(database_url: str) -> None:
    result = dg.materialize([wedsync_dbt_models], resources={"dbt": dbt_resource(database_url)})
    assert result.success


def _wait_until_building(instance: dg.DagsterInstance, run_id: str) -> int:
    """Models materialized by the run once it is under way (bounded wait)."""
    deadline = time.monotonic() + STARTED_LIMIT_SECONDS
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.is_finished:
            raise AssertionError(f"run {run_id} ended ({run.status}) before the daemon was killed")
        built = instance.get_run_stats(run_id).materializations if run is not None else 0
        if run is not None and run.status == dg.DagsterRunStatus.STARTED and built:
            return built
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not start building in {STARTED_LIMIT_SECONDS} s")


def _run_and_retries(instance: dg.DagsterInstance, run_id: str) -> list[dg.DagsterRun]:
    retries = instance.get_runs(filters=dg.RunsFilter(tags={ROOT_RUN_TAG: run_id}))
    original = instance.get_run_by_id(run_id)
    assert original is not None
    return [original, *sorted(retries, key=lambda run: run.tags.get("dagster/retry_number", ""))]


def _wait_until_succeeded(instance: dg.DagsterInstance, run_id: str) -> list[dg.DagsterRun]:
    """The run and its retries once one of them succeeded (or at the bound)."""
    deadline = time.monotonic() + FINISHED_LIMIT_SECONDS
    runs = _run_and_retries(instance, run_id)
    while time.monotonic() < deadline:
        if any(run.status == dg.DagsterRunStatus.SUCCESS for run in runs):
            break
        time.sleep(0.5)
        runs = _run_and_retries(instance, run_id)
    return runs


def _ended_at(instance: dg.DagsterInstance, runs: list[dg.DagsterRun]) -> float:
    ends = [
        record.end_time
        for run in runs
        if run.status == dg.DagsterRunStatus.SUCCESS
        and (record := instance.get_run_record_by_id(run.run_id)) is not None
        and record.end_time is not None
    ]
    return min(ends, default=float("inf"))


def _kill(daemon: Daemon, fault: str) -> None:
    if fault == "daemon_sigkill":
        daemon.kill()
    else:
        daemon.kill_with_children()


FAULTS = ("daemon_sigkill", "daemon_host_restart")

#: The run's own runtime limit (the tag run monitoring honours), so an orphaned run is failed,
#: and retried, two minutes after it started rather than after the deployment's three hours.
#: The retry inherits the tag, so it must leave room for a whole build on a loaded machine:
#: the build takes about 30 s on a quiet one and took over 60 s in CI, where a 60 s limit
#: failed the retry too.
RUN_TAGS = {"dagster/max_runtime": "120"}
#: Run monitoring's poll here (the deployment's is 30 s): the orphan is failed within seconds
#: of its limit, not half a minute later.
MONITORING_POLL = "poll_interval_seconds: 5"


def daemon_killed_mid_run(root: Path, fault: str) -> DaemonFaultFigures:
    """Run the scenario in `root` (a scratch directory); `fault` is one of `FAULTS`."""
    with (
        two_nights(root / "landing", "daemon_fault") as nights,
        throwaway_database("daemon_fault_dagster") as storage_url,
    ):
        _build_last_night(nights.database_url)
        last_night = served_figure(nights.database_url)
        nights.load(nights.tonight)
        home = daemon_home(
            root / "dagster",
            storage_url.rsplit("/", 1)[-1],
            "tests.faults.daemon_location",
            {"WEDSYNC_DATABASE_URL": nights.database_url},
        )
        config = home.home / "dagster.yaml"
        deployed = config.read_text()
        assert "poll_interval_seconds: 30" in deployed
        config.write_text(deployed.replace("poll_interval_seconds: 30", MONITORING_POLL))
        reader = MartReader(nights.database_url)
        reader.start()
        run_id = str(uuid.uuid4())
        with instance_of(home) as instance, running_daemon(home) as daemon:
            submit_job(home, DBT_BUILD_JOB, run_id, RUN_TAGS)
            built = _wait_until_building(instance, run_id)
            _kill(daemon, fault)
            daemon.start()
            restarted = time.time()
            runs = _wait_until_succeeded(instance, run_id)
            recovery = _ended_at(instance, runs) - restarted
        reader.done.set()
        reader.join()
        return DaemonFaultFigures(
            fault=fault,
            statuses=[run.status.value for run in runs],
            materialized_before_kill=built,
            recovery_seconds=recovery,
            last_night=last_night,
            tonight=served_figure(nights.database_url),
            samples=len(reader.states),
            served_states=set(reader.states),
            read_errors=reader.errors,
        )


def run_daemon_fault(fault: str) -> DaemonFaultFigures:
    """The scenario in a scratch directory of its own."""
    with tempfile.TemporaryDirectory(prefix="wedsync-daemon-fault-") as root:
        return daemon_killed_mid_run(Path(root), fault)
