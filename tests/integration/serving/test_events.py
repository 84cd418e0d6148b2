"""`POST /api/events`: 202 after commit, idempotent, dead letters, and 4xx for every bad input."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import orjson
import pytest
import redis
from fastapi import FastAPI

from tests.integration.serving.conftest import (
    DEAD_REDIS_URL,
    PHOTOGRAPHER,
    VENUE,
    bearer,
    client_of,
    serve,
)
from wedsync.events.live import counter_key
from wedsync.events.store import StoredEvent
from wedsync.warehouse import connect

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

EVENTS = "/api/events"


def event(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "event_id": str(uuid.uuid4()),
        "event_type": "enquiry_created",
        "occurred_at": "2026-05-01T11:00:00Z",
        "supplier_id": PHOTOGRAPHER,
        "couple_id": "cpl_004567",
        "wedding_date": "2027-06-12",
        "properties": {"guest_count": 90, "budget_gbp": 18000},
    }
    return {**base, **overrides}


def stored(url: str) -> tuple[int, int, int]:
    """Rows in raw.events, distinct ids in it, and dead letters."""
    with connect(url) as conn:
        row = conn.execute(
            "select (select count(*) from raw.events), "
            "(select count(distinct event_id) from raw.events), "
            "(select count(*) from raw.events_rejected)"
        ).fetchone()
    assert row is not None
    return row


async def test_a_batch_is_stored_once_and_bad_events_are_dead_lettered(
    api: httpx.AsyncClient, warehouse_url: str, keys: dict[str, str]
) -> None:
    bad = event(wedding_date="2027-02-30")
    batch = [event(), bad, event(supplier_id=VENUE, occurred_at="2025-01-31T23:00:00Z"), event()]
    headers = bearer(keys["platform"])
    first = await api.post(EVENTS, content=orjson.dumps(batch), headers=headers)
    assert first.status_code == 202
    answer = first.json()
    assert (answer["accepted"], answer["duplicates"]) == (3, 0)
    assert [(r["index"], r["event_id"]) for r in answer["rejected"]] == [(1, bad["event_id"])]
    assert "wedding_date" in answer["rejected"][0]["reason"]

    replay = (await api.post(EVENTS, content=orjson.dumps(batch), headers=headers)).json()
    assert (replay["accepted"], replay["duplicates"], len(replay["rejected"])) == (0, 3, 1)
    assert stored(warehouse_url) == (3, 3, 2)  # the bad event is dead-lettered on each send


async def test_ndjson_bodies_are_accepted(
    api: httpx.AsyncClient, warehouse_url: str, keys: dict[str, str]
) -> None:
    body = b"\n".join(orjson.dumps(event()) for _ in range(3)) + b"\n"
    response = await api.post(
        EVENTS,
        content=body,
        headers={**bearer(keys["platform"]), "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 202
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
    assert stored(warehouse_url)[0] == 3


async def test_suppliers_send_only_their_own_events(
    api: httpx.AsyncClient, warehouse_url: str, keys: dict[str, str]
) -> None:
    own = await api.post(
        EVENTS, content=orjson.dumps([event()]), headers=bearer(keys[PHOTOGRAPHER])
    )
    assert own.status_code == 202
    mixed = [event(), event(supplier_id=VENUE)]
    foreign = await api.post(
        EVENTS, content=orjson.dumps(mixed), headers=bearer(keys[PHOTOGRAPHER])
    )
    assert foreign.status_code == 403
    assert VENUE in foreign.json()["detail"]
    assert stored(warehouse_url)[0] == 1  # nothing of the refused batch was stored


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        (b'[{"event_id": ', 400, "malformed JSON"),
        (b'{"event_id": "x"}', 400, "JSON array"),
        (b"", 400, "malformed JSON"),
        (orjson.dumps([event() for _ in range(1001)]), 413, "at most 1000"),
        (b"[" + b" " * (5 * 1024 * 1024) + b"]", 413, "exceeds"),
    ],
)
async def test_unusable_bodies_get_a_clear_4xx(
    api: httpx.AsyncClient,
    warehouse_url: str,
    keys: dict[str, str],
    body: bytes,
    status: int,
    reason: str,
) -> None:
    response = await api.post(EVENTS, content=body, headers=bearer(keys["platform"]))
    assert response.status_code == status
    assert reason in response.json()["detail"]
    assert stored(warehouse_url) == (0, 0, 0)


async def test_odd_events_are_rejected_never_a_500(
    api: httpx.AsyncClient, warehouse_url: str, keys: dict[str, str]
) -> None:
    odd: list[object] = [
        1,
        "enquiry",
        None,
        {},
        event(event_type="proposal"),
        event(event_id="not-a-uuid"),
        event(occurred_at=(dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()),
        event(properties={"guest_count": "ninety"}),
        event(event_type="payment_received", properties={"amount_gbp": -5}),
        event(supplier_id="sup_1"),
        event(unexpected_field=True),
    ]
    response = await api.post(EVENTS, content=orjson.dumps(odd), headers=bearer(keys["platform"]))
    assert response.status_code == 202
    answer = response.json()
    assert answer["accepted"] == 0
    assert [r["index"] for r in answer["rejected"]] == list(range(len(odd)))
    assert stored(warehouse_url) == (0, 0, len(odd))

    nul = event(properties={"note": "a\u0000b"})
    kept = await api.post(
        EVENTS, content=orjson.dumps([nul, event()]), headers=bearer(keys["platform"])
    )
    assert kept.status_code == 202
    assert [(r["index"], "NUL" in r["reason"]) for r in kept.json()["rejected"]] == [(0, True)]

    # A number no Postgres numeric can hold, in a free-form property: refused whole, not a 500.
    huge = b"[" + orjson.dumps(event())[:-2] + b', "note": 1e400000}}]'
    refused = await api.post(EVENTS, content=huge, headers=bearer(keys["platform"]))
    assert refused.status_code == 400
    assert "nothing was stored" in refused.json()["detail"]


async def test_missing_key_is_401(api: httpx.AsyncClient, keys: dict[str, str]) -> None:
    response = await api.post(EVENTS, content=orjson.dumps([event()]))
    assert response.status_code == 401


async def test_live_counters_follow_the_stored_events(
    app: FastAPI, api: httpx.AsyncClient, redis_db: redis.Redis, keys: dict[str, str]
) -> None:
    batch = [event(), event(event_type="profile_view", properties={})]
    await api.post(EVENTS, content=orjson.dumps(batch), headers=bearer(keys["platform"]))
    await api.post(EVENTS, content=orjson.dumps(batch), headers=bearer(keys["platform"]))
    assert await app.state.serving.live.flush()
    counters = redis_db.hgetall(counter_key(PHOTOGRAPHER, dt.date(2026, 5, 1)))
    assert counters == {b"enquiry_created": b"1", b"profile_view": b"1"}  # replays count nothing


async def test_ingestion_succeeds_with_redis_down(warehouse_url: str, keys: dict[str, str]) -> None:
    async with serve(warehouse_url, DEAD_REDIS_URL) as app, client_of(app) as client:
        response = await client.post(
            EVENTS, content=orjson.dumps([event()]), headers=bearer(keys["platform"])
        )
        ready = (await client.get("/readyz")).json()
        live = app.state.serving.live
        live.add([StoredEvent("e1", "profile_view", "sup_000001", dt.date(2026, 5, 1))])
        assert not await live.flush()  # counters are lost, events are not
    assert response.status_code == 202
    assert response.json()["accepted"] == 1
    assert (ready["status"], ready["postgres"], ready["redis"]) == ("ready", True, False)
    assert ready["down"] == ["redis"]
    assert stored(warehouse_url)[0] == 1
