"""`wedsync cluster`: the scaled-out topology on one machine (what `make cluster` runs)."""

from __future__ import annotations

import typer

from wedsync.cluster import Cluster, ClusterError, ClusterPorts
from wedsync.cluster.postgres_ha import POSTGRES_VARIABLE, replicated_warehouse

cluster_app = typer.Typer(help="The scaled-out topology behind HAProxy.", no_args_is_help=True)


@cluster_app.command("up")
def up() -> None:
    """Start 4 API processes and 2 MLflow servers behind HAProxy (WEDSYNC_CLUSTER_PORT).

    With WEDSYNC_CLUSTER_POSTGRES=patroni the warehouse is the replicated one (Patroni + etcd,
    two nodes, HAProxy, pgbouncer), started first, with a copy of the served data (marts and
    predictions) of the warehouse `make build` built; API keys are its own (`wedsync keys
    create` with WEDSYNC_DATABASE_URL set to the pgbouncer URL printed below).
    """
    cluster = Cluster(postgres_ha=replicated_warehouse(ClusterPorts.from_env()))
    try:
        cluster.up()
    except ClusterError as error:
        typer.echo(f"cluster did not start: {error}", err=True)
        raise typer.Exit(1) from error
    ports = cluster.ports
    typer.echo(
        f"API (4 processes)  http://127.0.0.1:{ports.api_lb}/\n"
        f"MLflow (2 servers) http://127.0.0.1:{ports.mlflow_lb}/\n"
        f"HAProxy stats      http://127.0.0.1:{ports.stats}/\n"
        + (f"Redis Cluster      {cluster.redis_url}\n" if cluster.redis_nodes else "")
        + f"logs and pids      {cluster.supervisor.run_dir}\n"
        "Stop with `make cluster-down`."
    )
    if cluster.dagster is not None:
        typer.echo(
            f"Dagster UI (2 webservers, 1 daemon, 2 Celery workers) http://127.0.0.1:{ports.dagster_ui}/"
        )
    if cluster.postgres_ha is not None:
        warehouse, ha = cluster.settings.database_name, cluster.postgres_ha
        typer.echo(
            f"warehouse ({POSTGRES_VARIABLE}=patroni, 2 nodes in synchronous replication):\n"
            f"  pgbouncer -> primary  {cluster.settings.database_url}\n"
            f"  primary (HAProxy)     {ha.url(warehouse, ha.ports.primary)}\n"
            f"  replica (HAProxy)     {ha.url(warehouse, ha.ports.replica)}\n"
            f"  HAProxy stats         http://127.0.0.1:{ha.ports.stats}/\n"
            f"  Patroni roles         {ha.roles()}\n"
            + (
                f"  served data copied from {cluster.seeded_from}"
                if cluster.seeded_from
                else f"  no copy of served data: it has its own, or {cluster.source_database_url}"
                " has none (run `make build` first)"
            )
        )


@cluster_app.command("down")
def down() -> None:
    """Stop every server `wedsync cluster up` started (by their recorded process ids)."""
    stopped = Cluster(postgres_ha=replicated_warehouse(ClusterPorts.from_env(), True)).down()
    typer.echo(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")


@cluster_app.command("status")
def status() -> None:
    """List the topology's running servers and their process ids."""
    cluster = Cluster(postgres_ha=replicated_warehouse(ClusterPorts.from_env(), True))
    for name, pid in cluster.status().items():
        typer.echo(f"{name:10} pid {pid}")
