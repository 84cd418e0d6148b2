"""`wedsync services`: make sure Postgres and Redis answer (embedded fallback)."""

from __future__ import annotations

import typer

from wedsync.services import ensure_services, stop_embedded_services

services_app = typer.Typer(
    help="Start or stop the services the platform needs.", no_args_is_help=True
)


@services_app.command("up")
def up() -> None:
    """Use the configured Postgres and Redis when they answer; otherwise start embedded ones."""
    for status in ensure_services():
        origin = "embedded, started under .local/" if status.embedded else "configured"
        typer.echo(f"{status.name:<9} {status.url}  ({origin})")


@services_app.command("down")
def down() -> None:
    """Stop the embedded Postgres and Redis, if this checkout started them."""
    stopped = stop_embedded_services()
    typer.echo(f"stopped: {', '.join(stopped)}" if stopped else "no embedded service was running")
