"""The warehouse's Postgres with automated failover on one machine: Patroni, etcd, pgbouncer.

Two Patroni-managed PostgreSQL nodes share one etcd (the leader lock lives there): one is the
primary, the other a synchronous standby (`deploy/patroni/patroni.yml`: a commit, and so an
acknowledged event, is on both before it returns, and Patroni promotes only the synchronous
standby). HAProxy (`deploy/patroni/haproxy.cfg`) asks each node's Patroni REST API what it is
now and sends writes to `/primary`, reads to `/replica`; pgbouncer sits in front of the write
port, so the API keeps its few connections there across a failover. Ports, from the cluster's
base port (`WEDSYNC_CLUSTER_PORT`):

    base + 70       etcd (clients)          base + 71       etcd (peers)
    base + 71 + i   Patroni REST, node i    base + 73 + i   PostgreSQL, node i   (i = 1, 2)
    base + 76       HAProxy: the primary    base + 77       HAProxy: the replica
    base + 78       pgbouncer (the warehouse URL the API gets)
    base + 79       HAProxy's stats page

Patroni runs Debian's PostgreSQL binaries, which refuse root, so as root Patroni and pgbouncer
run as the `postgres` OS user (as the fault suite's private servers do), started directly as
that user rather than through `runuser`, which SIGKILLs its child 2 s after a SIGTERM: Patroni
needs longer to stop its Postgres cleanly. Data lives in
`<run_dir>/node<i>/data` and survives `down()`; `destroy()` deletes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from string import Template
from typing import Any

import psycopg

from wedsync.cluster.balancer import wait_until_up
from wedsync.cluster.postgres_ports import NODES, PostgresHAPorts
from wedsync.cluster.processes import ClusterError, Supervisor
from wedsync.cluster.topology import ClusterPorts, Member
from wedsync.settings import LOCAL_DIR, REPO_ROOT

PATRONI_DIR = REPO_ROOT / "deploy" / "patroni"
PATRONI_YML = "patroni.yml"
RUN_DIR = LOCAL_DIR / "cluster" / "postgres-ha"
#: `make cluster` runs the replicated warehouse when this is `patroni` (it is heavier: two
#: Postgres servers, etcd, pgbouncer and a second HAProxy).
POSTGRES_VARIABLE = "WEDSYNC_CLUSTER_POSTGRES"
OS_USER = "postgres"
#: Bootstrapping (initdb) and a replica's base backup take a while on a busy machine.
NODE_START_SECONDS = 180.0


def _postgres_bin_dir() -> Path:
    """Debian's PostgreSQL 15 binaries (what Patroni, pg_rewind and pg_partman are packaged for)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: p.parts[-3])
    if not found:
        raise ClusterError("no Debian PostgreSQL server: apt-get install postgresql patroni")
    return found[-1].parent


def _os_user() -> str | None:
    """The OS user Patroni, Postgres and pgbouncer run as: `postgres` when we are root."""
    return OS_USER if os.geteuid() == 0 else None


def as_os_user(command: tuple[str, ...]) -> tuple[str, ...]:
    """`command` run as the `postgres` OS user when we are root (Postgres refuses root)."""
    return ("runuser", "-u", OS_USER, "--", *command) if os.geteuid() == 0 else command


def _own(path: Path) -> None:
    """Hand `path` (recursively) to the `postgres` OS user when we are root."""
    if os.geteuid() == 0:
        shutil.chown(path, OS_USER, OS_USER)
        for child in path.rglob("*"):
            shutil.chown(child, OS_USER, OS_USER)


def node_name(node: int) -> str:
    """Patroni's (and HAProxy's) name of node `node`."""
    return f"node{node}"


