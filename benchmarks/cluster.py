"""Cached read capacity through HAProxy against the same 4 API processes called directly.

Brings the topology up (`wedsync.cluster`: 4 uvicorn processes, one worker each, behind HAProxy)
on the API benchmark's warehouse (the demo marts copied from a built warehouse, as
`benchmarks/api.py` does), warms every key's answer, then alternates, `--runs` times:
  - through HAProxy: `--clients` closed-loop clients on HAProxy's port;
  - direct: the same number of clients split evenly over the 4 processes' own ports (the
    reference: what the processes serve with no balancer in between).
Each run cross-checks with `wrk` (an outside load generator, `make bench-tools`), right after
the closed-loop pair and on the same route, key and answer bytes (checked equal through HAProxy
and direct): through HAProxy, on the 4 processes at once (one `wrk` per process, the clients
split), and on one process alone (the per-process figure of docs/scaling.md). Prints min/median/
max req/s of each, the ratios of the medians (target >= 80%) and the load average after each
run: on a shared machine the load is the noise. On one machine HAProxy competes with the API
processes for the same cores, so the ratio is a floor: on a real deployment the balancer has
its own.

    python -m benchmarks.cluster --runs 3 --duration 10 --clients 64
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import shutil
import statistics
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import uvloop

from benchmarks.api import (
    BENCH_REDIS_URL,
    METRICS,
    Connection,
    Outcome,
    closed_loop,
    load_average,
    prepare_database,
    process_tree_cpu,
    raw_get,
    wrk_rate,
)
from wedsync.cluster import Cluster, ClusterPorts
from wedsync.cluster.balancer import server_stats
from wedsync.cluster.topology import API_REPLICAS
from wedsync.settings import get_settings

#: The figures of each run, in the order they are taken (HAProxy and direct interleaved).
FIGURES = ("HAProxy", "direct", "wrk HAProxy", "wrk direct", "wrk 1 process")
#: CPU per answer (µs) of the closed-loop runs: the balancer's, and the API processes' with it
#: and without it.
CPU_FIGURES = ("HAProxy", "API, through HAProxy", "API, direct")
#: How often the API processes went to sleep (voluntary context switches) per answer: the
#: fewer, the more requests each wake-up of their event loops served.
SLEEP_FIGURES = ("through HAProxy", "direct")


async def spread(ports: list[int], requests: list[bytes], clients: int, seconds: float) -> float:
    """req/s of `clients` closed-loop clients split evenly over `ports`, run at once."""
    answered, elapsed = await answered_in(ports, requests, clients, seconds)
    return answered / elapsed


async def answered_in(
    ports: list[int], requests: list[bytes], clients: int, seconds: float
) -> tuple[int, float]:
    """(answers, seconds) of `clients` closed-loop clients split evenly over `ports`."""
    outcomes: list[Outcome] = await asyncio.gather(
        *(
            closed_loop(port, requests, share, seconds)
            for port, share in zip(ports, shares(clients, len(ports)), strict=True)
        )
    )
    failed = sum(outcome.failures for outcome in outcomes)
    if failed:
        raise SystemExit(f"{failed} requests failed: {[o.failure_kinds for o in outcomes]}")
    answered = sum(len(outcome.latencies_ms) for outcome in outcomes)
    return answered, max(outcome.elapsed_s for outcome in outcomes)


@dataclasses.dataclass(frozen=True)
class Measured:
    """One closed-loop run: CPU time, unlike req/s, is not stretched by what else the machine
    runs; sleeps say how busy the API processes were kept."""

    rate: float
    #: HAProxy's CPU µs per answer.
    balancer_us: float
    #: The API processes' CPU µs per answer.
    api_us: float
    #: The API processes' voluntary context switches per answer.
    api_sleeps: float


def measured(
    ports: list[int], requests: list[bytes], clients: int, seconds: float, pids: Pids
) -> Measured:
    """req/s and costs per answer of `clients` closed-loop clients on `ports`."""
    before, slept = pids.cpu(), pids.sleeps()
    answered, elapsed = uvloop.run(answered_in(ports, requests, clients, seconds))
    balancer, api = (
        (after - start) / answered * 1e6 for after, start in zip(pids.cpu(), before, strict=True)
    )
    return Measured(answered / elapsed, balancer, api, (pids.sleeps() - slept) / answered)


@dataclasses.dataclass(frozen=True)
class Pids:
    """HAProxy's process and the API processes, whose CPU the runs read from /proc."""

    haproxy: int
    api: list[int]

    def cpu(self) -> tuple[float, float]:
        """CPU seconds so far of HAProxy and of the API processes together."""
        return process_tree_cpu(self.haproxy), sum(process_tree_cpu(pid) for pid in self.api)

    def sleeps(self) -> int:
        """Voluntary context switches so far of the API processes: each is a wait in
        `epoll_wait` with nothing to do, then a wake-up to serve what arrived."""
        return sum(psutil.Process(pid).num_ctx_switches().voluntary for pid in self.api)


def server_connections(stats_port: int) -> tuple[int, int]:
    """(connections HAProxy opened to the API processes, requests it sent on one it had) so
    far: an opened connection is an `accept` and a new transport in an API process, which a
    direct client's keep-alive connection pays once."""
    opened = server_stats(stats_port, "api", "connect")
    reused = server_stats(stats_port, "api", "reuse")
    return sum(opened.values()), sum(reused.values())


