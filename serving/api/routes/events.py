"""`POST /api/events`: live events from the platform and suppliers, acknowledged once committed.

The path is built for throughput (>= 50,000 events/s on 2 cores): the body is read once and
validated with msgspec, the batch is stored in one statement, the answer is encoded by msgspec,
and the live counters are summed in memory (Redis sees them a few times a second). Nothing in
it can turn bad input into a 500: every failure of the input is a 4xx naming what was wrong.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
import psycopg
from fastapi import APIRouter, Header, HTTPException, Request, Response, status

from serving.api.deps import AdminPrincipal, State, warehouse_unavailable
from serving.api.schemas import ErrorAnswer, EventsAnswer
from serving.core.db import WAREHOUSE_DOWN
from serving.security.tenancy import tenant_scope
from wedsync.api_keys import Principal
from wedsync.events.contract import (
    MAX_BATCH_EVENTS,
    BatchError,
    BatchTooLarge,
    Event,
    split_body,
    validate_batch,
)
from wedsync.events.store import store_batch

router = APIRouter(prefix="/api", tags=["events"])


class _Rejected(msgspec.Struct):
    index: int
    event_id: str | None
    reason: str


class _Answer(msgspec.Struct):
    accepted: int
    duplicates: int
    rejected: list[_Rejected]


_encode_answer = msgspec.json.Encoder().encode


def _check_sender(principal: Principal, events: list[Event]) -> None:
    """A supplier key may only send that supplier's events (403 naming the first other one)."""
    if principal.is_platform:
        return
    for index, event in enumerate(events):
        if event.supplier_id != principal.supplier_id:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"this key belongs to {principal.supplier_id}; event {event.event_id} "
                f"(valid event {index}) has supplier_id {event.supplier_id}; nothing was stored",
            )


@router.post(
    "/events",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EventsAnswer,
    summary="Send live events (JSON array or NDJSON, up to 1,000 per request)",
    responses={
        400: {"model": ErrorAnswer, "description": "Malformed JSON, or not a list of events"},
        401: {"model": ErrorAnswer},
        403: {
            "model": ErrorAnswer,
            "description": "A supplier key sent another supplier's event, or a read-only role",
        },
        413: {"model": ErrorAnswer, "description": "More than 1,000 events, or a body over 4 MiB"},
        503: {"model": ErrorAnswer, "description": "Postgres unavailable: nothing was stored"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "array", "maxItems": MAX_BATCH_EVENTS, "items": {}},
                    "example": [
                        {
                            "event_id": "4f0c7a8e-1f7e-4a63-9d1f-0b5f1c1e9b77",
                            "event_type": "enquiry_created",
                            "occurred_at": "2026-05-01T12:00:00Z",
                            "supplier_id": "sup_000123",
                            "couple_id": "cpl_004567",
                            "wedding_date": "2027-06-12",
                            "properties": {"guest_count": 90, "budget_gbp": 18000},
                        }
                    ],
                },
                "application/x-ndjson": {"schema": {"type": "string"}},
            },
        }
    },
)
async def ingest_events(
    request: Request,
    state: State,
    principal: AdminPrincipal,
    content_type: Annotated[str, Header()] = "application/json",
) -> Response:
    """Validate each event, store the new ones and dead-letter the invalid ones, then answer.

    `202` only once the accepted events are committed; a replayed `event_id` is counted in
    `duplicates` and stored nothing. Invalid events are listed in `rejected` (index, id, reason)
    and kept in `raw.events_rejected`.
    """
    # Bounded while it streams in (`serving.limits.bodies`: 413 past EVENTS_BODY_BYTES).
    body = await request.body()
    try:
        batch = validate_batch(split_body(body, content_type))
    except BatchTooLarge as error:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, detail=str(error)) from error
    except BatchError as error:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(error)) from error
    except RecursionError as error:
        # msgspec's decoder stops at the interpreter's recursion limit: its nesting limit.
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail="the body nests JSON arrays or objects too deeply; nothing was stored",
        ) from error
    _check_sender(principal, batch.events)
    try:
        async with state.pool.connection() as conn:
            await state.partitions.ensure(conn, batch.events)
            # One transaction in the sender's tenant scope: row-level security checks every
            # stored event belongs to it, and the dead letters commit with the events.
            async with tenant_scope(conn, principal):
                result = await store_batch(conn, batch.events, batch.rejected, principal.key_id)
    except WAREHOUSE_DOWN as error:
        raise warehouse_unavailable("the warehouse is unavailable; nothing was stored") from error
    except psycopg.DataError as error:
        # A value validation let through but Postgres cannot hold (e.g. a free-form property
        # of 1e400000): the batch is refused whole, so the client can fix and resend it.
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail=f"an event holds a value Postgres cannot store ({error}); nothing was stored",
        ) from error
    state.live.add(result.stored)
    answer = _Answer(
        accepted=len(result.stored),
        duplicates=result.duplicates,
        rejected=[_Rejected(r.index, r.event_id, r.reason) for r in batch.rejected],
    )
    return Response(
        _encode_answer(answer), status_code=status.HTTP_202_ACCEPTED, media_type="application/json"
    )
