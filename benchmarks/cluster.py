"""Cached read capacity through HAProxy against the same 4 API processes called directly.

Brings the topology up (`wedsync.cluster`: 4 uvicorn processes, one worker each, behind HAProxy)
on the API benchmark's warehouse (the demo marts copied from a built warehouse, as
`benchmarks/api.py` does), warms every key's answer, then alternates, `--runs` times:
  - through HAProxy: `--clients` closed-loop clients on HAProxy's port;
  - direct: the same number of clients split evenly over the 4 processes' own ports (the
    reference: what the processes serve with no balancer in between).
Prints min/median/max req/s of each and the ratio of the medians (target >= 80%). On one
machine HAProxy competes with the API processes for the same cores, so the ratio is a floor:
on a real deployment the balancer has its own.

    python -m benchmarks.cluster --runs 3 --duration 10 --clients 64
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import tempfile
from pathlib import Path

import uvloop

from benchmarks.api import (
    BENCH_REDIS_URL,
    METRICS,
    Outcome,
    closed_loop,
    prepare_database,
    raw_get,
)
from wedsync.cluster import Cluster, ClusterPorts
from wedsync.cluster.topology import API_REPLICAS
from wedsync.settings import get_settings


async def spread(ports: list[int], requests: list[bytes], clients: int, seconds: float) -> float:
    """req/s of `clients` closed-loop clients split evenly over `ports`, run at once."""
    shares = [clients // len(ports) + (i < clients % len(ports)) for i in range(len(ports))]
    outcomes: list[Outcome] = await asyncio.gather(
        *(
            closed_loop(port, requests, share, seconds)
            for port, share in zip(ports, shares, strict=True)
        )
    )
    failed = sum(outcome.failures for outcome in outcomes)
    if failed:
        raise SystemExit(f"{failed} requests failed: {[o.failure_kinds for o in outcomes]}")
    answered = sum(len(outcome.latencies_ms) for outcome in outcomes)
    return answered / max(outcome.elapsed_s for outcome in outcomes)


def describe(rates: list[float]) -> str:
    """min / median / max of the runs' req/s."""
    low, middle, high = min(rates), statistics.median(rates), max(rates)
    return f"min {low:8,.0f}  median {middle:8,.0f}  max {high:8,.0f}"


def main() -> None:
    """Prepare, bring the topology up, alternate the two measurements, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--suppliers", type=int, default=200, help="suppliers' keys to spread over")
    parser.add_argument("--source-database", default=get_settings().database_name)
    args = parser.parse_args()

    # Named after the warehouse, so checkouts sharing a Postgres server never drop each other's.
    bench_database = f"{get_settings().database_name}_bench_cluster"
    url, keys = prepare_database(args.source_database, args.suppliers, bench_database)
    cached = [raw_get(METRICS, key) for _, key in keys]
    settings = dataclasses.replace(get_settings(), database_url=url, redis_url=BENCH_REDIS_URL)
    cluster = Cluster(
        ports=ClusterPorts.from_env(),
        settings=settings,
        run_dir=Path(tempfile.mkdtemp(prefix="wedsync-cluster-bench-")),
        extra_env={"WEDSYNC_RATE_LIMIT_PROFESSIONAL": "100000000"},
        with_mlflow=False,  # not measured here; it would only take CPU from the API processes
    )
    direct_ports = [cluster.ports.api(i) for i in range(1, API_REPLICAS + 1)]
    print(
        f"demo marts from {args.source_database!r}; {len(keys)} suppliers' keys; "
        f"{API_REPLICAS} API processes behind HAProxy; {args.clients} clients; "
        f"{os.cpu_count()} cores",
        flush=True,
    )
    cluster.up()
    try:
        # Warm every key's answer into every process (cache, key memory, learned hot path).
        uvloop.run(spread(direct_ports, cached, min(len(cached), args.clients), 3.0))
        balanced, direct = [], []
        for run in range(1, args.runs + 1):
            lb = [cluster.ports.api_lb]
            balanced.append(uvloop.run(spread(lb, cached, args.clients, args.duration)))
            direct.append(uvloop.run(spread(direct_ports, cached, args.clients, args.duration)))
            print(f"run {run}: HAProxy {balanced[-1]:8,.0f} req/s, direct {direct[-1]:8,.0f} req/s")
    finally:
        cluster.down()
    print(f"through HAProxy  {describe(balanced)}  req/s")
    print(f"direct           {describe(direct)}  req/s")
    ratio = statistics.median(balanced) / statistics.median(direct)
    print(f"ratio of medians {ratio:.0%} (target >= 80%)")


if __name__ == "__main__":
    main()
