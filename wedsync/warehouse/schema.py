"""The system-of-record schema: raw landing tables, quality, app (auth) and predictions.

Raw tables keep every value as text, exactly as the export carried it, so that a malformed
value (a wedding on 2027-02-30, a guest count of "-4") reaches the quality checks instead of
failing the load. Each row also carries its lineage: which export date and file it came from
and its line in that file.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from wedsync.warehouse.erasure import apply_erasure
from wedsync.warehouse.event_tables import apply_event_tables
from wedsync.warehouse.privileges import apply_privileges


@dataclass(frozen=True)
class RawTable:
    """A nightly-export entity as landed in `raw.<name>`."""

    name: str
    key: str
    columns: tuple[str, ...]
    description: str


RAW_TABLES: dict[str, RawTable] = {
    table.name: table
    for table in (
        RawTable(
            "suppliers",
            "supplier_id",
            (
                "supplier_id",
                "business_name",
                "vendor_type",
                "region",
                "price_band",
                "base_price_gbp",
                "capacity",
                "joined_at",
            ),
            "Wedding suppliers on the marketplace: venues, photographers, florists, caterers, ...",
        ),
        RawTable(
            "couples",
            "couple_id",
            (
                "couple_id",
                "partner_one_name",
                "partner_two_name",
                "email",
                "region",
                "signed_up_at",
            ),
            "Couples planning a wedding (personal data: erasable on request).",
        ),
        RawTable(
            "enquiries",
            "enquiry_id",
            (
                "enquiry_id",
                "supplier_id",
                "couple_id",
                "created_at",
                "wedding_date",
                "guest_count",
                "budget_gbp",
                "channel",
                "first_response_at",
            ),
            "A couple's enquiry to a supplier about their wedding date.",
        ),
        RawTable(
            "bookings",
            "booking_id",
            (
                "booking_id",
                "enquiry_id",
                "supplier_id",
                "couple_id",
                "status",
                "booked_at",
                "cancelled_at",
                "wedding_date",
                "total_value_gbp",
                "deposit_gbp",
            ),
            "Bookings, exported when confirmed and again when cancelled (latest row wins).",
        ),
        RawTable(
            "payments",
            "payment_id",
            ("payment_id", "booking_id", "supplier_id", "paid_at", "payment_type", "amount_gbp"),
            "Deposits and balance payments against bookings.",
        ),
        RawTable(
            "reviews",
            "review_id",
            ("review_id", "booking_id", "supplier_id", "couple_id", "posted_at", "rating"),
            "Reviews couples post after their wedding.",
        ),
    )
}

LINEAGE_COLUMNS = ("_export_date", "_source_file", "_line", "_loaded_at")

_STATIC_DDL = """
create schema if not exists raw;
create schema if not exists quality;
create schema if not exists app;
create schema if not exists predictions;
-- What the API reads: the last consistent build, published (wedsync/warehouse/served.py).
create schema if not exists served;

create table if not exists quality.quarantine (
    rule_id      text        not null,
    table_name   text        not null,
    row_key      text        not null,
    column_name  text,
    value        text,
    severity     text        not null,
    checked_at   timestamptz not null default now(),
    primary key (rule_id, table_name, row_key)
);
create index if not exists quarantine_table_key on quality.quarantine (table_name, row_key);

-- Failed Dagster runs, one row each, for the platform team (written by the run-failure sensor).
create table if not exists quality.pipeline_alerts (
    run_id       text        primary key,
    job_name     text        not null,
    partition    text,
    failed_steps text[]      not null default '{}',
    message      text        not null,
    raised_at    timestamptz not null default now()
);

create table if not exists quality.check_results (
    id               bigserial   primary key,
    rule_id          text        not null,
    table_name       text        not null,
    severity         text        not null,
    success          boolean     not null,
    element_count    bigint      not null,
    unexpected_count bigint      not null,
    unexpected_pct   double precision not null,
    error            text,
    checked_at       timestamptz not null default now()
);
create index if not exists check_results_rule_time
    on quality.check_results (rule_id, checked_at desc);

create table if not exists app.api_keys (
    key_id       text        primary key,
    key_hash     text        not null unique,
    supplier_id  text,
    tier         text        not null
                 check (tier in ('free', 'professional', 'enterprise', 'platform')),
    label        text,
    created_at   timestamptz not null default now(),
    last_used_at timestamptz,
    revoked_at   timestamptz,
    check ((tier = 'platform') = (supplier_id is null))
);

-- Roles narrow what a key may do; the default follows the tier (see wedsync.api_keys.ROLES).
alter table app.api_keys add column if not exists role text;
update app.api_keys
set role = case tier when 'platform' then 'platform_admin' else 'supplier_admin' end
where role is null;
alter table app.api_keys alter column role set not null;
do $$ begin
    alter table app.api_keys add constraint api_keys_role_matches_tier check (
        (tier = 'platform' and role in ('platform_analyst', 'platform_admin'))
        or (tier <> 'platform' and role in ('supplier_viewer', 'supplier_admin')));
