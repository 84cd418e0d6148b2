"""The live-event contract: what is accepted, and the reason given for what is not."""

from __future__ import annotations

import datetime as dt
import uuid

import orjson
import pytest

from wedsync.events.contract import BatchError, split_body, validate_batch

NOW = dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC)


def event(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "event_id": str(uuid.uuid4()),
        "event_type": "enquiry_created",
        "occurred_at": "2026-05-01T11:00:00Z",
        "supplier_id": "sup_000123",
        "couple_id": "cpl_004567",
        "wedding_date": "2027-06-12",
        "properties": {"guest_count": 90, "budget_gbp": 18000},
    }
    return {**base, **overrides}


def validate(*events: dict[str, object]):
    return validate_batch(split_body(orjson.dumps(list(events))), now=NOW)


def test_a_valid_event_is_accepted_with_its_fields() -> None:
    batch = validate(event())
    assert batch.rejected == []
    (accepted,) = batch.events
    assert accepted.supplier_id == "sup_000123"
    assert accepted.wedding_date == dt.date(2027, 6, 12)
    assert orjson.loads(bytes(accepted.properties)) == {"guest_count": 90, "budget_gbp": 18000}


@pytest.mark.parametrize(
    ("overrides", "reason_part"),
    [
        ({"wedding_date": "2027-02-30"}, "wedding_date"),
        ({"event_type": "proposal"}, "event_type"),
        ({"event_id": "not-a-uuid"}, "event_id"),
        ({"occurred_at": "2026-05-03T12:00:00Z"}, "future"),
        ({"occurred_at": "2026-05-01T11:00:00"}, "time zone"),
        ({"supplier_id": "acme"}, "supplier_id"),
        ({"properties": {"guest_count": "ninety"}}, "properties.guest_count"),
        ({"event_type": "payment_received", "properties": {}}, "amount_gbp"),
        ({"event_type": "quote_sent", "properties": {"amount_gbp": "NaN"}}, "amount_gbp"),
        ({"event_type": "quote_sent", "properties": {"amount_gbp": -5}}, "amount_gbp"),
        ({"event_type": "review_posted", "properties": {"rating": 9}}, "rating"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_an_invalid_event_is_rejected_naming_the_field(
    overrides: dict[str, object], reason_part: str
) -> None:
    good, bad = event(), event(**overrides)
    batch = validate(good, bad)
    assert [e.event_id for e in batch.events] == [uuid.UUID(str(good["event_id"]))]
    (rejection,) = batch.rejected
    assert rejection.index == 1
    assert reason_part in rejection.reason
    assert orjson.loads(rejection.payload) == bad


def test_a_non_object_event_is_rejected_without_an_id() -> None:
    batch = validate_batch(split_body(b"[5]"), now=NOW)
    assert batch.rejected[0].event_id is None


def test_ndjson_bodies_are_split_per_line() -> None:
    body = b"\n".join(orjson.dumps(event()) for _ in range(3)) + b"\n"
    assert len(split_body(body, "application/x-ndjson")) == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[{", "malformed JSON"),
        (b'{"a": 1}', "JSON array"),
        (b"[" + b"{}," * 1000 + b"{}]", "1000"),
    ],
)
def test_unusable_bodies_raise_batch_errors(body: bytes, message: str) -> None:
    with pytest.raises(BatchError, match=message):
        split_body(body)
