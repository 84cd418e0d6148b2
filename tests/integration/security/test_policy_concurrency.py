"""The policy procedure called by several dbt threads at once: every call succeeds.

dbt runs `app.apply_row_level_security()` in the post-hook of every served model, four threads
at a time. When it granted schema usage on every call, two concurrent grants on one schema
failed with "tuple concurrently updated", and so did the models whose hooks ran them (4 of 132
nodes of one nightly build while the API was up). Each round here takes the API's schema
usage away, as a new schema or a restored warehouse would have it, then lets four connections
call the procedure at the same instant.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest

from serving.core.config import API_ROLE
from serving.security.tenancy import apply_tenancy
from tests.support import throwaway_database
from wedsync.warehouse import apply_schema, connect

pytestmark = pytest.mark.integration

ROUNDS = 15
CALLERS = 4


@pytest.fixture
def warehouse() -> Iterator[str]:
    with throwaway_database("wedsync_policy_race") as database_url:
        with connect(database_url) as conn:
            apply_schema(conn)
            apply_tenancy(conn)
        yield database_url


def _concurrent_calls(connections: list[psycopg.Connection]) -> list[str]:
    """Call the procedure on every connection at once; the errors raised."""
    start = threading.Barrier(len(connections))
    errors: list[str] = []

    def call(conn: psycopg.Connection) -> None:
        start.wait(timeout=30)
        try:
            conn.execute("call app.apply_row_level_security()")
        except psycopg.Error as error:
            errors.append(str(error).splitlines()[0])

    threads = [threading.Thread(target=call, args=(conn,)) for conn in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_policy_calls_all_succeed_and_grant(warehouse: str) -> None:
    connections = [psycopg.connect(warehouse, autocommit=True) for _ in range(CALLERS)]
    try:
        errors: list[str] = []
        for _ in range(ROUNDS):
            connections[0].execute(f"revoke usage on schema raw, app, quality from {API_ROLE}")
            errors += _concurrent_calls(connections)
        granted = (
            connections[0]
            .execute(
                "select bool_and(has_schema_privilege(%s, nspname, 'usage')) from pg_namespace "
                "where nspname in ('raw', 'app', 'quality')",
                (API_ROLE,),
            )
            .fetchone()
        )
    finally:
        for conn in connections:
            conn.close()
    assert errors == []
    assert granted == (True,)
