"""What the API's database role may do to raw tables: the least its routes need, nothing more.

The API stores live events (`raw.events`, claiming ids in `raw.event_ids`, dead letters in
`raw.events_rejected`) and erases couples through `app.erase_couple`, a `SECURITY DEFINER`
function (`wedsync.warehouse.erasure`). It reads no other raw table, so it may not: no
`SELECT` on `raw.couples` (every couple's names and email) and no `UPDATE` on any raw table.

`app.grant_raw_privileges(role)` sets exactly these privileges, revoking whatever else an older
release granted (so an existing warehouse is narrowed in place). The serving layer calls it from
its policy procedure once its role exists; it touches a table only where something changed,
because even a `GRANT` queues behind a long read of the table.
"""

from __future__ import annotations

import psycopg

#: Privileges of the API role on raw tables; every other raw table gets none.
API_RAW_PRIVILEGES: dict[str, tuple[str, ...]] = {
    "events": ("select", "insert"),  # select: `insert ... returning` reads back what it stored
    "event_ids": ("select", "insert"),
    "events_rejected": ("insert",),
}

_TABLE_PRIVILEGES = ("select", "insert", "update", "delete", "truncate", "references", "trigger")


def _privileges_ddl() -> str:
    allowed = ", ".join(
        f"['{table}', '{privilege}']"
        for table, privileges in API_RAW_PRIVILEGES.items()
        for privilege in privileges
    )
    every = ", ".join(f"'{privilege}'" for privilege in _TABLE_PRIVILEGES)
    return f"""
create or replace procedure app.grant_raw_privileges(api_role name)
language plpgsql as $proc$
declare
    allowed text[][] := array[{allowed}];
    target record;
    privilege text;
    wanted boolean;
begin
    if not exists (select 1 from pg_roles where rolname = api_role) then
        return;
    end if;
    for target in
        select c.oid, c.oid::regclass as relation, c.relname
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'raw' and c.relkind in ('r', 'p') and not c.relispartition
    loop
        foreach privilege in array array[{every}] loop
            wanted := exists (select 1 from generate_subscripts(allowed, 1) as i
                              where allowed[i][1] = target.relname
                                and allowed[i][2] = privilege);
            if wanted and not has_table_privilege(api_role, target.oid, privilege) then
                execute format('grant %s on %s to %I', privilege, target.relation, api_role);
            elsif not wanted and has_table_privilege(api_role, target.oid, privilege) then
                execute format('revoke %s on %s from %I', privilege, target.relation, api_role);
            end if;
        end loop;
    end loop;
    execute format('grant execute on function app.erase_couple(text, text) to %I', api_role);
end $proc$;
"""


def apply_privileges(conn: psycopg.Connection) -> None:
    """Create `app.grant_raw_privileges` (idempotent); the serving layer calls it for its role."""
    conn.execute(_privileges_ddl())
