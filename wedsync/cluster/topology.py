"""The scaled-out topology on one machine: which servers run, on which ports, with what.

Every stateless server runs N times behind HAProxy (`deploy/haproxy.cfg`): 4 API processes
(uvicorn, one worker each, so one process can be killed on its own) and 2 MLflow tracking
servers sharing a Postgres backend store and one artifact directory (the stand-in for an object
store). Ports come from one base port, so a developer, CI and a test each pick a free block:

    base + 0        HAProxy: the API (HTTP and the live feed's WebSockets)
    base + 2        HAProxy: MLflow
    base + 3        HAProxy: stats page, Prometheus exporter at /metrics
    base + 10 + i   API process i (1..4)
    base + 20 + i   MLflow tracking server i (1..2)
    base + 30       HAProxy: the Dagster UI (webservers: base + 30 + i; code server: base + 39)

(base + 1 is left free: a private Redis for the block usually sits there.)

    base + 50 + i   Redis Cluster node i (1..6), its cluster bus on port + 10000
                    (`WEDSYNC_CLUSTER_REDIS=cluster`, see `redis_cluster.py`)
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from wedsync.settings import REPO_ROOT

DEFAULT_BASE_PORT = 8100
BASE_PORT_VARIABLE = "WEDSYNC_CLUSTER_PORT"
API_REPLICAS = 4
MLFLOW_REPLICAS = 2
DAGSTER_WEBSERVER_REPLICAS = 2
HAPROXY_CONFIG = REPO_ROOT / "deploy" / "haproxy.cfg"
BIN = Path(sys.executable).parent

# uvicorn's flags as `make demo` serves the API (see orchestration/serve.py for why).
UVICORN_FLAGS = (
    "--no-access-log",
    "--ws",
    "websockets-sansio",
    "--ws-per-message-deflate",
    "false",
)


@dataclass(frozen=True)
class ClusterPorts:
    """The port layout of one topology, from its base port (see the module's docstring)."""

    base: int = DEFAULT_BASE_PORT

    @classmethod
    def from_env(cls) -> ClusterPorts:
        """`WEDSYNC_CLUSTER_PORT`, else 8100 (clear of the demo's 3000, 5000 and 8000)."""
        raw = os.environ.get(BASE_PORT_VARIABLE, str(DEFAULT_BASE_PORT))
        if not raw.isdigit() or not 1024 <= int(raw) <= 65_000:
            raise ValueError(f"{BASE_PORT_VARIABLE} must be a port in 1024..65000; got {raw!r}")
        return cls(int(raw))

    @property
    def api_lb(self) -> int:
        """The API's public port, on HAProxy."""
        return self.base

    @property
    def mlflow_lb(self) -> int:
        """MLflow's public port, on HAProxy."""
        return self.base + 2

    @property
    def stats(self) -> int:
        """HAProxy's stats page."""
        return self.base + 3

    def api(self, replica: int) -> int:
        """API process `replica` (1-based)."""
        return self.base + 10 + replica

    def mlflow(self, replica: int) -> int:
        """MLflow tracking server `replica` (1-based)."""
        return self.base + 20 + replica

    @property
    def dagster_ui(self) -> int:
        """The Dagster UI's public port, on HAProxy."""
        return self.base + 30

    def dagster_webserver(self, replica: int) -> int:
        """dagster-webserver `replica` (1-based)."""
        return self.base + 30 + replica

    @property
    def dagster_code_server(self) -> int:
        """The Dagster code server (gRPC)."""
        return self.base + 39

    def redis_node(self, node: int) -> int:
        """Redis Cluster node `node` (1-based); its cluster bus listens on this + 10000."""
        return self.base + 50 + node

    def haproxy_env(self) -> dict[str, str]:
        """The variables `deploy/haproxy.cfg` expands."""
        variables = {
            "WEDSYNC_LB_PORT": self.api_lb,
            "WEDSYNC_MLFLOW_LB_PORT": self.mlflow_lb,
            "WEDSYNC_LB_STATS_PORT": self.stats,
        }
        variables |= {f"WEDSYNC_API_PORT_{i}": self.api(i) for i in range(1, API_REPLICAS + 1)}
        variables |= {
            f"WEDSYNC_MLFLOW_PORT_{i}": self.mlflow(i) for i in range(1, MLFLOW_REPLICAS + 1)
        }
        variables["WEDSYNC_DAGSTER_LB_PORT"] = self.dagster_ui
        variables |= {
            f"WEDSYNC_DAGSTER_WEBSERVER_PORT_{i}": self.dagster_webserver(i)
            for i in range(1, DAGSTER_WEBSERVER_REPLICAS + 1)
        }
        return {name: str(port) for name, port in variables.items()}


@dataclass(frozen=True)
class Member:
    """One server of the topology: how to start it and how to tell it is ready."""

    name: str
    command: tuple[str, ...]
    port: int
    ready_path: str
    env: dict[str, str] = field(default_factory=dict)
    #: The OS user (and group) it runs as; None: ours. Postgres and pgbouncer refuse root.
    user: str | None = None


def api_members(ports: ClusterPorts, env: dict[str, str]) -> list[Member]:
    """The API processes, each one uvicorn worker, all with the same `env` (warehouse, Redis)."""
    return [
        Member(
            name=f"api{replica}",
            command=(
                str(BIN / "uvicorn"),
                "serving.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(ports.api(replica)),
                "--workers",
                "1",
                *UVICORN_FLAGS,
            ),
            port=ports.api(replica),
            ready_path="/readyz",
            env=env,
        )
        for replica in range(1, API_REPLICAS + 1)
    ]


def haproxy_member(ports: ClusterPorts) -> Member:
    """HAProxy in the foreground (`-db`), so the launcher holds its process like any other."""
    haproxy = shutil.which("haproxy") or "haproxy"
    return Member(
        name="haproxy",
        command=(haproxy, "-db", "-f", str(HAPROXY_CONFIG)),
        port=ports.stats,
        ready_path="/;csv",
        env=ports.haproxy_env(),
    )


def mlflow_members(ports: ClusterPorts, backend_store_uri: str, artifacts: Path) -> list[Member]:
    """The MLflow tracking servers: one Postgres backend store, one artifact store they proxy.

    `--serve-artifacts` makes clients upload and download through the tracking server, as they
    would with an object store the clients hold no credentials for; `artifacts` (a directory)
    stands in for that store, and every server writes to the same one.
    """
    return [
        Member(
            name=f"mlflow{replica}",
            command=(
                str(BIN / "mlflow"),
                "server",
                "--backend-store-uri",
                backend_store_uri,
                "--artifacts-destination",
                artifacts.as_uri(),
                "--serve-artifacts",
                "--host",
                "127.0.0.1",
                "--port",
                str(ports.mlflow(replica)),
                "--workers",
                "1",
                # HAProxy's health check every second would be most of the log.
                "--uvicorn-opts",
                "--no-access-log",
            ),
            port=ports.mlflow(replica),
            ready_path="/health",
        )
        for replica in range(1, MLFLOW_REPLICAS + 1)
    ]
