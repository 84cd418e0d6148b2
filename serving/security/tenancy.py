"""Tenant isolation in the database: the API's role, row-level security, per-request scope.

The API connects as `wedsync_api`, which owns nothing and has no BYPASSRLS. Every table with a
`supplier_id` column in the served schemas gets the policy `supplier_isolation`: a row is
visible only when the transaction's `wedsync.supplier_id` setting names its supplier, or its
`wedsync.scope` is `platform`. Both are set with `set_config(..., true)` inside the request's
transaction, so they vanish with it and a pooled connection can never carry a tenant over.
With neither set, a query sees nothing: a forgotten scope fails closed.

`app.apply_row_level_security()` is the one place that knows the policy. The API calls it at
start-up and dbt calls it after each build (`dbt_project/macros/row_level_security.sql`),
because a rebuilt mart is a new table without policies or grants.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg

from serving.core.config import API_ROLE
from wedsync.api_keys import Principal

PLATFORM_SCOPE = "platform"

TENANCY_DDL = f"""
-- Roles are shared by every database of the server, and concurrent `alter role`s fail, so
-- the role is only created or corrected when it has to be.
do $$ begin
    if not exists (select 1 from pg_roles where rolname = '{API_ROLE}') then
        create role {API_ROLE} login nosuperuser nocreatedb nocreaterole nobypassrls;
    elsif exists (select 1 from pg_roles
                  where rolname = '{API_ROLE}' and (rolsuper or rolbypassrls)) then
        alter role {API_ROLE} nosuperuser nobypassrls;
    end if;
exception when duplicate_object or unique_violation then null;
end $$;

create or replace procedure app.apply_row_level_security()
language plpgsql as $proc$
declare
    target record;
    writable text[][] := array[
        ['app.api_keys', 'update'], ['app.audit_log', 'insert'],
        ['app.refresh_tokens', 'insert, update'], ['app.api_usage', 'insert, update']];
    i integer;
