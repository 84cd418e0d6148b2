"""Fixtures for the API tests: a throwaway warehouse, Redis db 5, the app in-process, keys."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from urllib.parse import urlparse

import httpx
import psycopg
import pytest
import redis
from fastapi import FastAPI

from serving.core.config import ServingConfig
from serving.limits.wedding_day import uk_today
from serving.main import create_app
from serving.security.tenancy import apply_tenancy
from tests.issue14_marts import create_issue14_tables
from tests.support import (
    VENDOR_PERFORMANCE_DDL,
    WEDDING_DAY_ALERTS_DDL,
    publish,
    throwaway_database,
)
from wedsync.api_keys import create_api_key
from wedsync.settings import get_settings
from wedsync.warehouse import apply_schema, connect

# The serving tests' own Redis db (5) on whichever server the settings point at (configured or
# embedded), so they never touch another suite's keys.
REDIS_URL = urlparse(get_settings().redis_url)._replace(path="/5").geturl()
PHOTOGRAPHER = "sup_000001"  # photographer in London
VENUE = "sup_000002"  # venue in Wales
FLORIST = "sup_000003"  # florist in Scotland, enterprise tier

MARTS_DDL = (
    VENDOR_PERFORMANCE_DDL
    + """
insert into marts.vendor_performance values
    ('sup_000001', '2026-05-01', 'photographer', 'london', 'premium', 40, 10, 1, 0.25,
     0.14, 0.40, 3.5, 18500.00, 4.8, 6),
    ('sup_000001', '2026-06-01', 'photographer', 'london', 'premium', 30, 6, 0, 0.2,
     0.10, 0.37, 2.0, 11000.00, null, 0),
    ('sup_000002', '2026-05-01', 'venue', 'wales', 'luxury', 12, 3, 0, 0.25,
     0.09, 0.53, 20.0, 54000.00, 4.5, 2);
insert into marts.seasonal_bookings values
    ('2026-05-01', 'photographer', 'london', 400, 90, 0.225, 160000.00),
    ('2026-05-01', 'venue', 'wales', 120, 30, 0.25, 500000.00),
    ('2026-08-01', 'florist', 'scotland', 80, 20, 0.25, 30000.00);
"""
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def warehouse_url() -> Iterator[str]:
    """A fresh warehouse with the system-of-record schema (no marts yet)."""
    with throwaway_database("wedsync_serving") as url:
        with connect(url) as conn:
            apply_schema(conn)
            apply_tenancy(conn)
        yield url


def after_dbt_build(conn: psycopg.Connection) -> None:
    """What a build's end does: publish the marts to `served` (policies and grants included)."""
    publish(conn)


@pytest.fixture
def marts(warehouse_url: str) -> str:
    """The warehouse with two suppliers' vendor performance and three markets' seasonality."""
    with connect(warehouse_url) as conn:
        conn.execute(MARTS_DDL)
        after_dbt_build(conn)
    return warehouse_url


INSIGHT_MARTS_DDL = (
    """
create table marts.seasonal_demand (
    month date, vendor_type text, region text, enquiries bigint, bookings bigint,
    conversion_rate numeric, enquiries_yoy_change numeric);
insert into marts.seasonal_demand values
    ('2026-08-01', 'photographer', 'london', 412, 97, 0.2354, 0.08),
    ('2026-08-01', 'venue', 'wales', 150, 40, 0.2667, -0.02);
create table marts.market_benchmarks (
    quarter date, vendor_type text, region text, suppliers bigint,
    p25_conversion_rate numeric, p50_conversion_rate numeric, p75_conversion_rate numeric);
insert into marts.market_benchmarks values
    ('2026-01-01', 'photographer', 'london', 12, 0.12, 0.2, 0.3),
    ('2026-04-01', 'photographer', 'london', 14, 0.13, 0.21, 0.31),
    ('2026-04-01', 'venue', 'wales', 6, 0.2, 0.25, 0.33);
"""
    + WEDDING_DAY_ALERTS_DDL
    + """
insert into marts.wedding_day_alerts values
    ('bkg_0000001', 'sup_000001', 'cpl_000011', 'photographer', 'london', %(soon)s, 3,
     %(today)s, 2000, 500, 1500, true, null),
    ('bkg_0000002', 'sup_000002', 'cpl_000012', 'venue', 'wales', %(soon)s, 3,
     %(today)s, 9000, 9000, 0, false, 'guest_count');
create table marts.fct_bookings (
    booking_id text, supplier_id text, couple_id text, status text, wedding_date date);
insert into marts.fct_bookings values
    ('bkg_0000003', 'sup_000002', 'cpl_000013', 'confirmed', %(tomorrow)s),
    ('bkg_0000004', 'sup_000001', 'cpl_000014', 'cancelled', %(today)s);
create table marts.dim_suppliers (
    supplier_id text, vendor_type text, region text, price_band text, base_price_gbp numeric);
insert into marts.dim_suppliers values
    ('sup_000001', 'photographer', 'london', 'premium', 1800),
    ('sup_000002', 'venue', 'wales', 'luxury', 12000);
create table predictions.pipeline_value (
    supplier_id text, open_enquiries integer, expected_bookings double precision,
    expected_revenue_gbp numeric(14, 2));
insert into predictions.pipeline_value values
    ('sup_000001', 8, 1.9, 3420.00), ('sup_000002', 3, 0.8, 9600.00);
"""
)


