"""`GET /api/analytics/realtime`: today's live counters, as a WebSocket feed or a polling answer.

The WebSocket is authenticated at the handshake (`Authorization: Bearer <key>`, the
subprotocol `bearer.<key>` that browsers can send, or `?token=<key>`), so an unauthenticated
client never holds a connection: it gets a plain `401` instead of the upgrade. After `accept`
the client gets a snapshot of today's counters, then the hub's coalesced deltas and heartbeats.
A supplier key follows its own channel; a platform key follows every supplier.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response, WebSocket, status
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from serving.api.deps import LimitedPrincipal, ServingState, unauthorized, verified_key
from serving.realtime.hub import RealtimeHub
from serving.realtime.messages import snapshot_frame
from serving.realtime.subscription import CLOSE_TRY_AGAIN_LATER, GONE
from serving.schemas import ErrorAnswer
from serving.tokens import InvalidToken
from wedsync.api_keys import KEY_PREFIX, Principal

# Browsers cannot set headers on a WebSocket, and a key in `?token=` lands in access logs, so
# the dashboard offers the subprotocols `wedsync.v1` and `bearer.<key>`; the server accepts the
# first (a browser requires one of its offers back) and never echoes the key.
FEED_SUBPROTOCOL = "wedsync.v1"
BEARER_SUBPROTOCOL = "bearer."


@asynccontextmanager
async def hub_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the hub placed on `app.state.realtime_hub` for the app's lifetime.

    Merged by FastAPI into the app's own lifespan (inside it, so the key ring exists first).
    """
    hub: RealtimeHub = app.state.realtime_hub
    hub.warehouse_down = lambda: bool(
        (serving := getattr(app.state, "serving", None)) and serving.pool.breaker.is_open
    )
    await hub.start()
    try:
        yield
    finally:
        await hub.stop()


router = APIRouter(prefix="/api/analytics", tags=["realtime"], lifespan=hub_lifespan)


def _today() -> dt.date:
    """The live counters' day: events are counted on their UTC date."""
    return dt.datetime.now(dt.UTC).date()


async def _snapshot(hub: RealtimeHub, principal: Principal) -> str:
    day = _today()
    followed = None if principal.is_platform else principal.supplier_id
    return snapshot_frame(day.isoformat(), await hub.snapshot(followed, day))


def _etag(frame: str) -> str:
    return '"' + hashlib.sha256(frame.encode()).hexdigest()[:32] + '"'


@router.get(
    "/realtime",
    summary="Today's live counters (polling answer of the WebSocket feed)",
    responses={
        200: {
            "description": "The same snapshot the WebSocket sends on connect",
            "content": {
                "application/json": {
                    "example": {
                        "type": "snapshot",
                        "day": "2026-11-25",
                        "suppliers": {"sup_000123": {"enquiry_created": 4, "profile_view": 31}},
                    }
                }
            },
        },
        304: {"description": "Not modified (the `If-None-Match` ETag still matches)"},
        401: {"model": ErrorAnswer},
        503: {"model": ErrorAnswer, "description": "Live counters (Redis) unavailable"},
    },
)
async def realtime_snapshot(request: Request, principal: LimitedPrincipal) -> Response:
    """Today's live counters of the caller's supplier (a platform key: every supplier).

    Open the same path as a WebSocket for a pushed feed; poll this with `If-None-Match` to get
    `304` until a counter moves.
    """
    try:
        frame = await _snapshot(request.app.state.realtime_hub, principal)
    except (RedisError, OSError):
        return JSONResponse(
            {"detail": "live counters unavailable (Redis); try again shortly"},
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    headers = {"ETag": _etag(frame), "Cache-Control": "private, no-cache"}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(frame, media_type="application/json", headers=headers)


def _presented_key(websocket: WebSocket, token: str | None) -> str | None:
    """The key from `?token=`, `Authorization: Bearer`, or a `bearer.<key>` subprotocol."""
    if token:
        return token
    scheme, _, credentials = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    offered = websocket.scope.get("subprotocols", [])
    return next(
        (p.removeprefix(BEARER_SUBPROTOCOL) for p in offered if p.startswith(BEARER_SUBPROTOCOL)),
        None,
    )


async def _deny(websocket: WebSocket, refusal: HTTPException) -> None:
    """Refuse the upgrade with the HTTP answer a route would give (close 1008 as a fallback)."""
    answer = JSONResponse(
        {"detail": refusal.detail}, status_code=refusal.status_code, headers=refusal.headers
    )
    try:
        await websocket.send_denial_response(answer)
    except RuntimeError:  # the server lacks the denial-response extension
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION, reason=str(refusal.detail))


async def _principal(state: ServingState, credential: str) -> Principal:
    """The caller of an API key or access token, by the same rules as the HTTP routes."""
    if credential.startswith(f"{KEY_PREFIX}_"):
        return await verified_key(state, credential)
    try:
        return state.tokens.verify(credential)
    except InvalidToken as error:
        raise unauthorized(str(error)) from error


async def _authenticate(websocket: WebSocket, token: str | None) -> Principal | None:
    """The caller, or None after refusing the upgrade with 401 (or 503: warehouse down)."""
    credential = _presented_key(websocket, token)
    try:
        if credential is None:
            raise unauthorized(
                "missing API key or access token: `Authorization: Bearer`, the subprotocol "
                "`bearer.<credential>`, or `?token=`"
            )
        return await _principal(websocket.app.state.serving, credential)
    except HTTPException as refusal:
        await _deny(websocket, refusal)
        return None


@router.websocket("/realtime")
async def realtime_feed(websocket: WebSocket, token: str | None = None) -> None:
    """Push today's snapshot, then coalesced live deltas and heartbeats, until the client leaves."""
    principal = await _authenticate(websocket, token)
    if principal is None:
        return
    hub: RealtimeHub = websocket.app.state.realtime_hub
    offered = websocket.scope.get("subprotocols", [])
    await websocket.accept(subprotocol=FEED_SUBPROTOCOL if FEED_SUBPROTOCOL in offered else None)
    # Subscribe before reading the snapshot, so no delta falls between the two (the
    # subscription holds what it is offered until the snapshot is sent).
    subscription = hub.subscribe(
        None if principal.is_platform else principal.supplier_id, websocket
    )
    try:
        try:
            snapshot = await _snapshot(hub, principal)
        except (RedisError, OSError):
            await websocket.close(code=CLOSE_TRY_AGAIN_LATER, reason="live counters unavailable")
            return
        await subscription.start(snapshot)
        # The client sends nothing we need; reading is how its departure is noticed.
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    except GONE:
        pass  # the client left while a frame was on its way
    finally:
        hub.unsubscribe(subscription)
        subscription.cancel()
