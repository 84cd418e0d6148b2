"""`wedsync cluster`: the scaled-out topology on one machine (what `make cluster` runs)."""

from __future__ import annotations

import typer

from wedsync.cluster import Cluster, ClusterError

cluster_app = typer.Typer(help="The scaled-out topology behind HAProxy.", no_args_is_help=True)


@cluster_app.command("up")
def up() -> None:
    """Start 4 API processes and 2 MLflow servers behind HAProxy (WEDSYNC_CLUSTER_PORT)."""
    cluster = Cluster()
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


@cluster_app.command("down")
def down() -> None:
    """Stop every server `wedsync cluster up` started (by their recorded process ids)."""
    stopped = Cluster().down()
    typer.echo(f"stopped {', '.join(stopped)}" if stopped else "nothing was running")


@cluster_app.command("status")
def status() -> None:
    """List the topology's running servers and their process ids."""
    for name, pid in Cluster().status().items():
        typer.echo(f"{name:10} pid {pid}")
