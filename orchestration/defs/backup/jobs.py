"""The nightly full backup of the warehouse."""

import dagster as dg

from orchestration.defs.backup.resources import BackupResource


@dg.op
def full_backup(context: dg.OpExecutionContext, backup: BackupResource) -> None:
    """Take a full pgBackRest backup and report its size and duration.

    WAL is archived continuously; this full backup bounds how much WAL a restore must replay.
    """
    record = backup.full_backup()
    context.log.info(
        f"backup {record.label}: {record.size_bytes / 1e6:.1f} MB in {record.seconds:.0f} s"
    )
    context.add_output_metadata(
        {
            "label": record.label,
            "size_mb": round(record.size_bytes / 1e6, 1),
            "repository_mb": round(record.repository_bytes / 1e6, 1),
            "seconds": round(record.seconds, 1),
        }
    )


@dg.job(description="A full pgBackRest backup of the warehouse (WAL is archived continuously).")
def nightly_backup_job() -> None:
    """Run `full_backup`."""
    full_backup()
