"""The live event stream: valid against the event contract, and sent and counted correctly."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import httpx
import pytest

from wedsync.events.contract import EVENT_TYPES, MAX_BATCH_EVENTS, split_body, validate_batch
from wedsync.simulator.live import LiveEventStream
from wedsync.simulator.streaming import (
    StreamError,
    StreamReport,
    batch_sizes,
    send_batch,
    stream_live_events,
)

NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)


def _stream(seed: int = 1) -> LiveEventStream:
    return LiveEventStream(seed=seed, scale=0.05, today=NOW.date())


def test_every_generated_event_passes_the_contract():
    events = _stream().batch(MAX_BATCH_EVENTS, NOW)
    body = json.dumps(events).encode()
    validated = validate_batch(split_body(body), now=NOW)
    assert validated.rejected == []
    assert len(validated.events) == MAX_BATCH_EVENTS
    assert {event.event_type for event in validated.events} == set(EVENT_TYPES)


def test_events_name_suppliers_of_the_simulated_market_and_future_weddings():
    events = _stream().batch(500, NOW)
    suppliers = {int(event["supplier_id"][4:]) for event in events}
    assert min(suppliers) >= 1 and max(suppliers) <= 30  # 30 suppliers at scale 0.05
    assert all(dt.date.fromisoformat(event["wedding_date"]) > NOW.date() for event in events)
    assert len({event["event_id"] for event in events}) == 500


def test_batch_sizes_spread_the_rate_and_respect_the_batch_limit():
    assert sum(batch_sizes(rate=250, duration=4)) == 1_000
    assert len(batch_sizes(rate=250, duration=4)) == 40  # ten sends a second
    heavy = batch_sizes(rate=60_000, duration=2)
    assert sum(heavy) == 120_000 and max(heavy) <= MAX_BATCH_EVENTS


class FakeEventsApi:
    """The `POST /api/events` contract in memory: validates, deduplicates by event id."""

    def __init__(self, fail_first: int = 0, status: int = 202) -> None:
        self.stored: set[str] = set()
        self.requests = 0
        self.fail_first = fail_first
        self.status = status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if request.headers.get("authorization") != "Bearer wsk_test_secret":
            return httpx.Response(401, json={"detail": "bad key"})
        batch = validate_batch(split_body(request.content))
        if self.fail_first:
            self.fail_first -= 1
            self.stored.update(str(event.event_id) for event in batch.events)
            raise httpx.ReadTimeout("the answer was lost after the commit", request=request)
        fresh = [e for e in batch.events if str(e.event_id) not in self.stored]
        self.stored.update(str(event.event_id) for event in fresh)
        rejected = [{"index": r.index, "reason": r.reason} for r in batch.rejected]
        return httpx.Response(
            202,
            json={
                "accepted": len(fresh),
                "duplicates": len(batch.events) - len(fresh),
                "rejected": rejected,
            },
        )


def _client(api: FakeEventsApi, key: str = "wsk_test_secret") -> httpx.Client:
    return httpx.Client(
        base_url="http://api.test",
        transport=httpx.MockTransport(api),
        headers={"authorization": f"Bearer {key}"},
    )


def test_stream_sends_the_rate_and_reports_the_api_answers():
    api = FakeEventsApi()
    ticks = itertools.count()
    sent: list[int] = []
    report = stream_live_events(
        _client(api),
        _stream(),
        rate=300,
        duration=2,
        on_batch=sent.append,
        clock=lambda: next(ticks) * 0.01,  # a clock that moves only when read
        sleep=lambda seconds: None,
    )
    assert (report.sent, report.accepted, report.duplicates, report.rejected) == (600, 600, 0, 0)
    assert sum(sent) == 600 and api.requests == 20
    assert len(api.stored) == 600
    assert str(report) == "sent 600, accepted 600, duplicates 0, rejected 0"


def test_a_lost_answer_is_retried_with_the_same_ids_and_counted_as_duplicates(monkeypatch):
    monkeypatch.setattr("wedsync.simulator.streaming.time.sleep", lambda seconds: None)
    api = FakeEventsApi(fail_first=1)
    report = StreamReport()
    send_batch(_client(api), _stream().batch(50, dt.datetime.now(dt.UTC)), report)
    assert api.requests == 2
    assert len(api.stored) == 50
    assert (report.sent, report.accepted, report.duplicates) == (50, 0, 50)


def test_a_refused_key_stops_the_stream_with_the_answer():
    with pytest.raises(StreamError, match="401"):
        send_batch(_client(FakeEventsApi(), key="wrong"), _stream().batch(5, NOW), StreamReport())
