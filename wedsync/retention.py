"""The retention policy: live events and landing files are kept for a configured age, then go.

Personal data is kept no longer than it is needed. `raw.events` is partitioned by month, so
whole months older than the raw-event age are dropped (a month goes once its last day is past
the age) - by pg_partman's maintenance where pg_partman manages the months (its retention set
to the age, dropping rather than detaching), by our own SQL where it does not
(`wedsync.warehouse.partman`); the ids and dead letters received before that age go with them.
Export folders older than the landing age are deleted from the landing dir (the rows they loaded
stay in `raw.*` until the platform stops exporting them). Each run appends what it removed to
the audit log.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from wedsync.api_keys import record_audit
from wedsync.exports import export_dates, export_dir
from wedsync.warehouse.event_tables import next_month
from wedsync.warehouse.partman import (
    HAND_WRITTEN_PARTITIONS,
    PARTITION_LOCK_ID,
    move_default_events,
    partman_manages_events,
    run_partman_retention,
)

_EVENT_PARTITIONS = """
select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
where i.inhparent = 'raw.events'::regclass order by c.relname
"""
_EXPIRED_IDS = "delete from raw.event_ids where received_at < %s"
_EXPIRED_DEAD_LETTERS = "delete from raw.events_rejected where received_at < %s"


@dataclass(frozen=True)
class EventRetention:
    """What the raw-event retention removed."""

    cutoff: dt.date
    partitions: list[str]
    event_ids: int
    dead_letters: int
    #: `pg_partman` or `hand-written`: which dropped the months.
    managed_by: str
    #: Rows moved out of pg_partman's default partition into their months first.
    default_rows_moved: int


def _partition_month(name: str) -> dt.date:
    return dt.date(int(name[-6:-2]), int(name[-2:]), 1)


def _drop_hand_written_months(conn: psycopg.Connection, cutoff: dt.date) -> None:
    """Drop the hand-written months wholly before `cutoff` (no pg_partman here)."""
    names = [row[0] for row in conn.execute(HAND_WRITTEN_PARTITIONS).fetchall()]
    for name in names:
        if next_month(_partition_month(name)) <= cutoff:
            conn.execute(sql.SQL("drop table raw.{}").format(sql.Identifier(name)))


def expire_raw_events(
    conn: psycopg.Connection, cutoff: dt.date, actor: str, today: dt.date | None = None
) -> EventRetention:
    """Drop the months of `raw.events` wholly before `cutoff`, and older ids and dead letters.

    Under pg_partman its retention is the age from `today` back to `cutoff`, in days: it drops
    a month whose end is more than that age before now, which, month ends being midnights, is
    a month that ended by the cutoff - the months the hand-written rule drops.
    """
    moment = dt.datetime.combine(cutoff, dt.time(), dt.UTC)
    today = today or dt.datetime.now(dt.UTC).date()
    with conn.transaction():
        # Not while the API makes a month: pg_partman's maintenance may make the same one.
        conn.execute("select pg_advisory_xact_lock(%s)", (PARTITION_LOCK_ID,))
        managed = partman_manages_events(conn)
        # Rows in pg_partman's default partition go to their months first, to age out alike.
        moved = move_default_events(conn) if managed else 0
        before = {row[0] for row in conn.execute(_EVENT_PARTITIONS).fetchall()}
        if managed:
            run_partman_retention(conn, (today - cutoff).days)
        else:
            _drop_hand_written_months(conn, cutoff)
        managed_by = "pg_partman" if managed else "hand-written"
        after = {row[0] for row in conn.execute(_EVENT_PARTITIONS).fetchall()}
        retention = EventRetention(
            cutoff=cutoff,
            partitions=sorted(before - after),
            event_ids=conn.execute(_EXPIRED_IDS, (moment,)).rowcount,
            dead_letters=conn.execute(_EXPIRED_DEAD_LETTERS, (moment,)).rowcount,
            managed_by=managed_by,
            default_rows_moved=moved,
        )
        record_audit(
            conn,
            actor,
            "retention.raw_events",
            "raw.events",
            {
                "cutoff": cutoff.isoformat(),
                "partitions_dropped": retention.partitions,
                "event_ids_deleted": retention.event_ids,
                "dead_letters_deleted": retention.dead_letters,
                "managed_by": managed_by,
                "default_rows_moved": moved,
            },
        )
    return retention


def expire_landing_exports(
    conn: psycopg.Connection, landing_dir: Path, cutoff: dt.date, actor: str
) -> list[dt.date]:
    """Delete the export folders of dates before `cutoff`; the dates deleted, oldest first.

    The audit row is written in the same transaction, after the folders are gone: a failure
    midway leaves no record of deletions that did not all happen (a re-run finishes them).
    """
    expired = [export_date for export_date in export_dates(landing_dir) if export_date < cutoff]
    with conn.transaction():
        for export_date in expired:
            shutil.rmtree(export_dir(landing_dir, export_date))
        record_audit(
            conn,
            actor,
            "retention.landing_exports",
            str(landing_dir / "exports"),
            {
                "cutoff": cutoff.isoformat(),
                "export_dates_deleted": len(expired),
                "oldest_deleted": expired[0].isoformat() if expired else None,
                "newest_deleted": expired[-1].isoformat() if expired else None,
            },
        )
    return expired
