"""Erasure that sticks (issue 15, High #3): nothing anywhere names an erased couple afterwards.

Before, `DELETE /api/couples/{id}` left the couple's names and email in `raw.events.properties`
and the dead letters' payloads, its id in the quarantine and the marts until the next dbt
build, and served cached wedding-day alerts naming it for hours.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator

import httpx
import psycopg
import pytest
import redis

from serving.limits.wedding_day import uk_today
from serving.security.tenancy import apply_tenancy
from tests.integration.security.erasure_support import (
    COUPLE,
    OTHER_COUPLE,
    SUPPLIER,
    UNRELATED_DEAD_LETTER,
    seed_couple_everywhere,
    tables_naming,
)
from tests.integration.serving.conftest import REDIS_URL, bearer, client_of, serve
from tests.support import (
    VENDOR_PERFORMANCE_DDL,
    WEDDING_DAY_ALERTS_DDL,
    publish,
    throwaway_database,
)
from wedsync.api_keys import create_api_key
from wedsync.warehouse import apply_schema, connect

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

VERSION_POLLS = 50

_MARTS = (
    VENDOR_PERFORMANCE_DDL
    + WEDDING_DAY_ALERTS_DDL
    + """
insert into marts.wedding_day_alerts values
    ('bkg_0000001', %(supplier)s, %(couple)s, 'photographer', 'london', %(soon)s, 3,
     %(today)s, 2000, 500, 1500, true, null),
    ('bkg_0000002', %(supplier)s, %(other)s, 'photographer', 'london', %(soon)s, 3,
     %(today)s, 900, 900, 0, false, 'guest_count');
create table marts.fct_bookings (
    booking_id text, supplier_id text, couple_id text, status text, wedding_date date);
insert into marts.fct_bookings values ('bkg_0000001', %(supplier)s, %(couple)s, 'confirmed',
    %(soon)s);
create schema if not exists features;
create table features.ml_booking_features (enquiry_id text, couple_id text, guest_count int);
insert into features.ml_booking_features values ('enq_0000001', %(couple)s, 90);
"""
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def warehouse_url() -> Iterator[str]:
    """A warehouse where one couple is named in raw, JSON, dead letters, quarantine, marts and
    the marts' published copies the API serves."""
    with throwaway_database("wedsync_erasure") as url:
        with connect(url) as conn:
            apply_schema(conn)
            today = uk_today()
            psycopg.ClientCursor(conn).execute(
                _MARTS,
                {
                    "supplier": SUPPLIER,
                    "couple": COUPLE,
                    "other": OTHER_COUPLE,
                    "today": today,
                    "soon": today + dt.timedelta(days=3),
                },
            )
            apply_tenancy(conn)
            publish(conn)
        seed_couple_everywhere(url)
        yield url


@pytest.fixture
def platform_key(warehouse_url: str) -> str:
    with connect(warehouse_url) as conn:
        return create_api_key(conn, None, "platform", "tests")


@pytest.fixture
async def api(warehouse_url: str, platform_key: str) -> AsyncIterator[httpx.AsyncClient]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    async with serve(warehouse_url) as application, client_of(application) as http:
        yield http
    client.flushdb()
    client.close()


async def test_erasure_leaves_no_table_naming_the_couple(
    api: httpx.AsyncClient, warehouse_url: str, platform_key: str
) -> None:
    assert set(tables_naming(warehouse_url)) >= {
        "raw.couples",
        "raw.events",
        "raw.events_rejected",
        "quality.quarantine",
        "marts.wedding_day_alerts",
        "served.wedding_day_alerts",
        "marts.fct_bookings",
        "features.ml_booking_features",
    }
    erased = await api.delete(f"/api/couples/{COUPLE}", headers=bearer(platform_key))
    assert erased.status_code == 200
    assert erased.json()["rows"]["raw.events"] == 2
    assert erased.json()["rows"]["raw.events_rejected"] == 1
    assert erased.json()["rows"]["marts.wedding_day_alerts"] == 1
    assert erased.json()["rows"]["served.wedding_day_alerts"] == 1  # served no more, at once

    # The queue of landing files still to rewrite names it until they are (test_erasure_reload),
    # and another couple's dead letter that only mentions a name like theirs is left alone.
    assert tables_naming(warehouse_url) == {
        "privacy.landing_erasures": 1,
        "raw.events_rejected": 1,
    }
    with connect(warehouse_url) as conn:
        pseudonym = conn.execute("select couple_id from raw.couples where email is null").fetchone()
        assert pseudonym is not None
        # The analytics keep "one couple": every table names the same pseudonym.
        for table in ("raw.bookings", "marts.wedding_day_alerts", "features.ml_booking_features"):
            named = conn.execute(f"select distinct couple_id from {table}").fetchall()
            assert pseudonym in named
        note = conn.execute(
            "select properties ->> 'note' from raw.events where couple_id = %s", pseudonym
        ).fetchone()
        assert note == ("[erased] <[erased]> changed the RSVP",)
        assert conn.execute(
            "select email from raw.couples where couple_id = %s", (OTHER_COUPLE,)
        ).fetchone() == ("bo@example.com",)
        assert conn.execute(
            "select payload from raw.events_rejected where batch_index = 1"
        ).fetchone() == (UNRELATED_DEAD_LETTER,)


async def test_cached_wedding_day_alerts_stop_naming_an_erased_couple(
    api: httpx.AsyncClient, platform_key: str
) -> None:
    path = f"/api/alerts/wedding-day?supplier_id={SUPPLIER}"
    before = await api.get(path, headers=bearer(platform_key))
    cached = await api.get(path, headers=bearer(platform_key))
    assert before.status_code == cached.status_code == 200
    assert cached.headers["X-Cache"] == "hit"
    assert COUPLE in cached.text

    erased = await api.delete(f"/api/couples/{COUPLE}", headers=bearer(platform_key))
    assert erased.status_code == 200
    # The bumped version reaches the worker as a Postgres notice, a moment after the commit.
    for _ in range(VERSION_POLLS):
        after = await api.get(path, headers=bearer(platform_key))
        if after.headers["X-Dataset-Version"] != cached.headers["X-Dataset-Version"]:
            break
        await asyncio.sleep(0.1)
    assert after.status_code == 200
    assert COUPLE not in after.text
    assert OTHER_COUPLE in after.text
    assert int(after.headers["X-Dataset-Version"]) > int(cached.headers["X-Dataset-Version"])