exception when duplicate_object then null;
end $$;

-- Append-only: who did what to keys and personal data. A trigger refuses update, delete and
-- truncate, so not even a compromised API role can rewrite the history.
create table if not exists app.audit_log (
    id          bigserial   primary key,
    occurred_at timestamptz not null default now(),
    actor       text        not null,
    action      text        not null,
    subject     text        not null,
    details     jsonb       not null default '{}'::jsonb
);
create or replace function app.refuse_audit_change() returns trigger language plpgsql as $$
begin
    raise exception 'app.audit_log is append-only: % refused', tg_op
        using errcode = 'insufficient_privilege';
end $$;
create or replace trigger audit_log_append_only
    before update or delete on app.audit_log
    for each row execute function app.refuse_audit_change();
create or replace trigger audit_log_no_truncate
    before truncate on app.audit_log
    for each statement execute function app.refuse_audit_change();

-- Refresh tokens for browser dashboards: stored hashed, single use (rotated), grouped in a
-- family so that replaying a used token revokes every token descended from the same login.
create table if not exists app.refresh_tokens (
    token_id    text        primary key,
    token_hash  text        not null unique,
    family_id   text        not null,
    key_id      text        not null references app.api_keys (key_id),
    issued_at   timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz,
    revoked_at  timestamptz
);
create index if not exists refresh_tokens_family on app.refresh_tokens (family_id);

-- API usage per key, endpoint and day (billing and `GET /api/usage`), summed in the API.
create table if not exists app.api_usage (
    key_id      text        not null,
    supplier_id text,
    day         date        not null,
    endpoint    text        not null,
    requests    bigint      not null,
    errors      bigint      not null default 0,
    throttled   bigint      not null default 0,
    primary key (key_id, day, endpoint)
);

-- Every good pgBackRest backup (`wedsync backup now`, the nightly Dagster schedule), so
-- `/readyz` can say how old the newest restorable backup is.
create table if not exists app.backups (
    label       text        primary key,
    kind        text        not null,
    started_at  timestamptz not null,
    finished_at timestamptz not null,
    size_bytes  bigint      not null
);

create table if not exists app.dataset_versions (
    dataset    text        primary key,
    version    bigint      not null,
    updated_at timestamptz not null default now()
);

-- Every change of a version is announced, so API workers can keep the versions in memory
-- (`LISTEN wedsync_dataset_versions`) instead of reading them on every request.
create or replace function app.notify_dataset_version() returns trigger language plpgsql as $$
begin
    perform pg_notify('wedsync_dataset_versions', new.dataset || ':' || new.version);
    return new;
end $$;
create or replace trigger dataset_versions_notify
    after insert or update on app.dataset_versions
    for each row execute function app.notify_dataset_version();
"""


def raw_table_ddl(table: RawTable) -> sql.Composed:
    """`create table if not exists raw.<name>` with text columns plus lineage columns."""
    columns: list[sql.Composable] = [
        sql.SQL("{} text").format(sql.Identifier(column)) for column in table.columns
    ]
    columns += [
        sql.SQL("_export_date date not null"),
        sql.SQL("_source_file text not null"),
        sql.SQL("_line integer not null"),
        sql.SQL("_loaded_at timestamptz not null default now()"),
    ]
    return sql.SQL(
        "create table if not exists raw.{table} ({columns});"
        "create index if not exists {index} on raw.{table} (_export_date);"
    ).format(
        table=sql.Identifier(table.name),
        columns=sql.SQL(", ").join(columns),
        index=sql.Identifier(f"{table.name}_export_date"),
    )


#: Held by whoever changes the schema or privileges of a warehouse in use, for as long as the
#: change: an API worker starting (`serving.core.db.prepare_warehouse`: `apply_schema` then the
#: tenancy, one transaction) and a publish (`wedsync.warehouse.served`). Re-creating the
#: version trigger locks `app.dataset_versions` until that commit, and the tenancy then grants
#: on the served tables; a publish holding the served tables and bumping the version meanwhile
#: deadlocked with it (a worker restarting during the nightly publish).
SCHEMA_LOCK_ID = 7_411_002


def apply_schema(conn: psycopg.Connection) -> None:
    """Create every schema and system-of-record table that is missing (idempotent)."""
    with conn.transaction():
        conn.execute(_STATIC_DDL)
        for table in RAW_TABLES.values():
            conn.execute(raw_table_ddl(table))
        apply_event_tables(conn)
        apply_erasure(conn)
        apply_privileges(conn)
