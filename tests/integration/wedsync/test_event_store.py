"""Storing live events in Postgres: once per event id, rejections kept, partitions on demand."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import orjson
import psycopg
import pytest

from tests.support import throwaway_database
from wedsync.events.contract import split_body, validate_batch
from wedsync.events.store import EventPartitions, store_batch
from wedsync.warehouse import apply_schema, connect

pytestmark = [pytest.mark.integration, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def database_url() -> Iterator[str]:
    with throwaway_database("wedsync_events") as url:
        with connect(url) as conn:
            apply_schema(conn)
        yield url


def enquiry(occurred_at: str = "2024-03-05T10:00:00Z") -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "enquiry_created",
        "occurred_at": occurred_at,
        "supplier_id": "sup_000001",
        "properties": {"guest_count": 80},
    }


async def ingest(url: str, events: list[object]) -> tuple[int, int]:
    batch = validate_batch(split_body(orjson.dumps(events)))
    async with await psycopg.AsyncConnection.connect(url) as conn:
        await EventPartitions().ensure(conn, batch.events)
        async with conn.transaction():
            result = await store_batch(conn, batch.events, batch.rejected, "key_1")
    return len(result.stored), result.duplicates


async def test_a_replayed_batch_stores_nothing_twice(database_url: str) -> None:
    events: list[object] = [enquiry(), enquiry("2025-12-31T23:59:59Z")]
    events.append(events[0])  # the same event twice in one batch
    assert await ingest(database_url, events) == (2, 1)
    assert await ingest(database_url, events) == (0, 3)
    with connect(database_url) as conn:
        stored = conn.execute(
            "select count(*), count(distinct event_id) from raw.events"
        ).fetchone()
        partitions = conn.execute(
            "select count(*) from pg_inherits where inhparent = 'raw.events'::regclass"
        ).fetchone()
    assert stored == (2, 2)
    assert partitions is not None and partitions[0] >= 4 + 2  # ahead + the two old months


async def test_rejected_events_are_dead_lettered_with_reason_and_payload(database_url: str) -> None:
    bad = {**enquiry(), "wedding_date": "2027-02-30"}
    assert await ingest(database_url, [bad, enquiry()]) == (1, 0)
    with connect(database_url) as conn:
        row = conn.execute(
            "select batch_index, event_id, reason, payload, api_key_id from raw.events_rejected"
        ).fetchone()
    assert row is not None
    index, event_id, reason, payload, key_id = row
    assert (index, event_id, key_id) == (0, bad["event_id"], "key_1")
    assert "wedding_date" in reason
    assert orjson.loads(payload) == bad
