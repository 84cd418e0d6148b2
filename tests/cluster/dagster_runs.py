"""Runs on the Dagster topology of `wedsync.cluster.dagster`, as its tests submit and read them.

Shared by the worker-kill test (`test_dagster`, a small location of the export assets) and the
analytics test (`test_dagster_analytics`, the deployment's whole location): a run is submitted
as the UI submits one (to the queued run coordinator, which the daemon dequeues), and where each
step ran is read back from the engine events the Celery workers write.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import dagster as dg

from wedsync.cluster.dagster import DagsterHome, DagsterTopology
from wedsync.cluster.topology import BIN, ClusterPorts

T = TypeVar("T")

POLL_SECONDS = 0.5
FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
PARTITION_RANGE_START = "dagster/asset_partition_range_start"
PARTITION_RANGE_END = "dagster/asset_partition_range_end"


def free_base() -> ClusterPorts:
    """A port block whose HAProxy and Dagster ports are all free (the API topology of this
    package may hold the configured block meanwhile)."""
    for base in range(20_000, 60_000, 100):
        ports = ClusterPorts(base)
        needed = [ports.api_lb, ports.mlflow_lb, ports.stats, ports.dagster_ui]
        needed += [ports.dagster_webserver(1), ports.dagster_webserver(2)]
        needed.append(ports.dagster_code_server)
        if all(_port_free(port) for port in needed):
            return ports
    raise RuntimeError("no free port block in 20000..60000")


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@dataclass(frozen=True)
class RunningDagster:
    """The running topology, its instance and the warehouse its runs load into."""

    topology: DagsterTopology
    ports: ClusterPorts
    instance: dg.DagsterInstance
    database_url: str


def wait_for(what: str, condition: Callable[[], T | None], seconds: float) -> T:
    """Poll `condition` until it returns something truthy; fail after `seconds`."""
    for _ in range(int(seconds / POLL_SECONDS)):
        if value := condition():
            return value
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"not reached in {seconds:.0f} s: {what}")


def wait_for_run(instance: dg.DagsterInstance, run_id: str, seconds: float) -> dg.DagsterRun:
    """The run once it has finished (succeeded, failed or was canceled)."""
    return wait_for(
        f"run {run_id} finishes",
        lambda: (r := instance.get_run_by_id(run_id)) and r.status in FINISHED and r,
        seconds,
    )


def step_workers(instance: dg.DagsterInstance, run_id: str) -> list[tuple[str, str, float]]:
    """Each step attempt's (step key, Celery worker, time), from the workers' own engine events."""
    attempts = []
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
        event = entry.dagster_event
        metadata = event.engine_event_data.metadata if event is not None else {}
        if "Celery worker" in metadata:
            worker = str(metadata["Celery worker"].value)
            attempts.append((str(entry.step_key), worker, entry.timestamp))
    return attempts


def step_start_pids(instance: dg.DagsterInstance, run_id: str) -> dict[str, int]:
    """The pid of the process that started each step (its latest attempt)."""
    return {
        str(entry.step_key): entry.dagster_event.pid
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
        if entry.dagster_event is not None and entry.dagster_event.pid is not None
    }


def process_group(pid: int) -> int:
    """The process group of a running process (a worker leads its own)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])


def submit(home: DagsterHome, job: str, run_id: str, tags: dict[str, str], seconds: float) -> None:
    """Submit one run of `job`, as the UI does: to the run queue the daemon dequeues."""
    subprocess.run(
        [
            str(BIN / "dagster"),
            *("job", "launch", "-w", str(home.workspace), "-j", job),
            *("--run-id", run_id, "--tags", json.dumps(tags)),
        ],
        env={**home.env},
        check=True,
        capture_output=True,
        timeout=seconds,
    )
