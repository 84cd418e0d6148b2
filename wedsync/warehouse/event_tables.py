"""System-of-record tables for live events: `raw.events` (monthly partitions), ids, dead letters.

`raw.events` is partitioned by the month of `occurred_at` so that old months can be dropped
whole. A unique constraint on a partitioned table must include the partition key, so the
idempotency key lives in its own table, `raw.event_ids`: an event is stored only when its id was
new, in the same transaction, so a replay can never store it twice. Ids are scoped to their
supplier (the key is supplier + event id): one supplier cannot claim another's ids, nor learn
from the duplicates count whether one exists.

The months are pg_partman's where the warehouse has the extension (`wedsync.warehouse.partman`),
and created by hand where it has not (the embedded Postgres); either way every month is made
by one function, `app.create_event_partition`, so the ingest path and the schema never choose.
"""

from __future__ import annotations

import datetime as dt

import psycopg

from wedsync.warehouse.partman import adopt_partman

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

# The one place a month of raw.events is made, as the warehouse owner (the API owns nothing and
# calls it too). Under pg_partman the child is pg_partman's (its name, its template); rows an
# insert left in the default partition for a month must move out before that month's child can
# be attached, so they are moved first (pg_partman's `partition_data_time`, all of them: each
# call moves the oldest month). Without pg_partman there is no default partition: each month a
# batch touches gets its table before the batch is stored, as before.
_CREATE_EVENT_PARTITION = """
create or replace function app.create_event_partition(month date) returns void
language plpgsql security definer set search_path = pg_catalog, pg_temp set timezone = 'UTC'
as $fn$
declare
    first_day date := date_trunc('month', month)::date;
    managed boolean := false;
begin
    if to_regclass('partman.part_config') is not null then
        execute 'select exists (select 1 from partman.part_config where parent_table = $1)'
            into managed using 'raw.events';
    end if;
    if managed then
        perform app.move_default_events();
        perform partman.create_partition_time('raw.events', array[first_day::timestamptz]);
    else
        execute format(
            'create table if not exists raw.%I partition of raw.events '
            'for values from (%L) to (%L)',
            'events_p' || to_char(first_day, 'YYYYMM'),
            first_day::timestamp at time zone 'UTC',
            (first_day + interval '1 month')::timestamp at time zone 'UTC');
    end if;
end $fn$;
revoke all on function app.create_event_partition(date) from public;
"""


def month_start(moment: dt.date | dt.datetime) -> dt.date:
    """The first day of the month `moment` falls in (UTC for datetimes)."""
    if isinstance(moment, dt.datetime):
        moment = moment.astimezone(dt.UTC).date()
    return moment.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after `month`."""
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month start from `first`'s month to `last`'s month, inclusive."""
    month, months = month_start(first), []
    while month <= month_start(last):
        months.append(month)
        month = next_month(month)
    return months


def apply_event_tables(conn: psycopg.Connection, today: dt.date | None = None) -> None:
    """Create the event tables and the partitions of this month and the next three.

    pg_partman takes the months over where it can (`adopt_partman`, which says which it is);
    the months are then made by `app.create_event_partition` whichever manages them.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    conn.execute(EVENT_TABLES_DDL)
    conn.execute(_TENANT_SCOPED_IDS)
    adopt_partman(conn, premake=MONTHS_AHEAD)
    conn.execute(_CREATE_EVENT_PARTITION)
    for month in months_between(today, today + dt.timedelta(days=31 * MONTHS_AHEAD)):
        create_event_partition(conn, month)


def create_event_partition(conn: psycopg.Connection, month: dt.date) -> None:
    """Make sure `month` has its partition of `raw.events` (pg_partman's or hand-written)."""
    conn.execute("select app.create_event_partition(%s)", (month,))
