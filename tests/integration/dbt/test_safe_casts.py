"""The staging safe casts: malformed text becomes NULL, even inside a parallel query.

Postgres runs large scans in parallel mode, where a plpgsql exception block (the cast's error
handler) cannot start; the functions must say so (`parallel unsafe`), or a build on a big enough
raw table fails with "cannot start subtransactions during a parallel operation".
"""

from __future__ import annotations

import psycopg
import pytest

from orchestration.defs.dbt.resources import dbt_resource
from tests.support import throwaway_database
from wedsync.warehouse import apply_schema

pytestmark = pytest.mark.integration

# Make the planner use parallel workers even for a small table (Postgres 15's spelling).
FORCE_PARALLEL = """
set force_parallel_mode = on;
set parallel_setup_cost = 0;
set parallel_tuple_cost = 0;
set min_parallel_table_scan_size = 0;
"""


def test_safe_casts_turn_malformed_values_into_null_in_a_parallel_scan() -> None:
    with throwaway_database("safe_casts") as database_url:
        with psycopg.connect(database_url) as conn:
            apply_schema(conn)
        # Any dbt run creates the functions (an on-run-start hook).
        dbt_resource(database_url).cli(["run", "--select", "stg_suppliers"]).wait()
        with psycopg.connect(database_url) as conn:
            conn.execute(
                "create table wedding_dates as select value from unnest("
                "array['2027-06-12', '2027-02-30', 'next june', null]) as value"
            )
            conn.execute(FORCE_PARALLEL)
            rows = conn.execute(
                "select value, staging.try_date(value) from wedding_dates order by value"
            ).fetchall()
    assert [(value, str(parsed) if parsed else None) for value, parsed in rows] == [
        ("2027-02-30", None),
        ("2027-06-12", "2027-06-12"),
        ("next june", None),
        (None, None),
    ]
