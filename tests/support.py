"""Helpers shared by integration tests: throwaway databases, the served marts' tables."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql

from wedsync.settings import get_settings
from wedsync.warehouse.served import publish_served


def _maintenance_url() -> str:
    return psycopg.conninfo.make_conninfo(get_settings().database_url, dbname="postgres")


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """Create a fresh database named `<prefix>_<random>`; yield its URL; drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_maintenance_url(), autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    try:
        yield get_settings().database_url_for(name)
    finally:
        with psycopg.connect(_maintenance_url(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


#: The two ways the months of raw.events are managed (wedsync/warehouse/partman.py).
PARTITIONING = ["pg_partman", "hand-written"]


def choose_partitioning(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the next `apply_schema` on a new warehouse use `mode`.

    `hand-written` is the setting `WEDSYNC_PG_PARTMAN=off` (what a Postgres without the package
    gets); `pg_partman` is skipped where this Postgres server has no package.
    """
    monkeypatch.setenv("WEDSYNC_PG_PARTMAN", "auto" if mode == "pg_partman" else "off")
    if mode == "pg_partman":
        with psycopg.connect(_maintenance_url()) as conn:
            row = conn.execute(
                "select 1 from pg_available_extensions where name = 'pg_partman'"
            ).fetchone()
        if row is None:
            pytest.skip("this Postgres has no pg_partman package (postgresql-15-partman)")


def publish(conn: psycopg.Connection) -> None:
    """Publish the marts a test wrote to `served` and commit, as `serving/api_cache_version`
    does after a build (without moving the dataset version: the test decides that)."""
    publish_served(conn)
    conn.commit()


#: The served marts that tests fill with known rows, with the columns dbt builds them with.
VENDOR_PERFORMANCE_DDL = """
create schema if not exists marts;
create table marts.vendor_performance (
    supplier_id text, month date, vendor_type text, region text, price_band text,
    enquiries bigint, bookings bigint, cancellations bigint, conversion_rate numeric,
    conversion_ci_low numeric, conversion_ci_high numeric, median_first_response_hours numeric,
    revenue_gbp numeric(12, 2), avg_rating numeric, reviews bigint);
create table marts.seasonal_bookings (
    month date, vendor_type text, region text, enquiries bigint, bookings bigint,
    conversion_rate numeric, revenue_gbp numeric(12, 2));
"""
WEDDING_DAY_ALERTS_DDL = """
create table marts.wedding_day_alerts (
    booking_id text, supplier_id text, couple_id text, vendor_type text, region text,
    wedding_date date, days_left integer, as_of_date date, total_value_gbp numeric(14, 2),
    paid_gbp numeric(14, 2), outstanding_gbp numeric(14, 2), has_unpaid_balance boolean,
    missing_details text);
"""