# Issue 14's tables (tests/issue14_marts.py) hold the London photographer's rows; these are
# the Welsh venue's: its market's gaps and its capacity (row-level security keeps each
# capacity row to its supplier), its budget and guest-count cells, and a London caterer band
# (another vendor type in the photographer's region) with caterers nationally.
VENUE_ISSUE14_ROWS = """
insert into marts.market_gaps values
    ('2027-06-01', 'venue', 'wales', true, 0, 5, 20, 15, 5, 0.75, 15, 70, 50, 15,
     10, 0.1429, 6, 0.12, 1, 0, null);
insert into marts.supplier_capacity values
    ('sup_000002', 'venue', 'wales', 1, '2026-11-30', '2026-04-01', '2027-04-01',
     26, 20, 0.7692, 26, 11, 0.4231, 15, '{2027-07-03}', '{}', '{}');
insert into marts.couple_journey values
    ('guest_count', '100-149', 100, 'caterer', 'london', 5, 12, 12, 10, 4.0, 3.5, 4.5,
     5, 0.4167, 0.1933, 0.6805, 5200, 4400, 6000, 365, 9, 60.1, 41.0, 79.2),
    ('budget', '10000-19999', 10000, 'venue', 'wales', 5, 15, 15, 15, 4.6, 4.3, 4.9,
     3, 0.2, 0.0705, 0.4519, 7000, 6000, 8000, 365, 10, 20.5, 12.0, 29.0),
    ('guest_count', '50-99', 50, 'venue', 'wales', 5, 15, 15, 15, 4.6, 4.3, 4.9,
     3, 0.2, 0.0705, 0.4519, 7000, 6000, 8000, 365, 10, 20.5, 12.0, 29.0),
    ('all', 'all', null, 'caterer', 'all', 30, 200, 200, 190, 4.1, 4.0, 4.2,
     70, 0.35, 0.2868, 0.4187, 5000, 4700, 5300, 365, 150, 58.0, 52.0, 64.0);
"""


@pytest.fixture
def insight_marts(marts: str) -> str:
    """The marts plus demand, benchmarks, alerts, bookings, suppliers, pipeline value, market
    gaps, capacity, the couple's journey and the couple-budget and review-score predictions.

    The venue has a confirmed wedding tomorrow (wedding-day priority); the photographer's
    booking today was cancelled (no priority).
    """
    today = uk_today()
    dates = {"today": today, "tomorrow": today + dt.timedelta(days=1)}
    with connect(marts) as conn:
        # Several statements with parameters: bound client-side.
        psycopg.ClientCursor(conn).execute(
            INSIGHT_MARTS_DDL, {**dates, "soon": today + dt.timedelta(days=3)}
        )
        create_issue14_tables(conn, PHOTOGRAPHER, VENUE)
        conn.execute(VENUE_ISSUE14_ROWS)
        after_dbt_build(conn)
    return marts


@pytest.fixture
def redis_db() -> Iterator[redis.Redis]:
    """Redis db 5, emptied before and after the test."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def keys(warehouse_url: str) -> dict[str, str]:
    """Platform keys (admin, analyst), one admin key per supplier, and role/tier variants."""
    with connect(warehouse_url) as conn:
        return {
            "platform": create_api_key(conn, None, "platform", "tests"),
            "analyst": create_api_key(conn, None, "platform", "tests", role="platform_analyst"),
            PHOTOGRAPHER: create_api_key(conn, PHOTOGRAPHER, "professional", "tests"),
            VENUE: create_api_key(conn, VENUE, "free", "tests"),
            FLORIST: create_api_key(conn, FLORIST, "enterprise", "tests"),
            "viewer": create_api_key(
                conn, PHOTOGRAPHER, "professional", "tests", role="supplier_viewer"
            ),
        }


@asynccontextmanager
async def serve(
    warehouse_url: str, redis_url: str = REDIS_URL, rate_limits: dict[str, int | None] | None = None
) -> AsyncIterator[FastAPI]:
    """The app pointed at a warehouse and a Redis (and tier limits), its lifespan running."""
    settings = dataclasses.replace(get_settings(), database_url=warehouse_url, redis_url=redis_url)
    config = ServingConfig.from_env(settings)
    if rate_limits is not None:
        config = dataclasses.replace(config, rate_limits={**config.rate_limits, **rate_limits})
    application = create_app(settings, config)
    async with application.router.lifespan_context(application):
        yield application


def client_of(application: FastAPI) -> httpx.AsyncClient:
    """An HTTP client talking to the app in-process."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://api.test"
    )


@pytest.fixture
async def app(
    warehouse_url: str, redis_db: redis.Redis, keys: dict[str, str]
) -> AsyncIterator[FastAPI]:
    """The app on the throwaway warehouse and Redis db 5."""
    async with serve(warehouse_url) as application:
        yield application


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app."""
    async with client_of(app) as client:
        yield client


#: Nothing listens there: the app sees Redis as down.
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for a key."""
    return {"Authorization": f"Bearer {key}"}
