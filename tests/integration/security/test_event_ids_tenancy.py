"""Tenant-scoped event ids (issue 15, Medium #8).

Before, `raw.event_ids` was global: a supplier could claim another supplier's predictable ids
first (their events were then dropped as duplicates), and the duplicates count told it whether
an id existed. Now an id is claimed under its supplier; a supplier's own replays still count as
duplicates, exactly as before.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import redis

from serving.security.tenancy import apply_tenancy
from tests.integration.serving.conftest import REDIS_URL, bearer, client_of, serve
from tests.support import throwaway_database
from wedsync.api_keys import create_api_key
from wedsync.warehouse import apply_schema, connect

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

FLORIST = "sup_000003"
RIVAL_FLORIST = "sup_000004"


def _event(event_id: str, supplier_id: str) -> dict[str, object]:
    return {
        "event_id": event_id,
        "event_type": "enquiry_created",
        "occurred_at": "2026-05-01T11:00:00Z",
        "supplier_id": supplier_id,
        "couple_id": "cpl_004567",
        "wedding_date": "2027-06-12",
        "properties": {"guest_count": 90},
    }


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def warehouse_url() -> Iterator[str]:
    with throwaway_database("wedsync_event_ids") as url:
        with connect(url) as conn:
            apply_schema(conn)
            apply_tenancy(conn)
        yield url


@pytest.fixture
def keys(warehouse_url: str) -> dict[str, str]:
    with connect(warehouse_url) as conn:
        return {
            supplier: create_api_key(conn, supplier, "enterprise", "tests")
            for supplier in (FLORIST, RIVAL_FLORIST)
        }


@pytest.fixture
async def api(warehouse_url: str, keys: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    async with serve(warehouse_url) as application, client_of(application) as http:
        yield http
    client.flushdb()
    client.close()


async def test_a_supplier_cannot_claim_nor_probe_another_suppliers_event_ids(
    api: httpx.AsyncClient, warehouse_url: str, keys: dict[str, str]
) -> None:
    predictable = str(uuid.UUID(int=42))
    # The rival sends the florist's next id first, then probes whether it exists.
    claimed = await api.post(
        "/api/events",
        json=[_event(predictable, RIVAL_FLORIST)],
        headers=bearer(keys[RIVAL_FLORIST]),
    )
    assert (claimed.json()["accepted"], claimed.json()["duplicates"]) == (1, 0)

    florist = await api.post(
        "/api/events", json=[_event(predictable, FLORIST)], headers=bearer(keys[FLORIST])
    )
    assert (florist.json()["accepted"], florist.json()["duplicates"]) == (1, 0)
    probe = await api.post(
        "/api/events",
        json=[_event(predictable, RIVAL_FLORIST)],
        headers=bearer(keys[RIVAL_FLORIST]),
    )
    # The rival only ever learns about its own id: a duplicate of what it sent itself.
    assert (probe.json()["accepted"], probe.json()["duplicates"]) == (0, 1)

    # A supplier's own replay is still a duplicate, counted once per replayed event.
    replay = await api.post(
        "/api/events",
        json=[_event(predictable, FLORIST), _event(predictable, FLORIST)],
        headers=bearer(keys[FLORIST]),
    )
    assert (replay.json()["accepted"], replay.json()["duplicates"]) == (0, 2)
    with connect(warehouse_url) as conn:
        stored = conn.execute(
            "select supplier_id, count(*) from raw.events where event_id = %s "
            "group by supplier_id order by 1",
            (predictable,),
        ).fetchall()
    assert stored == [(FLORIST, 1), (RIVAL_FLORIST, 1)]


def test_upgrading_a_warehouse_keeps_its_event_ids_under_their_supplier() -> None:
    known = uuid.uuid4()
    with throwaway_database("wedsync_event_ids_upgrade") as url, connect(url) as conn:
        apply_schema(conn)
        # The warehouse as an older release left it: one global id space.
        conn.execute(
            "drop table raw.event_ids; "
            "create table raw.event_ids (event_id uuid primary key, "
            "received_at timestamptz not null default now())"
        )
        conn.execute(
            "insert into raw.events (event_id, event_type, occurred_at, supplier_id, "
            "properties) values (%s, 'profile_view', now(), %s, '{}')",
            (known, FLORIST),
        )
        conn.execute("insert into raw.event_ids (event_id) values (%s)", (known,))
        conn.commit()
        apply_schema(conn)
        ids = conn.execute("select supplier_id, event_id from raw.event_ids").fetchall()
        key = conn.execute(
            "select pg_get_constraintdef(oid) from pg_constraint "
            "where conrelid = 'raw.event_ids'::regclass and contype = 'p'"
        ).fetchone()
    assert ids == [(FLORIST, known)]
    assert key == ("PRIMARY KEY (supplier_id, event_id)",)
