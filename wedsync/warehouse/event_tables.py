"""System-of-record tables for live events: `raw.events` (monthly partitions), ids, dead letters.

`raw.events` is partitioned by the month of `occurred_at` so that old months can be detached and
archived whole. A unique constraint on a partitioned table must include the partition key, so the
idempotency key `event_id` lives in its own table, `raw.event_ids`: an event is stored only when its
id was new, in the same transaction, so a replay can never store it twice.
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
    event_id    uuid        primary key,
    received_at timestamptz not null default now()
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
    for month in months_between(today, today + dt.timedelta(days=31 * MONTHS_AHEAD)):
        conn.execute(partition_ddl(month))
