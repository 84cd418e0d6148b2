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
from tests.support import VENDOR_PERFORMANCE_DDL, WEDDING_DAY_ALERTS_DDL, throwaway_database
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
    """What each served model's post-hook does: re-apply the policies and grants to new tables."""
    conn.execute("call app.apply_row_level_security()")
    conn.commit()


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


# Market gaps and capacity (issue 14), as dbt publishes them: London photographers (two
# months) and Welsh venues; the photographer's and the venue's capacity rows (row-level
# security keeps each to its supplier).
MARKET_MARTS_DDL = """
create table marts.market_gaps (
    wedding_month date, vendor_type text, region text, is_peak_season boolean,
    bank_holiday_weekends integer, suppliers bigint, saturday_places bigint,
    saturday_bookings bigint, free_saturday_places bigint, saturday_fill_rate numeric(6, 4),
    full_supplier_dates bigint, enquiries bigint, couples bigint, bookings bigint,
    no_room_enquiries numeric(12, 2), no_room_share numeric(6, 4), unmet_couples numeric(12, 2),
    unmet_share numeric(6, 4), unmet_rank integer, holiday_weekend_enquiries bigint,
    holiday_weekend_no_room_share numeric(6, 4));
insert into marts.market_gaps values
    ('2027-05-01', 'photographer', 'london', true, 2, 6, 30, 12, 18, 0.4, 3, 80, 60, 20,
     4.5, 0.0563, 2.1, 0.035, 2, 9, 0.2),
    ('2027-08-01', 'photographer', 'london', true, 1, 6, 24, 20, 4, 0.8333, 9, 120, 90, 22,
     14.25, 0.1188, 8.4, 0.0933, 1, 5, 0.3),
    ('2027-06-01', 'venue', 'wales', true, 0, 5, 20, 15, 5, 0.75, 15, 70, 50, 15,
     10, 0.1429, 6, 0.12, 1, 0, null);
create table marts.supplier_capacity (
    supplier_id text, vendor_type text, region text, weddings_per_date integer,
    as_of_date date, last_season_start date, next_season_start date,
    last_season_saturdays bigint, last_season_saturday_bookings bigint,
    last_season_fill_rate numeric(6, 4), next_season_saturdays bigint,
    next_season_saturday_bookings bigint, next_season_fill_rate numeric(6, 4),
    next_season_open_saturdays bigint, busiest_saturdays date[],
    open_busiest_saturdays date[], open_bank_holiday_saturdays date[]);
insert into marts.supplier_capacity values
    ('sup_000001', 'photographer', 'london', 2, '2026-11-30', '2026-04-01', '2027-04-01',
     26, 31, 0.5962, 26, 9, 0.1731, 19, '{2027-08-07,2027-06-12}', '{2027-06-12}',
     '{2027-05-29}'),
    ('sup_000002', 'venue', 'wales', 1, '2026-11-30', '2026-04-01', '2027-04-01',
     26, 20, 0.7692, 26, 11, 0.4231, 15, '{2027-07-03}', '{}', '{}');
"""


# The couple's journey (issue 14), as dbt publishes it: London photographers by budget band
# and overall, a London caterer band (another vendor type in the photographer's region),
# Welsh venues by budget and guest count, and photographers and caterers nationally.
JOURNEY_MARTS_DDL = """
create table marts.couple_journey (
    dimension text, band text, band_from integer, vendor_type text, region text,
    suppliers bigint, couples bigint, bookings bigint, rated_bookings bigint,
    mean_review_score numeric, review_score_ci_low numeric, review_score_ci_high numeric,
    upper_price_band_bookings bigint, upper_price_band_share numeric,
    upper_price_band_ci_low numeric, upper_price_band_ci_high numeric,
    mean_booking_value_gbp numeric, booking_value_ci_low_gbp numeric,
    booking_value_ci_high_gbp numeric, horizon_days integer, settled_bookings bigint,
    mean_days_to_booking numeric, days_to_booking_ci_low numeric,
    days_to_booking_ci_high numeric);
insert into marts.couple_journey values
    ('budget', '20000-39999', 20000, 'photographer', 'london', 6, 30, 30, 28, 4.4, 4.1, 4.7,
     12, 0.4, 0.2459, 0.5774, 2400, 2100, 2700, 365, 20, 35.5, 28.1, 42.9),
    ('budget', '0-9999', 0, 'photographer', 'london', 5, 20, 20, 18, 4.2, 3.8, 4.6,
     2, 0.1, 0.0279, 0.3010, 1300, 1100, 1500, 365, 15, 30.2, 22.0, 38.4),
    ('all', 'all', null, 'photographer', 'london', 7, 55, 60, 52, 4.3, 4.1, 4.5,
     16, 0.2667, 0.1714, 0.3897, 1900, 1700, 2100, 365, 40, 33.0, 28.0, 38.0),
    ('guest_count', '100-149', 100, 'caterer', 'london', 5, 12, 12, 10, 4.0, 3.5, 4.5,
     5, 0.4167, 0.1933, 0.6805, 5200, 4400, 6000, 365, 9, 60.1, 41.0, 79.2),
    ('budget', '10000-19999', 10000, 'venue', 'wales', 5, 15, 15, 15, 4.6, 4.3, 4.9,
     3, 0.2, 0.0705, 0.4519, 7000, 6000, 8000, 365, 10, 20.5, 12.0, 29.0),
    ('guest_count', '50-99', 50, 'venue', 'wales', 5, 15, 15, 15, 4.6, 4.3, 4.9,
     3, 0.2, 0.0705, 0.4519, 7000, 6000, 8000, 365, 10, 20.5, 12.0, 29.0),
    ('all', 'all', null, 'photographer', 'all', 40, 300, 320, 300, 4.35, 4.25, 4.45,
     90, 0.2813, 0.2347, 0.3330, 2000, 1900, 2100, 365, 250, 38.2, 35.0, 41.4),
    ('all', 'all', null, 'caterer', 'all', 30, 200, 200, 190, 4.1, 4.0, 4.2,
     70, 0.35, 0.2868, 0.4187, 5000, 4700, 5300, 365, 150, 58.0, 52.0, 64.0);
"""


@pytest.fixture
def insight_marts(marts: str) -> str:
    """The marts plus demand, benchmarks, alerts, bookings, suppliers, pipeline value, market
    gaps, capacity and the couple's journey.

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
        conn.execute(MARKET_MARTS_DDL)
        conn.execute(JOURNEY_MARTS_DDL)
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
