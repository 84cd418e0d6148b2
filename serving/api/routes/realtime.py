"""`GET /api/analytics/realtime`: today's live counters, as a WebSocket feed or a polling answer.

The WebSocket is authenticated at the handshake (`Authorization: Bearer <key or token>`, the
subprotocol `bearer.<key or token>` that browsers can send, or `?token=<access token>`; a
long-lived API key is refused in the URL, where it would land in access logs), so an
unauthenticated client never holds a connection: it gets a plain `401` instead of the upgrade.
Each tier has a connect rate and a cap on concurrent connections (`429` at the handshake).
After `accept` the client gets a snapshot of today's counters, then the hub's coalesced deltas
and heartbeats, until it leaves, its key is revoked or its access token expires (closed with
1008). A supplier key follows its own channel; a platform key follows every supplier.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response, WebSocket, status
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError

from serving.api.deps import (
    LimitedPrincipal,
    ServingState,
    charge,
    strictest_limit,
    unauthorized,
    verified_credential,
)
from serving.api.schemas import ErrorAnswer
from serving.live.hub import RealtimeHub
from serving.live.messages import snapshot_frame
from serving.live.subscription import CLOSE_TRY_AGAIN_LATER, GONE, Subscription
from serving.security.tokens import is_access_token
from wedsync.api_keys import Principal

# Browsers cannot set headers on a WebSocket, and a key in `?token=` lands in access logs, so
# the dashboard offers the subprotocols `wedsync.v1` and `bearer.<key>`; the server accepts the
# first (a browser requires one of its offers back) and never echoes the key.
FEED_SUBPROTOCOL = "wedsync.v1"
BEARER_SUBPROTOCOL = "bearer."
#: New connections a tenant may open per rate window, per connection its tier may hold.
CONNECTS_PER_HELD_CONNECTION = 10


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
    """The credential from `?token=`, `Authorization: Bearer`, or a `bearer.<...>` subprotocol."""
    if token:
        if not is_access_token(token):
            raise unauthorized(
                "`?token=` takes an access token only (POST /api/auth/token): an API key in a "
                "URL lands in access logs; send it as `Authorization: Bearer` instead"
            )
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


def _connection_cap(state: ServingState, principal: Principal) -> int | None:
    """Concurrent connections the caller's tier may hold (an unknown tier: the strictest)."""
    caps = state.config.ws_connections
    return caps[principal.tier] if principal.tier in caps else strictest_limit(caps)


async def _admit(
    websocket: WebSocket, token: str | None
) -> tuple[Principal, str, int | None] | None:
    """The caller, its credential and its cap, admitted; None after refusing the upgrade.

    Refusals: 401 (no, bad or revoked credential), 429 (over the tier's connect rate or
    concurrent connections), 503 (the warehouse is down and the key is not remembered).
    """
    state: ServingState = websocket.app.state.serving
    try:
        credential = _presented_key(websocket, token)
        if credential is None:
            raise unauthorized(
                "missing API key or access token: `Authorization: Bearer`, the subprotocol "
                "`bearer.<credential>`, or `?token=<access token>`"
            )
        principal = await verified_credential(state, credential)
        cap = _connection_cap(state, principal)
        if cap is not None:
            await charge(None, state, principal, ":ws-connects", cap * CONNECTS_PER_HELD_CONNECTION)
            if not await state.connections.admit(principal.tenant, cap):
                raise HTTPException(
                    status.HTTP_429_TOO_MANY_REQUESTS,
                    detail=f"the {principal.tier} tier holds at most {cap} live-feed "
                    "connections at once; close one first",
                    headers={"Retry-After": "5"},
                )
    except HTTPException as refusal:
        await _deny(websocket, refusal)
        return None
    return principal, credential, cap


def _end_when_invalid(
    state: ServingState, principal: Principal, credential: str, subscription: Subscription
) -> Callable[[], None]:
    """Close the feed (1008) when its key is revoked or its access token expires.

    Returns the function that stops watching (call it when the connection ends).
    """
    unwatch = state.revocations.watch(
        principal.key_id, lambda: subscription.refuse("the API key was revoked")
    )
    if not is_access_token(credential):
        return unwatch
    loop = asyncio.get_running_loop()
    expiry = loop.call_later(
        max(0.0, state.tokens.expires_at(credential) - time.time()),
        subscription.refuse,
        "the access token expired: exchange the refresh token and reconnect",
    )

    def stop() -> None:
        unwatch()
        expiry.cancel()

    return stop


@router.websocket("/realtime")
async def realtime_feed(websocket: WebSocket, token: str | None = None) -> None:
    """Push today's snapshot, then coalesced live deltas and heartbeats, until the client leaves."""
    admitted = await _admit(websocket, token)
    if admitted is None:
        return
    principal, credential, cap = admitted
    state: ServingState = websocket.app.state.serving
    try:
        await _serve_feed(websocket, state, principal, credential)
    finally:
        if cap is not None:
            await state.connections.release(principal.tenant)


async def _serve_feed(
    websocket: WebSocket, state: ServingState, principal: Principal, credential: str
) -> None:
    """Accept, subscribe, send the snapshot, then hold the connection until it ends."""
    hub: RealtimeHub = websocket.app.state.realtime_hub
    offered = websocket.scope.get("subprotocols", [])
    await websocket.accept(subprotocol=FEED_SUBPROTOCOL if FEED_SUBPROTOCOL in offered else None)
    # Subscribe before reading the snapshot, so no delta falls between the two (the
    # subscription holds what it is offered until the snapshot is sent).
    subscription = hub.subscribe(
        None if principal.is_platform else principal.supplier_id, websocket
    )
    stop_watching = _end_when_invalid(state, principal, credential, subscription)
    try:
        await hub.carrying(subscription.supplier_id)
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
        stop_watching()
        hub.unsubscribe(subscription)
        subscription.cancel()


def install(app: FastAPI, redis_url: str) -> None:
    """Add the live feed (its hub subscribing at `redis_url`) to `app`.

    Idempotent (a second call adds nothing). Tests may replace `app.state.realtime_hub`
    before the app starts.
    """
    if hasattr(app.state, "realtime_hub"):
        return
    app.state.realtime_hub = RealtimeHub(redis_url)
    app.include_router(router)
