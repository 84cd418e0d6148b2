"""`wedsync deploy check`: whether the code location may be deployed now (not on a wedding day)."""

from __future__ import annotations

from typing import Annotated

import typer

from wedsync.wedding_day import WeddingDayRefused, refuse_on_wedding_day, uk_today

deploy_app = typer.Typer(
    help="Deployment guard rails (run `wedsync deploy check` before rolling out the code "
    "location; it exits 1 on a Saturday unless --force).",
    no_args_is_help=True,
)


@deploy_app.command("check")
def check(
    force: Annotated[
        bool, typer.Option(help="Deploy on a Saturday anyway (an urgent fix).")
    ] = False,
) -> None:
    """Exit 0 when a deployment may go ahead now; 1, with the reason, on a wedding day."""
    try:
        refuse_on_wedding_day(
            "deploying the code location",
            "a deployment restarts the Dagster code server and may break the runs that feed them",
            uk_today(),
            force=force,
            how_to_force="Deploy on a weekday, or pass --force for an urgent fix.",
        )
    except WeddingDayRefused as refusal:
        typer.echo(f"error: {refusal}", err=True)
        raise typer.Exit(1) from refusal
    typer.echo("deployment allowed")
