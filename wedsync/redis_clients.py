"""Redis clients for one server or a Redis Cluster, chosen by the configured URL.

`WEDSYNC_REDIS_URL` says which:

- `redis://host:port/db`: one Redis (the demo's, and every test's by default);
- `redis+cluster://host1:port1,host2:port2,.../`: a Redis Cluster, discovered from any of the
  listed nodes (list several: a process started while one of them is down still finds the rest);
- `redis://host:port` with `WEDSYNC_REDIS_CLUSTER=1`: the same, seeded from one node.

A cluster serves database 0 only. Every key this platform writes carries a hash tag
(`{tenant}` or `{supplier}`), so each script's keys share one slot and one tenant's rate
window, cache locks and live channel live on one shard (see `docs/scaling.md`).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any
from urllib.parse import unquote, urlparse

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.asyncio.retry
import redis.cluster
import redis.retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, RedisError

#: How long a cluster client sends nothing to a node after a connection to it failed.
NODE_PAUSE_SECONDS = 0.5


class FailFastCluster(redis.asyncio.cluster.RedisCluster):
    """A `RedisCluster` that keeps serving the healthy shards while one fails over.

    After a connection error redis-py re-reads the cluster's layout before the next command,
    under a lock every command waits for, and each re-read also parsed the whole command table
    again (~200 ms of CPU on this machine). While a shard fails over every command for it fails,
    so re-reads followed one another: in the first kill test runs every command (the healthy
    shards' too) queued behind them, the API processes' health checks timed out and HAProxy
    marked all 4 down. So here:

    - a re-read after an error reads the slot map only (the command table does not change when a
      replica is promoted);
    - a command for a node that failed within `NODE_PAUSE_SECONDS` fails at once, without a
      re-read; one command per pause goes through (and finds the promoted replica once there is
      one).

    Every caller treats the failure as Redis unavailable (the cache computes, an exact limiter
    refuses, a publish is skipped). This leans on two attributes of redis-py 8.1 (pinned): the
    `_initialize` flag and `_determine_slot`.
    """

    _paused_until: dict[str, float]
    _layout_lock: asyncio.Lock | None = None

    async def initialize(self, *args: Any, **kwargs: Any) -> FailFastCluster:
        """Read the layout: all of it on first use, the slot map alone after an error."""
        if not (self._initialize and self.commands_parser.commands):
            await super().initialize(*args, **kwargs)
            return self
        if self._layout_lock is None:
            self._layout_lock = asyncio.Lock()
        async with self._layout_lock:
            if self._initialize:
                await self.nodes_manager.initialize(*args, **kwargs)
                self._initialize = False
        return self

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        """Run a command, unless its node failed just now.

        A slot no node serves (mid-failover) counts as Redis unavailable too: redis-py raises
        `RedisClusterException` for it, which is not a `RedisError` the callers catch; so does a
        write to a transport the node's death has closed (a `RuntimeError`).
        """
        if not hasattr(self, "_paused_until"):
            self._paused_until = {}
        node = await self._node_of(args)
        now = time.monotonic()
        if node is not None and self._paused_until.get(node, 0.0) > now:
            raise RedisConnectionError(f"Redis node {node} failed under a second ago")
        try:
            return await super().execute_command(*args, **kwargs)
        except RedisConnectionError as error:
            failed = getattr(error, "last_failed_node_name", None) or node
            if failed is not None:
                self._paused_until[failed] = now + NODE_PAUSE_SECONDS
            raise
        except RedisClusterException as error:
            raise RedisConnectionError(str(error)) from error
        except RuntimeError as error:
            # redis-py 8.1 can write to a connection its node's death just closed ("unable to
            # perform operation on <TCPTransport closed=True>"): the node is gone all the same.
            raise RedisConnectionError(str(error)) from error

    async def _node_of(self, args: tuple[Any, ...]) -> str | None:
        """The node a keyed command goes to by the last layout read (None: no key, or none read).

        Asked even while redis-py has a re-read due: the layout it holds until then is the one
        that sent the command to the failed node.
        """
        if not self.nodes_manager.slots_cache:
            return None  # no layout read yet: the command reads it first
        try:
            slot = await self._determine_slot(*args)
            node = self.nodes_manager.get_node_from_slot(slot)
        except (RedisError, RedisClusterException, KeyError):
            return None  # a slot the layout does not cover: redis-py reports it
        return None if node is None else str(node.name)


#: Either client the API works with: one Redis, or a cluster routing each key to its shard.
AsyncRedis = redis.asyncio.Redis | redis.asyncio.cluster.RedisCluster
SyncRedis = redis.Redis | redis.cluster.RedisCluster

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
CLUSTER_VARIABLE = "WEDSYNC_REDIS_CLUSTER"
#: A cluster command retries once, at once: the retry goes to the slot's owner as the cluster
#: names it after the error (a promoted replica). redis-py's default (10, backing off) would
#: hold a request for seconds while a shard fails over; the callers fall back instead.
CLUSTER_RETRIES = 1


def is_cluster(url: str) -> bool:
    """Whether `url` (with `WEDSYNC_REDIS_CLUSTER`) names a Redis Cluster."""
    scheme = urlparse(url).scheme
    flag = os.environ.get(CLUSTER_VARIABLE, "").strip().lower()
    if flag not in ("", "0", "1", "false", "true", "no", "yes"):
        raise ValueError(f"{CLUSTER_VARIABLE} must be 1 or 0; got {flag!r}")
    return scheme in CLUSTER_SCHEMES or flag in ("1", "true", "yes")


def cluster_nodes(url: str) -> list[tuple[str, int]]:
    """The `(host, port)` seed nodes a cluster URL lists (`host1:port1,host2:port2`)."""
    netloc = urlparse(url).netloc.rpartition("@")[2]
    nodes = []
    for address in netloc.split(","):
        host, _, port = address.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"a Redis Cluster node must be host:port; got {address!r} in the URL")
        nodes.append((host.strip("[]"), int(port)))
    return nodes


def _credentials(url: str) -> dict[str, object]:
    """Username, password and TLS of a URL, as client keyword arguments."""
    parsed = urlparse(url)
    userinfo = parsed.netloc.rpartition("@")[0]
    username, _, password = userinfo.partition(":")
    return {
        "username": unquote(username) or None,
        "password": unquote(password) or None,
        "ssl": parsed.scheme.startswith("rediss"),
    }


def async_client(url: str, **options: object) -> AsyncRedis:
    """An asyncio client for `url`: a `RedisCluster` for a cluster, else a `Redis`.

    `options` are the connection settings both accept (timeouts, `max_connections`).
    """
    if not is_cluster(url):
        return redis.asyncio.Redis.from_url(url, **options)  # type: ignore[arg-type]
    nodes = [redis.asyncio.cluster.ClusterNode(host, port) for host, port in cluster_nodes(url)]
    return FailFastCluster(
        startup_nodes=nodes,
        retry=redis.asyncio.retry.Retry(NoBackoff(), CLUSTER_RETRIES),
        **_credentials(url),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def sync_client(url: str, **options: object) -> SyncRedis:
    """A blocking client for `url` (tools and tests), one Redis or a cluster."""
    if not is_cluster(url):
        return redis.Redis.from_url(url, **options)  # type: ignore[arg-type]
    nodes = [redis.cluster.ClusterNode(host, port) for host, port in cluster_nodes(url)]
    return redis.cluster.RedisCluster(
        startup_nodes=nodes,
        retry=redis.retry.Retry(NoBackoff(), CLUSTER_RETRIES),
        **_credentials(url),  # type: ignore[arg-type]
        **options,  # type: ignore[arg-type]
    )


def hash_tagged(prefix: str, tag: str, rest: str = "") -> str:
    """`prefix:{tag}rest`: Redis Cluster hashes only `tag`, so keys sharing it share a slot."""
    return f"{prefix}:{{{tag}}}{rest}"
