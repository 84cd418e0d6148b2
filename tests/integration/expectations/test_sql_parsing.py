"""The raw-text parsers the rules share, evaluated by Postgres itself."""

import datetime as dt
from collections.abc import Iterator

import psycopg
import pytest

from expectations.sql import decimal_or_null, integer_or_null, iso_date_or_null, utc_day_or_null
from tests.integration.expectations.conftest import schema_database
from wedsync.warehouse import connect

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def conn() -> Iterator[psycopg.Connection]:
    """One connection for the module: the parsers need a server, not tables."""
    with schema_database() as url, connect(url) as connection:
        yield connection


def parse(conn: psycopg.Connection, fragment: str, raw: str | None) -> object:
    row = conn.execute(f"select {fragment} from (select %s::text as v) raw", (raw,)).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-06-13", dt.date(2026, 6, 13)),
        ("2028-02-29", dt.date(2028, 2, 29)),
        ("2027-02-29", None),
        ("2027-02-30", None),
        ("2026-04-31", None),
        ("2026-13-01", None),
        ("2026-00-10", None),
        ("0000-01-01", None),
        ("13/06/2026", None),
        ("", None),
        (None, None),
    ],
)
def test_only_real_calendar_days_parse(
    conn: psycopg.Connection, raw: str | None, expected: object
) -> None:
    assert parse(conn, iso_date_or_null("raw.v"), raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-05-01T12:00:00Z", dt.date(2026, 5, 1)),
        ("2026-05-01T23:59:59.123Z", dt.date(2026, 5, 1)),
        ("2026-02-30T12:00:00Z", None),
        ("2026-05-01 12:00:00", None),
    ],
)
def test_timestamps_give_their_utc_day(
    conn: psycopg.Connection, raw: str, expected: object
) -> None:
    assert parse(conn, utc_day_or_null("raw.v"), raw) == expected


def test_numbers_parse_only_when_well_formed(conn: psycopg.Connection) -> None:
    assert parse(conn, integer_or_null("raw.v"), "-4") == -4
    assert parse(conn, integer_or_null("raw.v"), "80 guests") is None
    assert parse(conn, integer_or_null("raw.v"), "99999999999") is None
    assert parse(conn, decimal_or_null("raw.v"), "16000.50") == 16000.5
    assert parse(conn, decimal_or_null("raw.v"), "£16,000") is None