begin
    if not exists (select 1 from pg_roles where rolname = '{API_ROLE}') then
        return;
    end if;
    -- dbt calls this from every served model's post-hook, on several threads at once, and two
    -- concurrent grants on one schema fail ("tuple concurrently updated"): callers take turns
    -- (until their transaction ends), and grant only what is missing, so that an unchanged
    -- warehouse writes no catalog row at all.
    perform pg_advisory_xact_lock(hashtext('app.apply_row_level_security'));
    for target in
        select nspname from pg_namespace
        where nspname in ('raw', 'app', 'quality', 'marts', 'features', 'predictions', 'served')
          and not has_schema_privilege('{API_ROLE}', oid, 'usage')
    loop
        execute format('grant usage on schema %I to {API_ROLE}', target.nspname);
    end loop;
    for target in
        select format('%I.%I', n.nspname, c.relname) as relation
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'S'
          and n.nspname in ('raw', 'app', 'quality', 'marts', 'features', 'predictions', 'served')
          -- (a CASE, because the planner may test the privilege before the kind)
          and case when c.relkind = 'S'
                   then not has_sequence_privilege('{API_ROLE}', c.oid, 'usage') end
    loop
        execute format('grant usage on sequence %s to {API_ROLE}', target.relation);
    end loop;
    for target in
        -- Names, not `oid::regclass`: that is printed when the row is fetched, and a table
        -- dropped meanwhile (dbt's `__dbt_backup` of a model that just committed) prints as
        -- a bare number, which no statement below can use.
        select c.oid, format('%I.%I', n.nspname, c.relname) as relation, n.nspname, c.relname,
               c.relrowsecurity,
               has_table_privilege('{API_ROLE}', c.oid, 'select') as granted,
               exists (select 1 from pg_attribute a
                       where a.attrelid = c.oid and a.attname = 'supplier_id'
                         and not a.attisdropped) as per_supplier
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind in ('r', 'p') and not c.relispartition
          and n.nspname in ('raw', 'app', 'quality', 'marts', 'features', 'predictions', 'served')
    loop
        begin
            -- API keys are looked up before the caller is known; they are not tenant data.
            if target.per_supplier and (target.nspname, target.relname) <> ('app', 'api_keys') then
                -- Only what is missing: altering a table locks it against the API's reads.
                if not target.relrowsecurity then
                    execute format('alter table %s enable row level security', target.relation);
                end if;
                if not exists (select 1 from pg_policy
                               where polrelid = target.oid
                                 and polname = 'supplier_isolation') then
                    execute format(
                        'create policy supplier_isolation on %s to {API_ROLE} '
                        'using (current_setting(''wedsync.scope'', true) = ''{PLATFORM_SCOPE}'' '
                        '       or supplier_id = current_setting(''wedsync.supplier_id'', true)) '
                        'with check ('
                        '       current_setting(''wedsync.scope'', true) = ''{PLATFORM_SCOPE}'' '
                        '       or supplier_id = current_setting(''wedsync.supplier_id'', true))',
                        target.relation);
                end if;
            end if;
            -- Raw tables: only what `app.grant_raw_privileges` allows (wedsync/warehouse).
            if not target.granted and target.nspname <> 'raw' then
                execute format('grant select on %s to {API_ROLE}', target.relation);
            end if;
        exception when undefined_table then
            null;  -- dropped since the loop began: nothing to protect
        end;
    end loop;
    for i in 1 .. array_length(writable, 1) loop
        if to_regclass(writable[i][1]) is not null then
            execute format('grant %s on %s to {API_ROLE}', writable[i][2], writable[i][1]);
        end if;
    end loop;
    call app.grant_raw_privileges('{API_ROLE}');
end $proc$;

-- The API may need a partition of raw.events for a month it has not seen; it owns nothing, so
-- it asks this function (wedsync/warehouse/event_tables.py), which runs as the warehouse owner.
grant execute on function app.create_event_partition(date) to {API_ROLE};
"""

_SCOPE = "select set_config('wedsync.supplier_id', %s, true), set_config('wedsync.scope', %s, true)"


def apply_tenancy(conn: psycopg.Connection) -> None:
    """Create the API role and the policy procedure, grant the partition function; apply policies.

    Runs as the warehouse owner (it creates a role, so it needs CREATEROLE).
    """
    with conn.transaction():
        conn.execute(TENANCY_DDL)
        conn.execute("call app.apply_row_level_security()")


@asynccontextmanager
async def tenant_scope(
    conn: psycopg.AsyncConnection, principal: Principal | None
) -> AsyncIterator[psycopg.AsyncConnection]:
    """A transaction that sees `principal`'s rows only (every row for platform or None).

    `None` is for the API's own background work (usage flushes, wedding-day priority).
    """
    platform = principal is None or principal.is_platform
    supplier = "" if principal is None or principal.supplier_id is None else principal.supplier_id
    async with conn.transaction():
        await conn.execute(_SCOPE, (supplier, PLATFORM_SCOPE if platform else ""))
        yield conn


@asynccontextmanager
async def pipelined_tenant_scope(
    conn: psycopg.AsyncConnection, principal: Principal | None
) -> AsyncIterator[psycopg.AsyncConnection]:
    """`tenant_scope` in one pipeline, for reads: one round trip where psycopg needs five.

    psycopg's `transaction()` inside a pipeline nests two more pipelines to track the
    transaction, and each nesting syncs (a round trip, and a turn of the event loop for every
    wait) on entering and on leaving. Here `begin`, the same transaction-local settings, the
    block's statements and `commit` are queued in the one pipeline and sent together; the
    settings vanish with the transaction exactly as in `tenant_scope`. When the block or any
    statement fails, what was queued after it is skipped by Postgres and the transaction is
    rolled back before the connection goes back to the pool.

    The transaction reads one snapshot (repeatable read): an answer's statements all see the
    same publish of `served`, even when the next one commits while it is being computed.
    """
    platform = principal is None or principal.is_platform
    supplier = "" if principal is None or principal.supplier_id is None else principal.supplier_id
    try:
        async with conn.pipeline():
            await conn.execute("begin isolation level repeatable read")
            await conn.execute(_SCOPE, (supplier, PLATFORM_SCOPE if platform else ""))
            yield conn
            await conn.execute("commit")
    except BaseException:
        if conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE and not conn.closed:
            await conn.execute("rollback")
        raise
