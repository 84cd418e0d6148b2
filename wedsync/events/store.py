"""Commit a validated batch of live events to Postgres: new events once, rejections dead-lettered.

One round trip per batch: the accepted events travel as a single JSON parameter that Postgres
expands with `jsonb_to_recordset`, their ids are claimed in `raw.event_ids` under their supplier
(a replayed id claims nothing), and only the newly claimed events are inserted into `raw.events`
- all in one statement, inside the caller's transaction, so the answer `202` is only given for
committed events.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import msgspec
import psycopg

from wedsync.events.contract import Event, Rejection
from wedsync.warehouse.event_tables import month_start
from wedsync.warehouse.partman import PARTITION_LOCK_ID

_INSERT_NEW_EVENTS = """
with batch as (
    select *
    from jsonb_to_recordset(%(events)s::jsonb) as e(
        event_id uuid, event_type text, occurred_at timestamptz, supplier_id text,
        couple_id text, wedding_date date, properties jsonb)
), claimed as (
    insert into raw.event_ids (supplier_id, event_id)
    select supplier_id, event_id from batch
    on conflict (supplier_id, event_id) do nothing
    returning supplier_id, event_id
)
insert into raw.events
    (event_id, event_type, occurred_at, supplier_id, couple_id, wedding_date, properties)
select b.event_id, b.event_type, b.occurred_at, b.supplier_id, b.couple_id, b.wedding_date,
       b.properties
from batch b
join claimed using (supplier_id, event_id)
returning event_id::text, event_type, supplier_id, (occurred_at at time zone 'UTC')::date
"""

_INSERT_REJECTED = """
insert into raw.events_rejected (batch_index, event_id, reason, payload, api_key_id)
values (%s, %s, %s, %s, %s)
"""

_encode_events = msgspec.json.Encoder().encode


class StoredEvent(msgspec.Struct, frozen=True):
    """What the live counters need to know about an event that was newly stored.

    A msgspec Struct: the API builds 1,000 of these per batch, and a frozen dataclass's
    constructor cost ~7% of an ingest worker's CPU in profiling.
    """

    event_id: str
    event_type: str
    supplier_id: str
    occurred_on: dt.date


@dataclass(frozen=True)
class StoreResult:
    """The outcome of storing a batch: the newly stored events and how many were replays."""

    stored: list[StoredEvent]
    duplicates: int


def unique_by_id(events: list[Event]) -> list[Event]:
    """The batch without repeats of a supplier's event id (the first occurrence wins).

    Ids are scoped to their supplier, so two suppliers' events with one id are both kept.
    """
    seen: set[tuple[str, object]] = set()
    unique = []
    for event in events:
        key = (event.supplier_id, event.event_id)
        if key not in seen:
            seen.add(key)
            unique.append(event)
    return unique


class EventPartitions:
    """Makes sure `raw.events` has a partition for every month a batch touches.

    The months already known to exist are remembered per process, so a batch costs no DDL once
    warm; a new month is created under an advisory lock so concurrent workers do not race. The
    month is made by `app.create_event_partition` (pg_partman's child where pg_partman manages
    the months), which runs as the warehouse owner, so the API role that owns nothing can call it.
    """

    def __init__(self) -> None:
        self._known: set[dt.date] = set()

    async def ensure(self, conn: psycopg.AsyncConnection, events: list[Event]) -> None:
        """Create the missing monthly partitions for `events` (in its own transaction)."""
        if not events:
            return
        # Fast path: live batches fall in one month, so two comparisons settle most of them.
        first = month_start(min(event.occurred_at for event in events))
        if first in self._known and month_start(max(e.occurred_at for e in events)) == first:
            return
        missing = {month_start(event.occurred_at) for event in events} - self._known
        if not missing:
            return
        async with conn.transaction():
            await conn.execute("select pg_advisory_xact_lock(%s)", (PARTITION_LOCK_ID,))
            for month in sorted(missing):
                await conn.execute("select app.create_event_partition(%s)", (month,))
        self._known |= missing


async def store_batch(
    conn: psycopg.AsyncConnection,
    events: list[Event],
    rejected: list[Rejection],
    api_key_id: str | None,
) -> StoreResult:
    """Store new events and dead-letter rejections, in the caller's open transaction."""
    unique = unique_by_id(events)
    stored: list[StoredEvent] = []
    if unique:
        cursor = await conn.execute(_INSERT_NEW_EVENTS, {"events": _encode_events(unique).decode()})
        stored = [StoredEvent(row[0], row[1], row[2], row[3]) for row in await cursor.fetchall()]
    if rejected:
        async with conn.cursor() as cursor:
            await cursor.executemany(
                _INSERT_REJECTED,
                [
                    (
                        r.index,
                        r.event_id,
                        r.reason,
                        r.payload.decode("utf-8", "replace"),
                        api_key_id,
                    )
                    for r in rejected
                ],
            )
    return StoreResult(stored=stored, duplicates=len(events) - len(stored))
