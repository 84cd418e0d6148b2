"""Fixtures for the API tests: a throwaway warehouse, Redis db 5, the app in-process, keys."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from urllib.parse import urlparse

import httpx
import pytest
import redis
from fastapi import FastAPI

from serving.main import create_app
from tests.support import throwaway_database
from wedsync.api_keys import create_api_key
from wedsync.settings import get_settings
from wedsync.warehouse import apply_schema, connect

# The serving tests' own Redis db (5) on whichever server the settings point at (configured or
# embedded), so they never touch another suite's keys.
REDIS_URL = urlparse(get_settings().redis_url)._replace(path="/5").geturl()
PHOTOGRAPHER = "sup_000001"  # photographer in London
VENUE = "sup_000002"  # venue in Wales

MARTS_DDL = """
create schema if not exists marts;
create table marts.vendor_performance (
    supplier_id text, month date, vendor_type text, region text, price_band text,
    enquiries bigint, bookings bigint, cancellations bigint, conversion_rate numeric,
    conversion_ci_low numeric, conversion_ci_high numeric, median_first_response_hours numeric,
    revenue_gbp numeric(12, 2), avg_rating numeric, reviews bigint);
create table marts.seasonal_bookings (
    month date, vendor_type text, region text, enquiries bigint, bookings bigint,
    conversion_rate numeric, revenue_gbp numeric(12, 2));
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


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def warehouse_url() -> Iterator[str]:
    """A fresh warehouse with the system-of-record schema (no marts yet)."""
    with throwaway_database("wedsync_serving") as url:
        with connect(url) as conn:
            apply_schema(conn)
        yield url


@pytest.fixture
def marts(warehouse_url: str) -> str:
    """The warehouse with two suppliers' vendor performance and three markets' seasonality."""
    with connect(warehouse_url) as conn:
        conn.execute(MARTS_DDL)
        conn.commit()
    return warehouse_url


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
    """A platform key and one key per supplier."""
    with connect(warehouse_url) as conn:
        return {
            "platform": create_api_key(conn, None, "platform", "tests"),
            PHOTOGRAPHER: create_api_key(conn, PHOTOGRAPHER, "professional", "tests"),
            VENUE: create_api_key(conn, VENUE, "free", "tests"),
        }


@asynccontextmanager
async def serve(warehouse_url: str, redis_url: str = REDIS_URL) -> AsyncIterator[FastAPI]:
    """The app pointed at a warehouse and a Redis, its lifespan running."""
    settings = dataclasses.replace(get_settings(), database_url=warehouse_url, redis_url=redis_url)
    application = create_app(settings)
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