def shares(clients: int, parts: int) -> list[int]:
    """`clients` split as evenly as possible into `parts`."""
    return [clients // parts + (i < clients % parts) for i in range(parts)]


def wrk_spread(ports: list[int], key: str, clients: int, seconds: float) -> float:
    """req/s of one `wrk` per port, run at once with the clients split; every answer a 2xx."""
    with ThreadPoolExecutor(len(ports)) as pool:
        rates = list(
            pool.map(
                lambda job: wrk_rate(job[0], key, seconds, job[1]),
                zip(ports, shares(clients, len(ports)), strict=True),
            )
        )
    if any(not rate.replace(".", "", 1).isdigit() for rate in rates):
        raise SystemExit(f"wrk: {rates}")
    return sum(float(rate) for rate in rates)


async def answer_bytes(port: int, request: bytes) -> bytes:
    """The body of one answer to `request`."""
    connection = await Connection.open(port)
    status, body = await connection.exchange(request)
    connection.close()
    if status != 200:
        raise SystemExit(f"port {port} answered {status}")
    return body


def describe(values: list[float], unit: str = "req/s") -> str:
    """min / median / max of the runs' figures."""
    low, middle, high = min(values), statistics.median(values), max(values)
    return f"min {low:8,.0f}  median {middle:8,.0f}  max {high:8,.0f}  {unit}"


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
    with_wrk = shutil.which("wrk") is not None
    lb, key = cluster.ports.api_lb, keys[0][1]
    cluster.up()
    try:
        # Warm every key's answer into every process (cache, key memory, learned hot path).
        uvloop.run(spread(direct_ports, cached, min(len(cached), args.clients), 3.0))
        # wrk's key gets the same bytes through HAProxy as from a process directly.
        through = uvloop.run(answer_bytes(lb, cached[0]))
        if through != uvloop.run(answer_bytes(direct_ports[0], cached[0])):
            raise SystemExit("HAProxy and a process answered wrk's key differently")
        print(f"wrk's key: {len(through):,} bytes through HAProxy and direct, identical")
        supervisor = cluster.supervisor
        pids = Pids(
            pid_of(supervisor.pid(cluster.haproxy.name)),
            [pid_of(supervisor.pid(member.name)) for member in cluster.api],
        )
        figures: dict[str, list[float]] = {name: [] for name in FIGURES}
        cpu: dict[str, list[float]] = {name: [] for name in CPU_FIGURES}
        sleeps: dict[str, list[float]] = {name: [] for name in SLEEP_FIGURES}
        for run in range(1, args.runs + 1):
            opened, reused = server_connections(cluster.ports.stats)
            via_haproxy = measured([lb], cached, args.clients, args.duration, pids)
            opened, reused = (
                after - before
                for after, before in zip(
                    server_connections(cluster.ports.stats), (opened, reused), strict=True
                )
            )
            to_processes = measured(direct_ports, cached, args.clients, args.duration, pids)
            figures["HAProxy"].append(via_haproxy.rate)
            figures["direct"].append(to_processes.rate)
            cpu["HAProxy"].append(via_haproxy.balancer_us)
            cpu["API, through HAProxy"].append(via_haproxy.api_us)
            cpu["API, direct"].append(to_processes.api_us)
            sleeps["through HAProxy"].append(via_haproxy.api_sleeps)
            sleeps["direct"].append(to_processes.api_sleeps)
            if with_wrk:
                figures["wrk HAProxy"].append(wrk_spread([lb], key, args.clients, args.duration))
                figures["wrk direct"].append(
                    wrk_spread(direct_ports, key, args.clients, args.duration)
                )
                figures["wrk 1 process"].append(
                    wrk_spread(direct_ports[:1], key, args.clients // API_REPLICAS, args.duration)
                )
            print(
                f"run {run}: "
                + ", ".join(f"{name} {rates[-1]:,.0f}" for name, rates in figures.items() if rates)
                + " req/s; CPU per answer "
                + ", ".join(f"{name} {costs[-1]:,.0f}" for name, costs in cpu.items())
                + " µs; API sleeps per answer "
                + ", ".join(f"{name} {counts[-1]:.2f}" for name, counts in sleeps.items())
                + f"; HAProxy opened {opened:,} server connections and reused one"
                f" {reused:,} times; load average {load_average()}",
                flush=True,
            )
    finally:
        cluster.down()
    for name, rates in figures.items():
        if rates:
            print(f"{name:16} {describe(rates)}")
    for balanced, direct in (("HAProxy", "direct"), ("wrk HAProxy", "wrk direct")):
        if figures[balanced]:
            ratio = statistics.median(figures[balanced]) / statistics.median(figures[direct])
            print(f"{balanced} / {direct}, ratio of medians {ratio:.0%} (target >= 80%)")
    if not with_wrk:
        print("wrk not installed (make bench-tools): no cross-check")
    for name, costs in cpu.items():
        print(f"CPU per answer, {name:21} {describe(costs, 'µs')}")
    for name, counts in sleeps.items():
        print(
            f"API sleeps per answer, {name:15} min {min(counts):.2f}"
            f"  median {statistics.median(counts):.2f}  max {max(counts):.2f}"
        )
    middle = {name: statistics.median(costs) for name, costs in cpu.items()}
    ceiling = middle["API, direct"] / (middle["HAProxy"] + middle["API, through HAProxy"])
    print(
        f"on one machine's shared cores, HAProxy's CPU caps the ratio at {ceiling:.0%} "
        "(API CPU direct / (HAProxy + API CPU through it), medians)"
    )


def pid_of(pid: int | None) -> int:
    """A server's pid, which the topology just started."""
    if pid is None:
        raise SystemExit("a server of the topology is not running")
    return pid


if __name__ == "__main__":
    main()
