"""The replicated warehouse's ports, from the topology's base port (see `postgres_ha`)."""

from __future__ import annotations

from dataclasses import dataclass

from wedsync.cluster.topology import ClusterPorts

#: The Patroni nodes, numbered from 1.
NODES = (1, 2)
PORT_OFFSET = 70


@dataclass(frozen=True)
class PostgresHAPorts:
    """The replicated warehouse's ports (the layout is in `wedsync.cluster.postgres_ha`)."""

    base: int

    @classmethod
    def of(cls, ports: ClusterPorts) -> PostgresHAPorts:
        """The block inside a topology's ports."""
        return cls(ports.base + PORT_OFFSET)

    @property
    def etcd(self) -> int:
        """etcd's client port."""
        return self.base

    @property
    def etcd_peer(self) -> int:
        """etcd's peer port (one member, but etcd listens for peers all the same)."""
        return self.base + 1

    def patroni(self, node: int) -> int:
        """Node `node`'s Patroni REST API."""
        return self.base + 1 + node

    def postgres(self, node: int) -> int:
        """Node `node`'s PostgreSQL."""
        return self.base + 3 + node

    @property
    def primary(self) -> int:
        """HAProxy's port that always reaches the current primary."""
        return self.base + 6

    @property
    def replica(self) -> int:
        """HAProxy's port that reaches a streaming replica."""
        return self.base + 7

    @property
    def pgbouncer(self) -> int:
        """pgbouncer, in front of the primary: the warehouse's address for the API."""
        return self.base + 8

    @property
    def stats(self) -> int:
        """This HAProxy's stats page."""
        return self.base + 9

    def haproxy_env(self) -> dict[str, str]:
        """The variables `deploy/patroni/haproxy.cfg` expands."""
        variables = {
            "WEDSYNC_PG_PRIMARY_PORT": self.primary,
            "WEDSYNC_PG_REPLICA_PORT": self.replica,
            "WEDSYNC_PG_STATS_PORT": self.stats,
        }
        for node in NODES:
            variables[f"WEDSYNC_PG_PORT_{node}"] = self.postgres(node)
            variables[f"WEDSYNC_PATRONI_PORT_{node}"] = self.patroni(node)
        return {name: str(port) for name, port in variables.items()}
