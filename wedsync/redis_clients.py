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

import os
from urllib.parse import unquote, urlparse

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.asyncio.retry
import redis.cluster
import redis.retry
from redis.backoff import NoBackoff

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
    return redis.asyncio.cluster.RedisCluster(
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
