"""Dagster past one process: a code server, one daemon, 2 webservers and 2 Celery workers.

Dagster requires exactly one daemon (it owns schedules, sensors, the run queue and run
retries); the webservers keep no state of their own (runs and events are in Postgres), so
HAProxy's `dagster_ui` backend balances any number of them. One code server (`dagster
code-server start`, the user-code deployment of Dagster's Helm chart) serves the code location
to the daemon and both webservers, so the location is loaded once, not three times, and it
launches the run workers. With `WEDSYNC_DAGSTER_EXECUTOR=celery` those run workers hand every
step of the heavy jobs to the Celery workers (`orchestration/executor.py`); the code server and
the workers read one `deploy/dagster-celery.yaml`.

Ports: `ClusterPorts.dagster_ui` (HAProxy), `.dagster_webserver(i)`, `.dagster_code_server`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wedsync.cluster.processes import ClusterError, Supervisor
from wedsync.cluster.topology import BIN, DAGSTER_WEBSERVER_REPLICAS, ClusterPorts, Member
from wedsync.settings import REPO_ROOT, Settings

CELERY_WORKERS = 2
DEFAULT_CELERY_CONFIG = REPO_ROOT / "deploy" / "dagster-celery.yaml"
CODE_LOCATION_MODULE = "orchestration.definitions"
LOCATION_NAME = "wedsync"
CELERY_APP = "dagster_celery.app"
#: The Celery broker's database on the topology's Redis: apart from the cache's keys.
CELERY_BROKER_DB = 2
#: A webserver's readiness: its version page, answered once it serves.
WEBSERVER_READY_PATH = "/server_info"
#: Celery's log line once a worker consumes from the broker.
CELERY_READY_LINE = " ready."
START_SECONDS = 300.0


def celery_broker_url(redis_url: str) -> str:
    """The broker on the topology's Redis server, in its own database."""
    scheme, _, rest = redis_url.partition("://")
    server = rest.split("/", 1)[0]
    return f"{scheme}://{server}/{CELERY_BROKER_DB}"


@dataclass(frozen=True)
class DagsterHome:
    """A DAGSTER_HOME on `deploy/dagster.yaml`, its workspace (the code server) and the
    environment every Dagster process of the topology runs with."""

    path: Path
    workspace: Path
    env: dict[str, str]


