"""System-of-record tables for live events: `raw.events` (monthly partitions), ids, dead letters.

`raw.events` is partitioned by the month of `occurred_at` so that old months can be detached and
archived whole. A unique constraint on a partitioned table must include the partition key, so the
idempotency key lives in its own table, `raw.event_ids`: an event is stored only when its id was
new, in the same transaction, so a replay can never store it twice. Ids are scoped to their
supplier (the key is supplier + event id): one supplier cannot claim another's ids, nor learn
from the duplicates count whether one exists.
"""

from __future__ import annotations

import datetime as dt

import psycopg
from psycopg import sql

EVENT_TABLES_DDL = """
create table if not exists raw.events (
    event_id     uuid        not null,
    event_type   text        not null,
    occurred_at  timestamptz not null,
    supplier_id  text        not null,
    couple_id    text,
    wedding_date date,
    properties   jsonb       not null,
    received_at  timestamptz not null default now()
) partition by range (occurred_at);
create index if not exists events_supplier_time on raw.events (supplier_id, occurred_at);
create index if not exists events_received_at on raw.events (received_at);

create table if not exists raw.event_ids (
    supplier_id text        not null,
    event_id    uuid        not null,
    received_at timestamptz not null default now(),
    primary key (supplier_id, event_id)
);

create table if not exists raw.events_rejected (
    id          bigserial   primary key,
    received_at timestamptz not null default now(),
    batch_index integer     not null,
    event_id    text,
    reason      text        not null,
    payload     text        not null,
    api_key_id  text
);
"""

# Ids were once global across suppliers (one supplier could claim another's ids first, and the
# duplicates count told it whether an id existed). An older warehouse keeps its ids, each under
# the supplier whose event it was; an id whose event is gone has no owner left and is dropped.
_TENANT_SCOPED_IDS = """
do $$ begin
    if not exists (select 1 from pg_attribute
                   where attrelid = 'raw.event_ids'::regclass and attname = 'supplier_id'
                     and not attisdropped) then
        alter table raw.event_ids add column supplier_id text;
        update raw.event_ids as claimed set supplier_id = stored.supplier_id
        from raw.events as stored where stored.event_id = claimed.event_id;
        delete from raw.event_ids where supplier_id is null;
        alter table raw.event_ids alter column supplier_id set not null,
            drop constraint event_ids_pkey, add primary key (supplier_id, event_id);
    end if;
end $$;
"""

MONTHS_AHEAD = 3


def month_start(moment: dt.date | dt.datetime) -> dt.date:
    """The first day of the month `moment` falls in (UTC for datetimes)."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(dt.UTC).date()
    return moment.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after `month`."""
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partition_ddl(month: dt.date) -> sql.Composed:
    """`create table if not exists` for the partition of `raw.events` holding `month`."""
    return sql.SQL(
        "create table if not exists raw.{name} partition of raw.events "
        "for values from ({start}) to ({end})"
    ).format(
        name=sql.Identifier(f"events_p{month:%Y%m}"),
        start=sql.Literal(dt.datetime.combine(month, dt.time(), dt.UTC)),
        end=sql.Literal(dt.datetime.combine(next_month(month), dt.time(), dt.UTC)),
    )


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month start from `first`'s month to `last`'s month, inclusive."""
    month, months = month_start(first), []
    while month <= month_start(last):
        months.append(month)
        month = next_month(month)
    return months


def apply_event_tables(conn: psycopg.Connection, today: dt.date | None = None) -> None:
    """Create the event tables and the partitions of this month and the next three."""
    today = today or dt.datetime.now(dt.UTC).date()
    conn.execute(EVENT_TABLES_DDL)
    conn.execute(_TENANT_SCOPED_IDS)
    for month in months_between(today, today + dt.timedelta(days=31 * MONTHS_AHEAD)):
        conn.execute(partition_ddl(month))
