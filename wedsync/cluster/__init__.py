"""The scaled-out topology on one machine (`make cluster`): N of each stateless server, balanced.

`Cluster` starts the servers in dependency order and waits for each to be ready: the API
processes, the MLflow tracking servers (one after the other: the first creates MLflow's tables
in Postgres, and two creating them at once would race), then HAProxy, which must see every one
of them UP through its health checks before `up()` returns. `wedsync cluster up/down/status`
drives it from the command line; the kill tests drive it from Python and SIGKILL single servers
under load.

With `redis_cluster` (`WEDSYNC_CLUSTER_REDIS=cluster`) the topology first starts a 6-node Redis
Cluster of its own (`redis_cluster.py`) and the API processes use it instead of the one Redis.

With `postgres_ha` (`WEDSYNC_CLUSTER_POSTGRES=patroni`) the warehouse is a new, replicated one.
Before the API starts on it, it gets the served data (marts and predictions) of the warehouse
the settings name, the one `make build` built (`wedsync.warehouse.served_copy`), unless it has
its own already (its data survives `down()`): so it answers the built figures from the start.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from wedsync.cluster.balancer import wait_until_up
from wedsync.cluster.dagster import DagsterTopology, dagster_home
from wedsync.cluster.postgres_ha import PostgresHA
from wedsync.cluster.processes import ClusterError, Supervisor
from wedsync.cluster.redis_cluster import REDIS_MODE_VARIABLE, RedisClusterNodes
from wedsync.cluster.topology import (
    ClusterPorts,
    Member,
    api_members,
    haproxy_member,
    mlflow_members,
)
from wedsync.settings import LOCAL_DIR, Settings, get_settings
from wedsync.warehouse import ensure_database
from wedsync.warehouse.served_copy import copy_served_data, has_served_data

__all__ = ["Cluster", "ClusterError", "ClusterPorts"]

RUN_DIR = LOCAL_DIR / "cluster"
#: Set to 1 to add Dagster (code server, daemon, 2 webservers, 2 Celery workers): heavy.
DAGSTER_VARIABLE = "WEDSYNC_CLUSTER_DAGSTER"


class Cluster:
    """One topology: its ports, the warehouse and Redis it serves, and its running servers."""

    def __init__(
        self,
        ports: ClusterPorts | None = None,
        settings: Settings | None = None,
        run_dir: Path = RUN_DIR,
        extra_env: dict[str, str] | None = None,
        with_mlflow: bool = True,
        mlflow_store_url: str | None = None,
        with_dagster: bool | None = None,
        redis_cluster: bool | None = None,
        postgres_ha: PostgresHA | None = None,
    ) -> None:
        self.ports = ports or ClusterPorts.from_env()
        self.settings = settings or get_settings()
        #: The warehouse the settings name: the replicated warehouse's served data come from it.
        self.source_database_url = self.settings.database_url
        #: Where the replicated warehouse's served data came from (`up()`), if it got them.
        self.seeded_from: str | None = None
        # With the replicated warehouse, everything writes through its pgbouncer to the primary.
        self.postgres_ha = postgres_ha
        if postgres_ha is not None:
            self.settings = dataclasses.replace(
                self.settings, database_url=postgres_ha.url(self.settings.database_name)
            )
        self.supervisor = Supervisor(run_dir)
        # Settings every API process gets on top of the warehouse's (rate limits in a test).
        self.extra_env = extra_env or {}
        self.with_mlflow = with_mlflow
        # MLflow's backend store: by default a database beside the warehouse, named after it.
        self.mlflow_store_url = mlflow_store_url or self.settings.database_url_for(
            f"{self.settings.database_name}_mlflow"
        )
        if with_dagster is None:
            with_dagster = os.environ.get(DAGSTER_VARIABLE) == "1"
        # The ML steps the Celery workers run log to the topology's MLflow, through HAProxy.
        mlflow_uri = f"http://127.0.0.1:{self.ports.mlflow_lb}" if with_mlflow else None
        self.dagster = (
            DagsterTopology(
                self.supervisor,
                dagster_home(
                    self.supervisor.run_dir / "dagster-home",
                    self.settings,
                    self.ports,
                    mlflow_tracking_uri=mlflow_uri,
                ),
                self.ports,
            )
            if with_dagster
            else None
        )
        if redis_cluster is None:
            redis_cluster = os.environ.get(REDIS_MODE_VARIABLE, "single") == "cluster"
        #: The topology's own Redis Cluster, when the API runs on one (else the settings' Redis).
        self.redis_nodes = RedisClusterNodes(self.ports, self.supervisor) if redis_cluster else None

    @property
    def api(self) -> list[Member]:
        """The API processes."""
        env = {
            "WEDSYNC_DATABASE_URL": self.settings.database_url,
            "WEDSYNC_REDIS_URL": self.redis_url,
            **self.extra_env,
        }
        if self.postgres_ha is not None:
            # Mart reads go to the streaming replica (serving.core.replica).
            replica = self.postgres_ha.ports.replica
            env["WEDSYNC_REPLICA_DATABASE_URL"] = self.postgres_ha.url(
                self.settings.database_name, replica
            )
        return api_members(self.ports, env)

    @property
    def redis_url(self) -> str:
        """The Redis the API processes use: the topology's cluster, or the settings' server."""
        return self.redis_nodes.url if self.redis_nodes else self.settings.redis_url

    @property
    def mlflow_artifacts(self) -> Path:
        """The directory standing in for the object store that MLflow's artifacts go to."""
        return self.supervisor.run_dir / "mlflow-artifacts"

    @property
    def mlflow(self) -> list[Member]:
        """The MLflow tracking servers (none when the topology runs without them)."""
        if not self.with_mlflow:
            return []
        return mlflow_members(self.ports, self.mlflow_store_url, self.mlflow_artifacts)

    @property
    def haproxy(self) -> Member:
        """The load balancer."""
        return haproxy_member(self.ports)

    def up(self) -> None:
        """Start every server and return once HAProxy routes to all of them."""
        running = self.status()
        if running:
            # Checked before starting anything: a failed start stops what it started, and
            # must not stop a topology that was already serving.
            raise ClusterError(f"already running: {', '.join(running)} (stop it first)")
        try:
            if self.postgres_ha is not None:
                self.postgres_ha.up()
                ensure_database(self.settings.database_url)
                self.seed_replicated_warehouse(self.postgres_ha)
            if self.redis_nodes:
                self.redis_nodes.up()
            for member in self.api:
                self.supervisor.start(member)
            if self.mlflow:
                ensure_database(self.mlflow_store_url)
            for member in self.mlflow:
                self.supervisor.start(member)
                # Importing and migrating take MLflow minutes on a busy machine.
                self.supervisor.wait_ready(member, timeout=300)
            for member in self.api:
                self.supervisor.wait_ready(member)
            if self.dagster is not None:
                self.dagster.up()
            self.supervisor.start(self.haproxy)
            self.supervisor.wait_ready(self.haproxy)
            self.wait_until_balanced()
        except BaseException:
            self.down()
            raise

    def seed_replicated_warehouse(self, postgres_ha: PostgresHA) -> None:
        """Copy the built warehouse's served data into the new replicated one (on its primary,
        directly: pgbouncer's transaction pooling would split psql's session)."""
        target = postgres_ha.url(self.settings.database_name, postgres_ha.ports.primary)
        if has_served_data(target) or not has_served_data(self.source_database_url):
            return
        copy_served_data(self.source_database_url, target)
        self.seeded_from = self.source_database_url

    def wait_until_balanced(self, timeout: float = 60.0) -> None:
        """Wait until HAProxy's health checks have every server UP in its backends."""
        api = [member.name for member in self.api]
        dagster_ui = [m.name for m in self.dagster.webservers] if self.dagster is not None else []
        for backend, names in (
            ("api", api),
            ("api_live", api),
            ("mlflow", self.mlflow_names),
            ("dagster_ui", dagster_ui),
        ):
            if names:
                wait_until_up(self.ports.stats, backend, names, timeout)

    @property
    def mlflow_names(self) -> list[str]:
        """The tracking servers' names."""
        return [member.name for member in self.mlflow]

    def restart(self, name: str) -> None:
        """Start one server again (after a kill) and wait until it is ready."""
        member = next(m for m in [*self.api, *self.mlflow] if m.name == name)
        self.supervisor.start(member)
        self.supervisor.wait_ready(member)

    def down(self) -> list[str]:
        """Stop every server this topology started; their names."""
        stopped = self.supervisor.stop_all()
        if self.postgres_ha is not None:
            stopped += self.postgres_ha.down()
        return stopped

    def status(self) -> dict[str, int]:
        """Running servers by name, with their process ids."""
        running = self.supervisor.running()
        if self.postgres_ha is not None:
            running |= self.postgres_ha.supervisor.running()
        return running