def dagster_home(
    root: Path,
    settings: Settings,
    ports: ClusterPorts,
    storage_url: str | None = None,
    celery_config: Path = DEFAULT_CELERY_CONFIG,
    mlflow_tracking_uri: str | None = None,
) -> DagsterHome:
    """Write `root/dagster.yaml` (the deployment's) and a workspace naming the code server;
    every server gets the warehouse, the Celery broker and `celery_config` from the env, and
    the MLflow the ML steps log to (`mlflow_tracking_uri`, else the settings' own)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", root / "dagster.yaml")
    workspace = root / "workspace.yaml"
    workspace.write_text(
        "load_from:\n"
        "  - grpc_server:\n"
        "      host: 127.0.0.1\n"
        f"      port: {ports.dagster_code_server}\n"
        f"      location_name: {LOCATION_NAME}\n"
    )
    env = {
        "DAGSTER_HOME": str(root),
        "DAGSTER_PG_URL": storage_url or settings.dagster_storage_url(),
        "WEDSYNC_DATABASE_URL": settings.database_url,
        "WEDSYNC_REDIS_URL": settings.redis_url,
        "WEDSYNC_LANDING_DIR": str(settings.landing_dir),
        "MLFLOW_TRACKING_URI": mlflow_tracking_uri or settings.mlflow_tracking_uri,
        "WEDSYNC_DAGSTER_EXECUTOR": "celery",
        "WEDSYNC_CELERY_BROKER_URL": celery_broker_url(settings.redis_url),
        "WEDSYNC_CELERY_CONFIG": str(celery_config),
        # A ranged run's per-partition events written in batches (see orchestration/build.py).
        "DAGSTER_EVENT_BATCH_SIZE": os.environ.get("DAGSTER_EVENT_BATCH_SIZE", "1000"),
        # `dagster-celery worker start` runs `celery` from the PATH.
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return DagsterHome(root, workspace, env)


def code_server_member(home: DagsterHome, ports: ClusterPorts, module: str) -> Member:
    """The code server: loads the code location once and launches its run workers."""
    return Member(
        name="dagster-code",
        command=(
            str(BIN / "dagster"),
            "code-server",
            "start",
            "-m",
            module,
            "-d",
            str(REPO_ROOT),
            "--location-name",
            LOCATION_NAME,
            "-h",
            "127.0.0.1",
            "-p",
            str(ports.dagster_code_server),
        ),
        port=ports.dagster_code_server,
        ready_path="",  # gRPC, probed with `dagster api grpc-health-check`
        env=home.env,
    )


def daemon_member(home: DagsterHome) -> Member:
    """The one daemon: schedules, sensors, the run queue, run monitoring and retries."""
    return Member(
        name="dagster-daemon",
        command=(str(BIN / "dagster-daemon"), "run", "-w", str(home.workspace)),
        port=0,
        ready_path="",  # probed with `dagster-daemon liveness-check`
        env=home.env,
    )


def webserver_members(home: DagsterHome, ports: ClusterPorts) -> list[Member]:
    """The webservers: stateless, any one answers any request."""
    return [
        Member(
            name=f"dagster-web{replica}",
            command=(
                str(BIN / "dagster-webserver"),
                "-w",
                str(home.workspace),
                "-h",
                "127.0.0.1",
                "-p",
                str(ports.dagster_webserver(replica)),
            ),
            port=ports.dagster_webserver(replica),
            ready_path=WEBSERVER_READY_PATH,
            env=home.env,
        )
        for replica in range(1, DAGSTER_WEBSERVER_REPLICAS + 1)
    ]


def celery_worker_members(home: DagsterHome) -> list[Member]:
    """The Celery workers, one step at a time each (`-P solo`): a step runs in the worker's own
    process, so its events carry a pid of the worker's process group, and killing the worker
    kills exactly its step."""
    return [
        Member(
            name=f"celery{replica}",
            command=(
                str(BIN / "dagster-celery"),
                "worker",
                "start",
                "-A",
                CELERY_APP,
                "-y",
                home.env["WEDSYNC_CELERY_CONFIG"],
                "-n",
                f"wedsync{replica}",
                "--",
                "-P",
                "solo",
            ),
            port=0,
            ready_path="",  # Celery's "ready." log line
            env=home.env,
        )
        for replica in range(1, CELERY_WORKERS + 1)
    ]


class DagsterTopology:
    """The Dagster servers of one topology, started and stopped by a `Supervisor`."""

    def __init__(
        self,
        supervisor: Supervisor,
        home: DagsterHome,
        ports: ClusterPorts,
        module: str = CODE_LOCATION_MODULE,
    ) -> None:
        self.supervisor = supervisor
        self.home = home
        self.ports = ports
        self.code_server = code_server_member(home, ports, module)
        self.daemon = daemon_member(home)
        self.webservers = webserver_members(home, ports)
        self.workers = celery_worker_members(home)

    @property
    def members(self) -> list[Member]:
        """Every Dagster server, in start order."""
        return [self.code_server, self.daemon, *self.webservers, *self.workers]

    def up(self) -> None:
        """Start every server, then wait for each (they load in parallel meanwhile)."""
        ports = self.ports
        for member in [self.code_server, *self.workers]:
            self.supervisor.start(member)
        wait_for_command(
            "the code server",
            [
                str(BIN / "dagster"),
                "api",
                "grpc-health-check",
                "-p",
                str(ports.dagster_code_server),
            ],
            self.home.env,
            lambda: self.supervisor.pid(self.code_server.name) is not None,
        )
        for member in [self.daemon, *self.webservers]:
            self.supervisor.start(member)
        for member in self.webservers:
            self.supervisor.wait_ready(member, timeout=START_SECONDS)
        wait_for_command(
            "the daemon",
            [str(BIN / "dagster-daemon"), "liveness-check"],
            self.home.env,
            lambda: self.supervisor.pid(self.daemon.name) is not None,
        )
        self.wait_for_workers()

    def down(self) -> None:
        """Stop every Dagster server (the workers first: no step is taken while stopping)."""
        for member in reversed(self.members):
            self.supervisor.stop(member.name)

    def wait_for_workers(self, timeout: float = START_SECONDS) -> None:
        """Wait until every Celery worker has logged that it consumes from the broker."""
        deadline = time.monotonic() + timeout
        waiting = [member.name for member in self.workers]
        while waiting and time.monotonic() < deadline:
            for name in list(waiting):
                if self.supervisor.pid(name) is None:
                    raise ClusterError(f"{name} exited; see {self.supervisor.run_dir / name}.log")
                log = self.supervisor.run_dir / f"{name}.log"
                if log.exists() and CELERY_READY_LINE in log.read_text(errors="replace"):
                    waiting.remove(name)
            time.sleep(0.5)
        if waiting:
            raise ClusterError(f"Celery workers not ready in {timeout:.0f} s: {', '.join(waiting)}")


def wait_for_command(
    what: str,
    command: list[str],
    env: dict[str, str],
    alive: Callable[[], bool],
    timeout: float = START_SECONDS,
) -> None:
    """Run the probe `command` every second until it succeeds; fail if `alive()` turns false
    (the server died) or after `timeout`."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if not alive():
            raise ClusterError(f"{what} exited during start-up")
        probe = subprocess.run(
            command, env={**os.environ, **env}, capture_output=True, text=True, timeout=120
        )
        if probe.returncode == 0:
            return
        last = (probe.stdout + probe.stderr)[-500:]
        time.sleep(1.0)
    raise ClusterError(f"{what} was not ready in {timeout:.0f} s: {last}")
