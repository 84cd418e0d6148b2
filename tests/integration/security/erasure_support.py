"""What the erasure tests share: one couple seeded everywhere a couple can be, and a search
of every table of the warehouse for anything that still names it."""

from __future__ import annotations

import uuid

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from wedsync.warehouse import connect

COUPLE = "cpl_000011"
OTHER_COUPLE = "cpl_000012"
NAMES = ("Ada Lovelace", "Grace Hopper")
EMAIL = "ada.grace@example.com"
#: Strings that identify the couple: its id, names and email.
IDENTIFYING = (COUPLE, *NAMES, EMAIL)
SUPPLIER = "sup_000001"
#: Another couple's dead letter that happens to contain the erased couple's first name.
UNRELATED_DEAD_LETTER = f'{{"couple_id": "{OTHER_COUPLE}", "note": "{NAMES[0]} recommended us"}}'
#: Tables that name an erased couple by design: the audit log says which couple was erased.
BY_DESIGN = {"app.audit_log"}

_LINEAGE = "'2026-05-01', 'couples.parquet', 1"


def seed_couple_everywhere(url: str) -> None:
    """The couple in every raw table, the event JSON, a dead letter and the quarantine."""
    with connect(url) as conn:
        conn.execute(
            f"insert into raw.couples values "
            f"(%s, %s, %s, %s, 'london', '2025-01-01', {_LINEAGE}), "
            f"(%s, 'Bo', 'Cy', 'bo@example.com', 'wales', '2025-01-02', {_LINEAGE})",
            (COUPLE, *NAMES, EMAIL, OTHER_COUPLE),
        )
        conn.execute(
            "insert into raw.enquiries (enquiry_id, supplier_id, couple_id, _export_date, "
            "_source_file, _line) values ('enq_0000001', %s, %s, '2026-05-01', 'e.csv', 1), "
            "('enq_0000002', %s, %s, '2026-05-01', 'e.csv', 2)",
            (SUPPLIER, COUPLE, SUPPLIER, OTHER_COUPLE),
        )
        conn.execute(
            "insert into raw.bookings (booking_id, supplier_id, couple_id, _export_date, "
            "_source_file, _line) values ('bkg_0000001', %s, %s, '2026-05-01', 'b.csv', 1)",
            (SUPPLIER, COUPLE),
        )
        conn.execute(
            "insert into raw.reviews (review_id, supplier_id, couple_id, _export_date, "
            "_source_file, _line) values ('rev_0000001', %s, %s, '2026-05-01', 'r.csv', 1)",
            (SUPPLIER, COUPLE),
        )
        conn.execute(
            "insert into raw.events (event_id, event_type, occurred_at, supplier_id, couple_id, "
            "properties) values (%s, 'rsvp_updated', now(), %s, %s, %s), "
            "(%s, 'enquiry_created', now(), %s, null, %s)",
            (
                uuid.uuid4(),
                SUPPLIER,
                COUPLE,
                Jsonb({"note": f"{NAMES[0]} <{EMAIL}> changed the RSVP", "guest_count": 90}),
                uuid.uuid4(),
                SUPPLIER,
                Jsonb({"referred_by": COUPLE}),
            ),
        )
        conn.execute(
            "insert into raw.events_rejected (batch_index, event_id, reason, payload) "
            "values (0, 'not-a-uuid', %s, %s)",
            (
                f"email: {EMAIL!r} is not allowed in properties",
                f'{{"couple_id": "{COUPLE}", "properties": {{"email": "{EMAIL}"}}}}',
            ),
        )
        conn.execute(
            "insert into raw.events_rejected (batch_index, event_id, reason, payload) "
            "values (1, null, 'event_type: unknown', %s)",
            (UNRELATED_DEAD_LETTER,),
        )
        conn.execute(
            "insert into quality.quarantine (rule_id, table_name, row_key, column_name, value, "
            "severity) values ('couple_email_valid', 'couples', %s, 'email', %s, 'warning')",
            (COUPLE, EMAIL),
        )


def tables_naming(url: str, needles: tuple[str, ...] = IDENTIFYING) -> dict[str, int]:
    """Rows per table (any schema of the warehouse) whose text contains one of `needles`."""
    found: dict[str, int] = {}
    with connect(url) as conn:
        tables = conn.execute(
            "select n.nspname, c.relname from pg_class c "
            "join pg_namespace n on n.oid = c.relnamespace "
            "where c.relkind in ('r', 'p') and not c.relispartition "
            "and n.nspname not in ('pg_catalog', 'information_schema') "
            "and n.nspname not like 'pg\\_%'"
        ).fetchall()
        for schema, table in tables:
            name = f"{schema}.{table}"
            row = conn.execute(
                sql.SQL("select count(*) from {} as t where {}").format(
                    sql.Identifier(schema, table),
                    sql.SQL(" or ").join(
                        sql.SQL("strpos(t::text, {}) > 0").format(sql.Literal(needle))
                        for needle in needles
                    ),
                )
            ).fetchone()
            if row and row[0] and name not in BY_DESIGN:
                found[name] = row[0]
    return found


def connect_as(url: str, role: str) -> psycopg.Connection:
    """A connection to the same warehouse as another role (no password: local trust)."""
    return psycopg.connect(psycopg.conninfo.make_conninfo(url, user=role))
