"""A 6-node Redis Cluster on one machine: 3 primaries, each with a replica that takes over.

`make cluster` runs it when `WEDSYNC_CLUSTER_REDIS=cluster` (and the API processes then speak
to it, `redis+cluster://...`); the Redis kill test runs it to SIGKILL a primary under load.
Each node is a `redis-server` in cluster mode in the foreground, held by the topology's
`Supervisor` like every other server (pid files, stopped by id), with no persistence: what
Redis holds here is rebuildable, and a replica, not a disk, is what survives a lost primary.

`cluster-node-timeout` is 2 s: a primary silent that long is marked failing by the others and
its replica is promoted within about a second more. `cluster-require-full-coverage no` keeps
the two healthy shards serving their tenants while the third fails over.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass

import redis

from wedsync.cluster.processes import ClusterError, Supervisor
from wedsync.cluster.topology import ClusterPorts, Member

REDIS_NODES = 6
NODE_TIMEOUT_MS = 2000
#: The switch `make cluster` reads: `cluster` runs the API on a Redis Cluster of its own.
REDIS_MODE_VARIABLE = "WEDSYNC_CLUSTER_REDIS"


def redis_node_members(ports: ClusterPorts, supervisor: Supervisor) -> list[Member]:
    """The cluster's nodes `redis1..6`, each in its own directory (its `nodes.conf`)."""
    server = shutil.which("redis-server") or "redis-server"
    members = []
    for node in range(1, REDIS_NODES + 1):
        port = ports.redis_node(node)
        directory = supervisor.run_dir / f"redis{node}"
        members.append(
            Member(
                name=f"redis{node}",
                command=(
                    server,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(directory),
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    str(NODE_TIMEOUT_MS),
                    "--cluster-require-full-coverage",
                    "no",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ),
                port=port,
                ready_path="",  # not HTTP: readiness is a PING (`RedisClusterNodes`)
            )
        )
    return members


@dataclass
class RedisClusterNodes:
    """The nodes of one topology's Redis Cluster, and how the API reaches them."""

    ports: ClusterPorts
    supervisor: Supervisor

    @property
    def members(self) -> list[Member]:
        """The 6 nodes."""
        return redis_node_members(self.ports, self.supervisor)

    @property
    def url(self) -> str:
        """`redis+cluster://` listing every node, so a client finds the cluster from any."""
        nodes = ",".join(f"127.0.0.1:{member.port}" for member in self.members)
        return f"redis+cluster://{nodes}/"

    def up(self, timeout: float = 60.0) -> None:
        """Start the nodes afresh, join them (`redis-cli --cluster create`), wait until healthy."""
        for member in self.members:
            directory = self.supervisor.run_dir / member.name
            shutil.rmtree(directory, ignore_errors=True)  # a fresh cluster: no old nodes.conf
            directory.mkdir(parents=True)
            self.supervisor.start(member)
        for member in self.members:
            self._wait_ping(member, timeout)
        create = subprocess.run(
            [
                shutil.which("redis-cli") or "redis-cli",
                "--cluster",
                "create",
                *(f"127.0.0.1:{member.port}" for member in self.members),
                "--cluster-replicas",
                "1",
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if create.returncode != 0:
            raise ClusterError(f"redis-cli --cluster create failed: {create.stdout[-2000:]}")
        self.wait_healthy(timeout)

    def restart(self, name: str, timeout: float = 60.0) -> None:
        """Start a killed node again: it rejoins (from its nodes.conf) as a replica."""
        member = next(m for m in self.members if m.name == name)
        self.supervisor.start(member)
        self._wait_ping(member, timeout)
        self.wait_healthy(timeout)

    def primaries(self) -> dict[str, tuple[int, int]]:
        """The running primaries by member name, each with its (first, last) slot range."""
        by_port = {member.port: member.name for member in self.members}
        for member in self.members:
            if self.supervisor.pid(member.name) is None:
                continue
            try:
                with redis.Redis(port=member.port, socket_timeout=2) as client:
                    slots = client.execute_command("CLUSTER", "SLOTS")
            except redis.RedisError:
                continue
            return {by_port[int(entry[2][1])]: (int(entry[0]), int(entry[1])) for entry in slots}
        raise ClusterError("no node of the Redis Cluster answers")

    def primary_of(self, key: str) -> str:
        """The member name of the primary holding `key`'s slot."""
        with redis.Redis(port=self.members[0].port, socket_timeout=2) as client:
            slot = int(client.execute_command("CLUSTER", "KEYSLOT", key))
        return next(name for name, (lo, hi) in self.primaries().items() if lo <= slot <= hi)

    def wait_promoted(self, dead: str, timeout: float = 60.0) -> None:
        """Wait until a replica has taken the slots of the primary `dead` (killed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                primaries = self.primaries()
            except ClusterError:
                primaries = {}
            if dead not in primaries and len(primaries) == 3:
                return
            time.sleep(0.05)
        raise ClusterError(f"no replica took over from {dead} within {timeout:.0f} s")

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Wait until every running node says `cluster_state:ok` and 3 primaries hold the slots."""
        deadline = time.monotonic() + timeout
        running = [m for m in self.members if self.supervisor.pid(m.name) is not None]
        while time.monotonic() < deadline:
            try:
                if all(self._state_ok(m.port) for m in running) and len(self.primaries()) == 3:
                    return
            except (redis.RedisError, ClusterError):
                pass
            time.sleep(0.2)
        raise ClusterError(f"the Redis Cluster was not healthy within {timeout:.0f} s")

    @staticmethod
    def _state_ok(port: int) -> bool:
        with redis.Redis(port=port, socket_timeout=2) as client:
            info = client.execute_command("CLUSTER", "INFO")
        text = info.decode() if isinstance(info, bytes) else str(info)
        return "cluster_state:ok" in text

    def _wait_ping(self, member: Member, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.supervisor.pid(member.name) is None:
                raise ClusterError(f"{member.name} exited; see {self.supervisor.run_dir}")
            try:
                with redis.Redis(port=member.port, socket_timeout=1) as client:
                    if client.ping():
                        return
            except redis.RedisError:
                time.sleep(0.1)
        raise ClusterError(f"{member.name} did not answer PING on {member.port} in {timeout} s")
