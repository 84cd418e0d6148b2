"""Least-privilege API role (issue 15, Low): no `raw.couples`, no `UPDATE` on raw tables.

Before, `wedsync_api` could `SELECT` every couple's names and emails from `raw.couples` and
`UPDATE` raw tables (erasure ran as the API). Now it holds only what ingest needs on raw, and
erases through `app.erase_couple`, a `SECURITY DEFINER` function of the warehouse owner.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from serving.core.config import API_ROLE
from serving.security.tenancy import apply_tenancy
from tests.integration.security.erasure_support import (
    COUPLE,
    EMAIL,
    connect_as,
    seed_couple_everywhere,
)
from tests.support import throwaway_database
from wedsync.warehouse import apply_schema, connect

pytestmark = pytest.mark.integration

_RAW_PRIVILEGES = """
select c.relname, p.privilege
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
cross join unnest(array['select', 'insert', 'update', 'delete', 'truncate']) as p(privilege)
where n.nspname = 'raw' and c.relkind in ('r', 'p') and not c.relispartition
  and has_table_privilege(%s, c.oid, p.privilege)
order by 1, 2
"""


@pytest.fixture
def warehouse_url() -> Iterator[str]:
    """A warehouse whose API role had the old broad grants before tenancy was re-applied."""
    with throwaway_database("wedsync_privilege") as url:
        with connect(url) as conn:
            apply_schema(conn)
            apply_tenancy(conn)
            # What an older release granted: a warehouse upgraded in place must lose it.
            conn.execute(f"grant select, update on all tables in schema raw to {API_ROLE}")
            conn.commit()
            apply_tenancy(conn)
        seed_couple_everywhere(url)
        yield url


def test_the_api_role_holds_only_what_ingest_needs_on_raw(warehouse_url: str) -> None:
    with connect(warehouse_url) as conn:
        granted = conn.execute(_RAW_PRIVILEGES, (API_ROLE,)).fetchall()
    # Storing live events: the events, their ids (read back by `returning`), dead letters.
    assert granted == [
        ("event_ids", "insert"),
        ("event_ids", "select"),
        ("events", "insert"),
        ("events", "select"),
        ("events_rejected", "insert"),
    ]


def test_the_api_role_cannot_read_couples_nor_update_raw(warehouse_url: str) -> None:
    with connect_as(warehouse_url, API_ROLE) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select email from raw.couples").fetchall()
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("update raw.enquiries set couple_id = 'cpl_999999'")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select * from privacy.landing_erasures").fetchall()


def test_the_api_role_erases_through_the_owners_definer_function(warehouse_url: str) -> None:
    with connect(warehouse_url) as conn:
        definer = conn.execute(
            "select p.prosecdef, r.rolsuper or r.rolname = current_user "
            "from pg_proc p join pg_roles r on r.oid = p.proowner "
            "where p.oid = 'app.erase_couple(text, text)'::regprocedure"
        ).fetchone()
    assert definer == (True, True)
    with connect_as(warehouse_url, API_ROLE) as conn:
        rows = conn.execute("select app.erase_couple(%s, 'api:test')", (COUPLE,)).fetchone()
        conn.commit()
    assert rows is not None and rows[0]["raw.couples"] == 1
    with connect(warehouse_url) as conn:
        left = conn.execute("select count(*) from raw.couples where email = %s", (EMAIL,))
        assert left.fetchone() == (0,)
