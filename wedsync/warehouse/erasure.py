"""GDPR erasure of a couple, done by the warehouse itself so that it sticks.

`app.erase_couple(couple_id, actor)` is a `SECURITY DEFINER` function owned by the warehouse
owner: the API role calls it and holds no `UPDATE` on raw tables and no `SELECT` on
`raw.couples`. In one transaction it

- tombstones `raw.couples` (names and email nulled) and replaces the couple id by one random
  pseudonym in every raw table, in the JSON of `raw.events.properties` and in the dead letters'
  payloads (where the names and email are blanked too), and in the quarantine;
- patches every built table outside `raw` that has a `couple_id` column (the marts, features,
  predictions), so nothing waits for the next dbt build;
- bumps every dataset version, so every cached answer (the wedding-day alerts name couples) is
  unreachable at once;
- queues the couple in `privacy.landing_erasures`, which the COPY loader applies to every
  export it loads (a backfill of an old export date cannot bring the couple back) until the
  landing files themselves are rewritten (`wedsync.landing_erasure`), when the entry goes;
- appends the erasure and its row counts, never the pseudonym, to `app.audit_log`.

The pseudonym is random and, once the landing files are rewritten, written nowhere else: the
erasure cannot be undone. `privacy` is a schema the API role cannot even see.
"""

from __future__ import annotations

import datetime as dt

import psycopg
from psycopg import sql

from wedsync.warehouse.dataset_versions import ANALYTICS_DATASET

#: The export entities that name a couple (`RawTable`s with a `couple_id` column).
COUPLE_EXPORTS = ("couples", "enquiries", "bookings", "reviews")
#: The personal fields of `raw.couples`, nulled by erasure.
PERSONAL_FIELDS = ("partner_one_name", "partner_two_name", "email")
#: What a scrubbed name or email reads as in JSON and dead-letter payloads.
ERASED_TEXT = "[erased]"