class PostgresHA:
    """One replicated warehouse server: etcd, two Patroni nodes, HAProxy and pgbouncer."""

    def __init__(self, ports: PostgresHAPorts, run_dir: Path) -> None:
        self.ports = ports
        self.run_dir = run_dir
        self.supervisor = Supervisor(run_dir)

    # -- addresses -------------------------------------------------------------------------

    def url(self, database: str, port: int | None = None, user: str = "postgres") -> str:
        """A URL of `database` through pgbouncer (or through `port`: HAProxy's, a node's)."""
        return f"postgresql://{user}@127.0.0.1:{port or self.ports.pgbouncer}/{database}"

    def node_dir(self, node: int) -> Path:
        """Node `node`'s directory (its data directory, config, socket)."""
        return self.run_dir / node_name(node)

    # -- the members -----------------------------------------------------------------------

    @property
    def etcd(self) -> Member:
        """A one-member etcd: the lock Patroni's leader holds, and the cluster's configuration."""
        peer = f"http://127.0.0.1:{self.ports.etcd_peer}"
        client = f"http://127.0.0.1:{self.ports.etcd}"
        return Member(
            name="etcd",
            command=(
                shutil.which("etcd") or "etcd",
                *("--name", "wedsync", "--data-dir", str(self.run_dir / "etcd")),
                *("--listen-client-urls", client, "--advertise-client-urls", client),
                *("--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer),
                *("--initial-cluster", f"wedsync={peer}", "--log-level", "warn"),
            ),
            port=self.ports.etcd,
            ready_path="/health",
        )

    def patroni(self, node: int) -> Member:
        """Patroni on node `node` (it starts, promotes and rewinds that node's Postgres)."""
        return Member(
            name=node_name(node),
            command=(shutil.which("patroni") or "patroni", str(self.node_dir(node) / PATRONI_YML)),
            port=self.ports.patroni(node),
            ready_path="/health",
            user=_os_user(),
        )

    @property
    def haproxy(self) -> Member:
        """HAProxy routing to the primary and the replica by Patroni's REST checks."""
        return Member(
            name="haproxy-postgres",
            command=(
                shutil.which("haproxy") or "haproxy",
                *("-db", "-f", str(PATRONI_DIR / "haproxy.cfg")),
            ),
            port=self.ports.stats,
            ready_path="/;csv",
            env=self.ports.haproxy_env(),
        )

    @property
    def pgbouncer(self) -> Member:
        """pgbouncer in front of HAProxy's primary port (ready: it accepts a connection)."""
        return Member(
            name="pgbouncer",
            command=(shutil.which("pgbouncer") or "pgbouncer", str(self.run_dir / "pgbouncer.ini")),
            port=self.ports.pgbouncer,
            ready_path="",
            user=_os_user(),
        )

    # -- life cycle ------------------------------------------------------------------------

    def write_configs(self) -> None:
        """Render each node's `patroni.yml` and pgbouncer's configuration into `run_dir`."""
        patroni = Template((PATRONI_DIR / PATRONI_YML).read_text())
        for node in NODES:
            node_dir = self.node_dir(node)
            node_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            (node_dir / PATRONI_YML).write_text(
                patroni.substitute(
                    NAME=node_name(node),
                    REST_PORT=self.ports.patroni(node),
                    PG_PORT=self.ports.postgres(node),
                    ETCD_HOSTS=f"127.0.0.1:{self.ports.etcd}",
                    DATA_DIR=node_dir / "data",
                    NODE_DIR=node_dir,
                    BIN_DIR=_postgres_bin_dir(),
                )
            )
        (self.run_dir / "pgbouncer.ini").write_text(
            Template((PATRONI_DIR / "pgbouncer.ini").read_text()).substitute(
                PRIMARY_PORT=self.ports.primary, PORT=self.ports.pgbouncer, RUN_DIR=self.run_dir
            )
        )
        # Every role the platform connects as (trust: names only, no secrets).
        (self.run_dir / "userlist.txt").write_text('"postgres" ""\n"wedsync_api" ""\n')
        self.run_dir.chmod(0o755)
        _own(self.run_dir)

    def up(self) -> None:
        """Start etcd, the primary, its synchronous standby, HAProxy and pgbouncer, in order."""
        running = self.supervisor.running()
        if running:
            raise ClusterError(f"already running: {', '.join(running)} (stop it first)")
        try:
            self.write_configs()
            self.supervisor.start(self.etcd)
            self.supervisor.wait_ready(self.etcd)
            for node in NODES:
                self.supervisor.start(self.patroni(node))
                # The first node initialises the cluster; the second clones it and becomes
                # its synchronous standby before anything is allowed to write.
                self._wait_for_role(node, "/primary" if node == 1 else "/sync")
            self.supervisor.start(self.haproxy)
            self.supervisor.wait_ready(self.haproxy)
            self.wait_routed(NODE_START_SECONDS)
            self.supervisor.start(self.pgbouncer)
            self._wait_for_pgbouncer()
        except BaseException:
            self.down()
            raise

    def _wait_for_role(self, node: int, path: str, timeout: float = NODE_START_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        member = self.patroni(node)
        while time.monotonic() < deadline:
            if self.supervisor.pid(member.name) is None:
                raise ClusterError(f"{member.name} exited; see {self.run_dir}/{member.name}.log")
            if _status(self.ports.patroni(node), path) == 200:
                return
            time.sleep(0.2)
        raise ClusterError(f"{member.name} did not answer 200 on {path} in {timeout:.0f} s")

    def wait_routed(self, timeout: float = 60.0) -> None:
        """Wait until HAProxy has the leader UP for writes and a replica UP for reads."""
        roles = self.roles()
        leader = [name for name, role in roles.items() if role == "leader"]
        replicas = [name for name, role in roles.items() if role != "leader"]
        if not leader:
            raise ClusterError(f"no Patroni leader: {roles}")
        wait_until_up(self.ports.stats, "postgres_primary", leader, timeout)
        if replicas:
            wait_until_up(self.ports.stats, "postgres_replica", replicas, timeout)

    def _wait_for_pgbouncer(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.supervisor.pid(self.pgbouncer.name) is None:
                raise ClusterError(f"pgbouncer exited; see {self.run_dir}/pgbouncer.log")
            with contextlib.suppress(psycopg.OperationalError):
                with psycopg.connect(self.url("postgres"), connect_timeout=2) as conn:
                    conn.execute("select 1")
                return
            time.sleep(0.2)
        raise ClusterError(f"pgbouncer did not connect to the primary in {timeout:.0f} s")

    def down(self) -> list[str]:
        """Stop pgbouncer, HAProxy, the nodes (replicas before the leader) and etcd."""
        stopped = []
        roles = self._roles_or_empty()
        nodes = sorted(NODES, key=lambda node: roles.get(node_name(node)) == "leader")
        for name in ("pgbouncer", "haproxy-postgres", *map(node_name, nodes), "etcd"):
            if self.supervisor.pid(name) is not None:
                self.supervisor.stop(name, timeout=60)
                stopped.append(name)
        for node in NODES:
            self._stop_orphaned_postgres(node)
        return stopped

    def _stop_orphaned_postgres(self, node: int) -> None:
        """Stop a node's Postgres that outlived its Patroni (it runs in a session of its own)."""
        data_dir = self.node_dir(node) / "data"
        if self.postmaster_pid(node) is not None:
            subprocess.run(
                as_os_user(
                    (
                        str(_postgres_bin_dir() / "pg_ctl"),
                        "-D",
                        str(data_dir),
                        "-m",
                        "immediate",
                        "-w",
                        "stop",
                    )
                ),
                capture_output=True,
                check=False,
            )

    def destroy(self) -> None:
        """Stop everything and delete the data (nodes and etcd)."""
        self.down()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    # -- what the cluster is doing -----------------------------------------------------------

    def roles(self) -> dict[str, str]:
        """`{member: role}` from Patroni's `/cluster` (`leader`, `sync_standby`, `replica`)."""
        for node in NODES:
            cluster = _json(self.ports.patroni(node), "/cluster")
            if cluster is not None:
                members = cluster["members"]
                return {m["name"]: m["role"] for m in members if m.get("state") != "stopped"}
        raise ClusterError("no Patroni REST API answers")

    def _roles_or_empty(self) -> dict[str, str]:
        try:
            return self.roles()
        except ClusterError:
            return {}

    def leader(self) -> int:
        """The node that holds the leader lock now."""
        names = [name for name, role in self.roles().items() if role == "leader"]
        if not names:
            raise ClusterError("no leader")
        return int(names[0].removeprefix("node"))

    def set_maintenance(self, paused: bool, timeout: float = 30.0) -> None:
        """Patroni's maintenance mode on or off, once every node runs under it.

        While on, Patroni neither fails over nor touches the nodes: a replica whose replay was
        paused by hand stays paused (Patroni otherwise resumes it within a loop).
        """
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.ports.patroni(NODES[0])}/config",
            data=json.dumps({"pause": paused}).encode(),
            method="PATCH",
        )
        with urllib.request.urlopen(request, timeout=5):
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self._node_paused(node) == paused for node in NODES):
                return
            time.sleep(0.2)
        raise ClusterError(f"Patroni's maintenance mode not {paused} on every node in {timeout} s")

    def _node_paused(self, node: int) -> bool | None:
        state = _json(self.ports.patroni(node), "/patroni")
        return None if state is None else bool(state.get("pause", False))

    def postmaster_pid(self, node: int) -> int | None:
        """Node `node`'s running postmaster, from its `postmaster.pid` (None if not running)."""
        pid_file = self.node_dir(node) / "data" / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split("\n", 1)[0])
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ValueError, IndexError):
            return None
        return pid if state != "Z" else None

    def kill_postgres(self, node: int) -> None:
        """SIGKILL node `node`'s postmaster (its Patroni lives on and sees the crash)."""
        pid = self.postmaster_pid(node)
        if pid is None:
            raise ClusterError(f"{node_name(node)}'s Postgres is not running")
        os.kill(pid, signal.SIGKILL)


def replicated_warehouse(ports: ClusterPorts, wanted: bool | None = None) -> PostgresHA | None:
    """The topology's replicated warehouse when wanted (default: `WEDSYNC_CLUSTER_POSTGRES`)."""
    if wanted is None:
        raw = os.environ.get(POSTGRES_VARIABLE, "")
        if raw not in ("", "shared", "patroni"):
            raise ValueError(f"{POSTGRES_VARIABLE} must be 'patroni' or 'shared'; got {raw!r}")
        wanted = raw == "patroni"
    return PostgresHA(PostgresHAPorts.of(ports), RUN_DIR) if wanted else None


def _json(port: int, path: str) -> dict[str, Any] | None:
    """The JSON object a Patroni REST API answers at `path` (None when it does not answer)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as reply:
            answer = json.loads(reply.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return answer if isinstance(answer, dict) else None


def _status(port: int, path: str) -> int | None:
    """The HTTP status of `GET http://127.0.0.1:<port><path>` (None when nothing answers)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None
