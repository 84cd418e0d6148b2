"""Dagster past one process, for real: a code server, one daemon, 2 webservers behind HAProxy
and 2 Celery workers on the Redis broker (`wedsync.cluster.dagster`).

A run is submitted as the UI submits one (to the queued run coordinator); the daemon launches
it, its run worker hands each step to Celery, and the workers run them. One worker is killed
with SIGKILL while it holds a step (the step waits on a table lock the test holds, so the kill
lands mid-step whatever the machine's speed). What is true, and asserted: the step's task was
not acknowledged (`task_acks_late`), so Redis gives it to the other worker once the visibility
timeout has passed; the step runs again there and the run succeeds, with every row loaded once
and no run retry needed. The webservers: both answer through HAProxy, and with one killed the
UI still answers every request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import TypeVar
from urllib.parse import urlparse

import dagster as dg
import psycopg
import pytest
import yaml

from tests.cluster.celery_location import EXPORTS_JOB
from tests.cluster.dagster_runs import (
    PARTITION_RANGE_END,
    PARTITION_RANGE_START,
    RunningDagster,
    free_base,
    process_group,
    step_start_pids,
    step_workers,
    submit,
    wait_for_run,
)
from tests.cluster.dagster_runs import wait_for as wait_for_seconds
from tests.integration.orchestration.nights import ENQUIRIES_PER_NIGHT, deployed_home, land
from wedsync.cluster.balancer import server_stats, wait_until_up
from wedsync.cluster.dagster import DEFAULT_CELERY_CONFIG, DagsterTopology, dagster_home
from wedsync.cluster.processes import Supervisor, answers
from wedsync.cluster.topology import haproxy_member
from wedsync.settings import get_settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

T = TypeVar("T")

LOCATION_MODULE = "tests.cluster.celery_location"
#: This suite's own broker database on the configured Redis (other suites use 5, 7, 9).
BROKER_URL = urlparse(get_settings().redis_url)._replace(path="/11").geturl()
#: Seconds before Redis hands an unacknowledged task to another worker (deployed: 3600).
VISIBILITY_TIMEOUT = 10
NIGHTS = [dt.date(2025, 3, 1) + dt.timedelta(days=n) for n in range(3)]
HELD_STEP = "raw__enquiries"
WAIT_SECONDS = 300


@pytest.fixture(scope="module")
def dagster_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDagster]:
    """The Dagster topology on a throwaway warehouse and storage, with 3 landed nights."""
    root = tmp_path_factory.mktemp("dagster-cluster")
    landing = root / "landing"
    for night in NIGHTS:
        land(landing, night)
    config = yaml.safe_load(DEFAULT_CELERY_CONFIG.read_text())
    config["execution"]["config"]["config_source"]["broker_transport_options"] = {
        "visibility_timeout": VISIBILITY_TIMEOUT
    }
    celery_config = root / "dagster-celery.yaml"
    celery_config.write_text(yaml.safe_dump(config))
    ports = free_base()
    (root / "home").mkdir()
    with (
        deployed_home(root / "home", "wedsync_celery_t") as deployed,
        pytest.MonkeyPatch.context() as env,
    ):
        settings = dataclasses.replace(
            get_settings(), database_url=deployed.database_url, landing_dir=landing
        )
        home = dagster_home(root / "home", settings, ports, deployed.dagster_pg_url, celery_config)
        home = dataclasses.replace(home, env={**home.env, "WEDSYNC_CELERY_BROKER_URL": BROKER_URL})
        supervisor = Supervisor(root / "run")
        topology = DagsterTopology(supervisor, home, ports, module=LOCATION_MODULE)
        try:
            topology.up()
            haproxy = haproxy_member(ports)
            supervisor.start(haproxy)
            supervisor.wait_ready(haproxy)
            wait_until_up(ports.stats, "dagster_ui", [m.name for m in topology.webservers])
            env.setenv("DAGSTER_PG_URL", home.env["DAGSTER_PG_URL"])
            with dg.DagsterInstance.from_config(str(home.path)) as instance:
                yield RunningDagster(topology, ports, instance, deployed.database_url)
        finally:
            supervisor.stop_all()


def wait_for(what: str, condition: Callable[[], T | None]) -> T:
    """Poll `condition` until it returns something truthy; fail after `WAIT_SECONDS`."""
    return wait_for_seconds(what, condition, WAIT_SECONDS)


def test_a_worker_killed_mid_step_hands_the_step_to_the_other_and_the_run_succeeds(
    dagster_cluster: RunningDagster,
) -> None:
    cluster, instance = dagster_cluster, dagster_cluster.instance
    workers = {f"wedsync{n}": member for n, member in enumerate(cluster.topology.workers, 1)}
    run_id = str(uuid.uuid4())
    with psycopg.connect(cluster.database_url) as lock:
        # The enquiries step blocks on this lock in whichever worker takes it.
        lock.execute("lock table raw.enquiries in access exclusive mode")
        tags = {
            PARTITION_RANGE_START: NIGHTS[0].isoformat(),
            PARTITION_RANGE_END: NIGHTS[-1].isoformat(),
        }
        submit(cluster.topology.home, EXPORTS_JOB, run_id, tags, WAIT_SECONDS)
        held = wait_for(
            f"a worker starts {HELD_STEP}",
            lambda: (
                [a for a in step_workers(instance, run_id) if a[0] == HELD_STEP]
                and step_start_pids(instance, run_id).get(HELD_STEP)
            ),
        )
        first_worker = next(w for s, w, _ in step_workers(instance, run_id) if s == HELD_STEP)
        victim = workers[first_worker.split("@")[0]]
        # The step runs in the worker's own process group: killing the group kills the step.
        assert process_group(held) == cluster.topology.supervisor.pid(victim.name)
        cluster.topology.supervisor.kill(victim.name)
        killed_at = time.time()
        lock.rollback()

    run = wait_for_run(instance, run_id, WAIT_SECONDS)
    attempts = step_workers(instance, run_id)
    held_attempts = [(worker, at) for step, worker, at in attempts if step == HELD_STEP]
    print(
        f"\n{HELD_STEP}: killed in {first_worker}; taken again by {held_attempts[-1][0]} "
        f"{held_attempts[-1][1] - killed_at:.1f} s after the kill "
        f"(visibility timeout {VISIBILITY_TIMEOUT} s); run {run.status.value}"
    )
    assert run.status == dg.DagsterRunStatus.SUCCESS
    # The held step ran twice: in the killed worker, then in the other one.
    assert [worker for worker, _ in held_attempts] == [first_worker, held_attempts[1][0]]
    assert held_attempts[1][0] != first_worker
    assert held_attempts[1][1] - killed_at >= VISIBILITY_TIMEOUT - 1
    # Every step ran in a Celery worker, both workers ran steps, and none ran in the run worker.
    steps = {step for step, _, _ in attempts}
    assert len(steps) == 6
    assert {worker.split("@")[0] for _, worker, _ in attempts} == set(workers)
    # Redelivery, not a run retry: one run, and each night's enquiries loaded exactly once.
    assert instance.get_runs_count(dg.RunsFilter(job_name=EXPORTS_JOB)) == 1
    with psycopg.connect(cluster.database_url) as conn:
        loaded = conn.execute("select count(*), count(distinct enquiry_id) from raw.enquiries")
        assert loaded.fetchone() == (len(NIGHTS) * ENQUIRIES_PER_NIGHT,) * 2


def test_both_webservers_answer_through_haproxy_and_one_killed_leaves_the_ui_up(
    dagster_cluster: RunningDagster,
) -> None:
    ports, supervisor = dagster_cluster.ports, dagster_cluster.topology.supervisor
    names = [member.name for member in dagster_cluster.topology.webservers]
    before = server_stats(ports.stats, "dagster_ui", "stot")
    for _ in range(10):
        assert answers(ports.dagster_ui, "/server_info", timeout=10)
    served = server_stats(ports.stats, "dagster_ui", "stot")
    assert all(served[name] > before[name] for name in names), served
    # The UI's own page and its GraphQL API answer through HAProxy.
    assert answers(ports.dagster_ui, "/", timeout=10)
    assert EXPORTS_JOB in graphql_job_names(ports.dagster_ui)

    supervisor.kill(names[0])
    answered = [answers(ports.dagster_ui, "/server_info", timeout=10) for _ in range(20)]
    assert all(answered), f"{answered.count(False)} of 20 requests failed"
    assert EXPORTS_JOB in graphql_job_names(ports.dagster_ui)


def graphql_job_names(port: int) -> str:
    """The UI's GraphQL answer naming the workspace's jobs (as the UI's job list asks it)."""
    query = (
        "{ workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError {"
        " ... on RepositoryLocation { repositories { jobs { name } } } } } } } }"
    )
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        body = reply.read().decode()
    return " ".join(re.findall(r'"name":\s*"([^"]+)"', body))
