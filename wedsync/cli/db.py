"""`wedsync db`: create the warehouse and its system-of-record schema."""

from __future__ import annotations

import shlex

import typer

from wedsync.settings import get_settings
from wedsync.warehouse import apply_schema, connect, ensure_database

db_app = typer.Typer(help="Warehouse database commands.", no_args_is_help=True)


@db_app.command("init")
def init() -> None:
    """Create the warehouse database (if missing) and every raw/quality/app schema table."""
    settings = get_settings()
    created = ensure_database()
    with connect() as conn:
        apply_schema(conn)
    typer.echo(
        f"{'created' if created else 'found'} database {settings.database_name}; schema applied"
    )
    dagster_database = settings.dagster_storage_database
    if ensure_database(settings.database_url_for(dagster_database)):
        typer.echo(f"created database {dagster_database} for Dagster's run and event storage")


@db_app.command("env")
def env() -> None:
    """Print `export` lines for dbt's profile and Dagster's storage (`DAGSTER_PG_URL`).

    Use as `eval "$(wedsync db env)"` before running `dbt` or `dagster` by hand.
    """
    settings = get_settings()
    variables = {**settings.dbt_env(), "DAGSTER_PG_URL": settings.dagster_storage_url()}
    for name, value in variables.items():
        typer.echo(f"export {name}={shlex.quote(value)}")
