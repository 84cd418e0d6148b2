"""The pgBackRest repository of the warehouse, as a Dagster resource."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import dagster as dg

from wedsync.backup import DEFAULT_CONFIG, DEFAULT_STANZA, BackupConfig, BackupRecord, backup_now
from wedsync.settings import get_settings


class BackupResource(dg.ConfigurableResource):
    """Takes pgBackRest backups of the warehouse and records them (for `/readyz`)."""

    config_path: str
    stanza: str
    database_url: str

    def full_backup(self) -> BackupRecord:
        """A full backup now; pgBackRest expires what the retention drops."""
        return backup_now(BackupConfig(Path(self.config_path), self.stanza), self.database_url)


@cache
def backup_resource() -> BackupResource:
    """Configured from `WEDSYNC_PGBACKREST_CONFIG` / `_STANZA` and the warehouse settings."""
    return BackupResource(
        config_path=dg.EnvVar("WEDSYNC_PGBACKREST_CONFIG").get_value(str(DEFAULT_CONFIG))
        or str(DEFAULT_CONFIG),
        stanza=dg.EnvVar("WEDSYNC_PGBACKREST_STANZA").get_value(DEFAULT_STANZA) or DEFAULT_STANZA,
        database_url=get_settings().database_url,
    )