ERASURE_DDL = f"""
create schema if not exists privacy;
revoke all on schema privacy from public;

-- Couples erased from the warehouse whose landing files may still name them (id -> pseudonym).
create table if not exists privacy.landing_erasures (
    couple_id    text        primary key,
    pseudonym    text        not null,
    requested_at timestamptz not null default now()
);

-- `body` with the couple id replaced by its pseudonym and each personal string blanked.
create or replace function privacy.scrub_text(body text, couple text, alias text, needles text[])
returns text language plpgsql immutable set search_path = pg_catalog as $fn$
declare
    needle text;
begin
    body := replace(body, couple, alias);
    foreach needle in array needles loop
        body := replace(body, needle, '{ERASED_TEXT}');
    end loop;
    return body;
end $fn$;

-- The same for JSON; a replacement that breaks the document leaves only a marker behind.
create or replace function privacy.scrub_json(body jsonb, couple text, alias text, needles text[])
returns jsonb language plpgsql immutable set search_path = pg_catalog as $fn$
begin
    return privacy.scrub_text(body::text, couple, alias, needles)::jsonb;
exception when invalid_text_representation then
    return jsonb_build_object('erased', true);
end $fn$;

create or replace function app.erase_couple(target text, actor text) returns jsonb
language plpgsql security definer set search_path = pg_catalog, pg_temp as $fn$
declare
    alias text := 'cpl_erased_' || left(replace(gen_random_uuid()::text, '-', ''), 16);
    needles text[];
    counts jsonb := '{{}}';
    changed bigint;
    entity text;
    built record;
begin
    -- The couple's names and email, as written and as JSON-escaped, longest first (so that a
    -- name inside an email is not blanked before the email).
    select coalesce(array_agg(needle order by length(needle) desc), '{{}}') into needles
    from (
        select distinct unnest(array[value, substr(to_jsonb(value)::text, 2,
                                                   length(to_jsonb(value)::text) - 2)]) as needle
        from raw.couples,
             unnest(array[partner_one_name, partner_two_name, email]) as value
        where couple_id = target and length(btrim(value)) >= 2
    ) as personal;

    update raw.couples
    set couple_id = alias, partner_one_name = null, partner_two_name = null, email = null
    where couple_id = target;
    get diagnostics changed = row_count;
    counts := counts || jsonb_build_object('raw.couples', changed);
    foreach entity in array array['enquiries', 'bookings', 'reviews'] loop
        execute format('update raw.%I set couple_id = $1 where couple_id = $2', entity)
            using alias, target;
        get diagnostics changed = row_count;
        counts := counts || jsonb_build_object('raw.' || entity, changed);
    end loop;

    -- Rows are found by the couple's id or email (distinctive); names are blanked only in them,
    -- so a short first name does not mangle other couples' data.
    update raw.events
    set couple_id = case when couple_id = target then alias else couple_id end,
        properties = privacy.scrub_json(properties, target, alias, needles)
    where couple_id = target or strpos(properties::text, target) > 0
       or exists (select 1 from unnest(needles) as needle
                  where strpos(needle, '@') > 0 and strpos(properties::text, needle) > 0);
    get diagnostics changed = row_count;
    counts := counts || jsonb_build_object('raw.events', changed);

    update raw.events_rejected
    set payload = privacy.scrub_text(payload, target, alias, needles),
        reason = privacy.scrub_text(reason, target, alias, needles)
    where strpos(payload || reason, target) > 0
       or exists (select 1 from unnest(needles) as needle
                  where strpos(needle, '@') > 0 and strpos(payload || reason, needle) > 0);
    get diagnostics changed = row_count;
    if changed > 0 then
        counts := counts || jsonb_build_object('raw.events_rejected', changed);
    end if;

    update quality.quarantine
    set row_key = replace(row_key, target, alias),
        value = case when table_name = 'couples' then null else replace(value, target, alias) end
    where row_key = target or value = target;
    get diagnostics changed = row_count;
    if changed > 0 then
        counts := counts || jsonb_build_object('quality.quarantine', changed);
    end if;

    -- Marts, features and predictions: every built table that names couples, patched now.
    for built in
        select c.oid::regclass as relation, n.nspname || '.' || c.relname as name
        from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        join pg_attribute a on a.attrelid = c.oid and a.attname = 'couple_id' and not a.attisdropped
        where c.relkind in ('r', 'p') and not c.relispartition
          and n.nspname not in ('raw', 'app', 'quality', 'privacy', 'pg_catalog',
                                'information_schema')
          and n.nspname not like 'pg\\_%'
    loop
        execute format('update %s set couple_id = $1 where couple_id = $2', built.relation)
            using alias, target;
        get diagnostics changed = row_count;
        if changed > 0 then
            counts := counts || jsonb_build_object(built.name, changed);
        end if;
    end loop;

    if not exists (select 1 from jsonb_each(counts) where value::bigint > 0) then
        raise exception 'couple % not found', target using errcode = 'no_data_found';
    end if;

    -- Every cached answer was computed before the erasure: make them all unreachable (the
    -- analytics answers too when no build has versioned them yet).
    insert into app.dataset_versions (dataset, version) values ('{ANALYTICS_DATASET}', 0)
    on conflict (dataset) do nothing;
    update app.dataset_versions set version = version + 1, updated_at = now();
    insert into privacy.landing_erasures (couple_id, pseudonym) values (target, alias)
    on conflict (couple_id) do update set pseudonym = excluded.pseudonym;
    insert into app.audit_log (actor, action, subject, details)
    values (actor, 'couple.erased', target, jsonb_build_object('rows', counts));
    return counts;
end $fn$;
revoke all on function app.erase_couple(text, text) from public;
"""

_ANY_QUEUED = "select 1 from privacy.landing_erasures limit 1"
_REAPPLY = sql.SQL(
    "update raw.{table} as landed set couple_id = erased.pseudonym{personal} "
    "from privacy.landing_erasures as erased "
    "where landed._export_date = %s and landed.couple_id = erased.couple_id"
)


def apply_erasure(conn: psycopg.Connection) -> None:
    """Create the erasure function, its helpers and the landing-erasure queue (idempotent)."""
    conn.execute(ERASURE_DDL)


def reapply_erasures(conn: psycopg.Connection, table: str, export_date: dt.date) -> int:
    """Erase again, in rows just loaded from an export, every couple already erased.

    Called by the COPY loader in its transaction: rows of `table` for `export_date` that name a
    couple queued in `privacy.landing_erasures` get its pseudonym (and, in `raw.couples`, no
    personal fields). Returns how many rows it changed.
    """
    # Almost always nothing is queued: one indexed probe instead of an update join per file.
    if table not in COUPLE_EXPORTS or conn.execute(_ANY_QUEUED).fetchone() is None:
        return 0
    personal = (
        sql.SQL("").join(sql.SQL(", {} = null").format(sql.Identifier(f)) for f in PERSONAL_FIELDS)
        if table == "couples"
        else sql.SQL("")
    )
    statement = _REAPPLY.format(table=sql.Identifier(table), personal=personal)
    return conn.execute(statement, (export_date,)).rowcount
