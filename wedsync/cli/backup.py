"""`wedsync backup`: take, list and restore pgBackRest backups of the warehouse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from wedsync.backup import (
    BackupConfig,
    BackupError,
    backup_now,
    list_backups,
    refuse_embedded,
    restore,
)
from wedsync.settings import get_settings

backup_app = typer.Typer(
    help="Backups with pgBackRest (WAL archiving, full backups, point-in-time restore). "
    "Configuration: WEDSYNC_PGBACKREST_CONFIG, WEDSYNC_PGBACKREST_STANZA.",
    no_args_is_help=True,
)


def _config() -> BackupConfig:
    """The configuration, refused plainly when the warehouse is the embedded fallback."""
    try:
        refuse_embedded(get_settings().database_url)
    except BackupError as error:
        raise typer.Exit(_fail(error)) from error
    return BackupConfig.from_env()


def _fail(error: BackupError) -> int:
    typer.echo(f"error: {error}", err=True)
    return 1


@backup_app.command("now")
def now(
    kind: Annotated[str, typer.Option("--type", help="full, diff or incr.")] = "full",
) -> None:
    """Take a backup now and print its label, size and duration."""
    if kind not in ("full", "diff", "incr"):
        raise typer.BadParameter(f"--type must be full, diff or incr, not {kind!r}")
    config = _config()
    try:
        record = backup_now(config, get_settings().database_url, kind)
    except BackupError as error:
        raise typer.Exit(_fail(error)) from error
    typer.echo(
        f"{record.label}  {record.kind}  {record.size_bytes / 1e6:.1f} MB "
        f"({record.repository_bytes / 1e6:.1f} MB stored) in {record.seconds:.0f} s"
    )


@backup_app.command("list")
def list_command() -> None:
    """List the backups in the repository, oldest first."""
    config = _config()
    try:
        records = list_backups(config)
    except BackupError as error:
        raise typer.Exit(_fail(error)) from error
    for record in records:
        typer.echo(
            f"{record.label}  {record.kind:<4}  finished {record.finished_at:%Y-%m-%d %H:%M:%S}Z  "
            f"{record.size_bytes / 1e6:.1f} MB  {record.seconds:.0f} s"
        )


@backup_app.command("restore")
def restore_command(
    to: Annotated[
        dt.datetime,
        typer.Option(
            "--to",
            help="The moment to restore to, with its time zone (2026-06-13T14:05:00+00:00).",
            formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"],
        ),
    ],
    target_dir: Annotated[
        Path, typer.Option(help="A new (or empty) data directory to restore into.")
    ],
) -> None:
    """Restore the warehouse as it was at --to into a new data directory (see the README)."""
    config = _config()
    try:
        restore(config, to, target_dir)
    except BackupError as error:
        raise typer.Exit(_fail(error)) from error
    typer.echo(
        f"restored to {to.isoformat()} in {target_dir}: start it on a spare port, check it, "
        "then switch (README 'Backups and recovery')"
    )
