"""The live-event contract of `POST /api/events` (see DESIGN.md), and per-event validation.

A batch is validated event by event: one bad event is rejected with a reason naming the field,
the others go on. Decoding with msgspec straight from the request bytes keeps validation of a
1,000-event batch around a millisecond, which the 50,000 events/s ingest target needs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, Literal

import msgspec

MAX_BATCH_EVENTS = 1_000
MAX_POUNDS = Decimal(10_000_000)
MAX_FUTURE = dt.timedelta(hours=24)
EARLIEST_OCCURRED_AT = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)

SupplierId = Annotated[str, msgspec.Meta(pattern=r"^sup_[0-9]{6}$")]
CoupleId = Annotated[str, msgspec.Meta(pattern=r"^cpl_[0-9]{6}$")]
Pounds = Decimal  # non-negative: checked in `_Properties.__post_init__`
GuestCount = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
EventType = Literal[
    "profile_view",
    "enquiry_created",
    "quote_sent",
    "booking_confirmed",
    "booking_cancelled",
    "payment_received",
    "review_posted",
    "rsvp_updated",
]


class _Envelope(msgspec.Struct, forbid_unknown_fields=True):
    """The fields every event carries; `properties` is checked against its event type."""

    event_id: uuid.UUID
    event_type: EventType
    occurred_at: dt.datetime
    supplier_id: SupplierId
    couple_id: CoupleId | None = None
    wedding_date: dt.date | None = None
    properties: msgspec.Raw = msgspec.Raw(b"{}")


class _Properties(msgspec.Struct):
    """Base of the typed properties; unknown keys are kept as sent, known keys must type-check."""

    def __post_init__(self) -> None:
        # msgspec cannot bound a Decimal, so money fields are checked here.
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, Decimal) and not (value.is_finite() and 0 <= value <= MAX_POUNDS):
                raise ValueError(f"`{name}` must be between 0 and {MAX_POUNDS} pounds")


class ProfileView(_Properties):
    source: str | None = None


class EnquiryCreated(_Properties):
    guest_count: GuestCount | None = None
    budget_gbp: Pounds | None = None
    channel: str | None = None
    enquiry_id: str | None = None


class QuoteSent(_Properties):
    amount_gbp: Pounds | None = None
    enquiry_id: str | None = None


class BookingConfirmed(_Properties):
    value_gbp: Pounds | None = None
    booking_id: str | None = None
    enquiry_id: str | None = None


class BookingCancelled(_Properties):
    booking_id: str | None = None
    reason: str | None = None


class PaymentReceived(_Properties):
    amount_gbp: Pounds
    payment_type: Literal["deposit", "balance"] | None = None
    booking_id: str | None = None


class ReviewPosted(_Properties):
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]


class RsvpUpdated(_Properties):
    guest_count: GuestCount | None = None
    attending: GuestCount | None = None


PROPERTIES_BY_TYPE: dict[str, type[_Properties]] = {
    "profile_view": ProfileView,
    "enquiry_created": EnquiryCreated,
    "quote_sent": QuoteSent,
    "booking_confirmed": BookingConfirmed,
    "booking_cancelled": BookingCancelled,
    "payment_received": PaymentReceived,
    "review_posted": ReviewPosted,
    "rsvp_updated": RsvpUpdated,
}
EVENT_TYPES = tuple(PROPERTIES_BY_TYPE)


class BatchError(ValueError):
    """The body as a whole is unusable (not JSON, not a list, too many events)."""


class BatchTooLarge(BatchError):
    """The batch holds more events than one request may carry (the API answers 413)."""


class Event(msgspec.Struct, frozen=True):
    """A validated event as stored in `raw.events` (properties re-encoded as sent)."""

    event_id: uuid.UUID
    event_type: str
    occurred_at: dt.datetime
    supplier_id: str
    couple_id: str | None
    wedding_date: dt.date | None
    properties: msgspec.Raw


@dataclass(frozen=True)
class Rejection:
    """One event that failed validation: where it was in the batch and why."""

    index: int
    event_id: str | None
    reason: str
    payload: bytes


@dataclass
class ValidatedBatch:
    """A batch split into events to store and rejections to dead-letter."""

    events: list[Event] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


_id_probe = msgspec.json.Decoder(dict[str, Any])


def _event_id_of(payload: bytes) -> str | None:
    """The event id as sent, for the rejection report, when the payload has a readable one."""
    try:
        value = _id_probe.decode(payload).get("event_id")
    except (msgspec.DecodeError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def split_body(body: bytes, content_type: str = "application/json") -> list[msgspec.Raw]:
    """Split a request body (a JSON array, or NDJSON) into raw events, without validating them."""
    try:
        if "ndjson" in content_type or "jsonlines" in content_type:
            lines = [line for line in body.splitlines() if line.strip()]
            events = [msgspec.Raw(line) for line in lines]
            for line in lines:
                msgspec.json.decode(line)  # each line must at least be JSON
        else:
            events = msgspec.json.decode(body, type=list[msgspec.Raw])
    except msgspec.ValidationError as error:
        raise BatchError("the body must be a JSON array of events (or NDJSON)") from error
    except msgspec.DecodeError as error:
        raise BatchError(f"malformed JSON: {error}") from error
    if len(events) > MAX_BATCH_EVENTS:
        raise BatchTooLarge(f"a batch holds at most {MAX_BATCH_EVENTS} events, got {len(events)}")
    return events


def _check_event(payload: bytes, now: dt.datetime) -> Event:
    if b"\\u0000" in payload:
        # Postgres text and jsonb cannot hold NUL: storing it would fail the whole batch.
        raise msgspec.ValidationError("text values cannot contain \\u0000 (NUL)")
    envelope = msgspec.json.decode(payload, type=_Envelope)
    occurred_at = envelope.occurred_at
    if occurred_at.tzinfo is None:
        raise msgspec.ValidationError(
            "occurred_at needs a time zone (e.g. 'Z') - at `$.occurred_at`"
        )
    if occurred_at > now + MAX_FUTURE:
        raise msgspec.ValidationError("occurred_at is more than 24 h in the future")
    if occurred_at < EARLIEST_OCCURRED_AT:
        raise msgspec.ValidationError("occurred_at is before 2020-01-01")
    try:
        msgspec.json.decode(envelope.properties, type=PROPERTIES_BY_TYPE[envelope.event_type])
    except msgspec.ValidationError as error:
        raise msgspec.ValidationError(f"{error}".replace("`$", "`$.properties")) from error
    return Event(
        event_id=envelope.event_id,
        event_type=envelope.event_type,
        occurred_at=occurred_at,
        supplier_id=envelope.supplier_id,
        couple_id=envelope.couple_id,
        wedding_date=envelope.wedding_date,
        properties=envelope.properties,
    )


def validate_batch(raw_events: list[msgspec.Raw], now: dt.datetime | None = None) -> ValidatedBatch:
    """Validate every event of a batch; the result keeps the batch order within each list."""
    now = now or dt.datetime.now(dt.UTC)
    batch = ValidatedBatch()
    for index, raw in enumerate(raw_events):
        payload = bytes(raw)
        try:
            batch.events.append(_check_event(payload, now))
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            batch.rejected.append(Rejection(index, _event_id_of(payload), str(error), payload))
    return batch
