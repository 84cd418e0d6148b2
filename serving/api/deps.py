"""Dependencies injected into the routes: the shared state, the caller, roles, tiers, limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import redis.asyncio as redis
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serving.auth import KeyRing
from serving.cache import ResponseCache
from serving.catalog import Catalog
from serving.config import ServingConfig
from serving.db import WAREHOUSE_DOWN, GuardedPool
from serving.learned_reads import LearnedReads
from serving.live import LiveCounters
from serving.observability import HEADERS_STATE, PRINCIPAL_STATE
from serving.ratelimit import RateLimiter
from serving.scoring import ChampionScorer
from serving.tenancy import OwnerlessEventPartitions
from serving.tokens import InvalidToken, TokenSigner, is_access_token
from serving.usage import UsageRecorder
from serving.versions import DatasetVersions
from serving.wedding_day import WeddingDayPriority
from wedsync.api_keys import Principal
from wedsync.events.store import EventPartitions


@dataclass
class ServingState:
    """What the lifespan opens once per worker and every request shares."""

    pool: GuardedPool
    redis: redis.Redis
    keys: KeyRing
    cache: ResponseCache
    live: LiveCounters
    config: ServingConfig
    tokens: TokenSigner
    limiter: RateLimiter
    wedding_day: WeddingDayPriority
    usage: UsageRecorder
    scorer: ChampionScorer
    versions: DatasetVersions
    catalog: Catalog = field(default_factory=Catalog)
    partitions: EventPartitions = field(default_factory=OwnerlessEventPartitions)
    reads: LearnedReads = field(default_factory=LearnedReads)
    # The last data version seen per dataset, to serve cached answers while Postgres is down.
    last_versions: dict[str, int] = field(default_factory=dict)


async def get_state(request: Request) -> ServingState:
    """The worker's shared state (set up by `serving.main.lifespan`).

    Async, like every dependency here: FastAPI runs plain `def` dependencies in a thread pool,
    which cost ~10% of an ingest worker's CPU in profiling.
    """
    state: ServingState = request.app.state.serving
    return state


State = Annotated[ServingState, Depends(get_state)]

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKeyOrAccessToken",
    description="`Authorization: Bearer wsk_<key_id>_<secret>` (see `wedsync keys create`), "
    "or an access token from `POST /api/auth/token`.",
)


def unauthorized(reason: str) -> HTTPException:
    """A 401 answer with the reason and the auth scheme the client must use."""
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"}
    )


def forbidden(reason: str) -> HTTPException:
    """A 403 answer: the caller is known but may not do this."""
    return HTTPException(status.HTTP_403_FORBIDDEN, detail=reason)


def warehouse_unavailable(reason: str = "the warehouse (Postgres) is unavailable") -> HTTPException:
    """A 503 answer: try again shortly."""
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE, detail=reason, headers={"Retry-After": "5"}
    )


async def verified_key(state: ServingState, key: str) -> Principal:
    """The caller of an API key; 401 when unknown or revoked, 503 when it cannot be checked."""
    try:
        principal = await state.keys.verify(key)
    except WAREHOUSE_DOWN as error:
        raise warehouse_unavailable(
            "cannot verify the API key: the warehouse is unavailable"
        ) from error
    if principal is None:
        raise unauthorized("unknown or revoked API key")
    return principal


async def current_principal(
    request: Request,
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller, from a bearer API key or access token; 401 when missing, unknown or expired."""
    if credentials is None:
        raise unauthorized("missing `Authorization: Bearer <api key or access token>` header")
    token = credentials.credentials
    if is_access_token(token):
        try:
            principal = state.tokens.verify(token)
        except InvalidToken as error:
            raise unauthorized(str(error)) from error
    else:
        principal = await verified_key(state, token)
    setattr(request.state, PRINCIPAL_STATE, principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def require_platform(principal: CurrentPrincipal) -> Principal:
    """Only WedSync's own (platform tier) keys pass; suppliers get 403."""
    if not principal.is_platform:
        raise forbidden("this endpoint needs a platform key")
    return principal


PlatformPrincipal = Annotated[Principal, Depends(require_platform)]


async def require_platform_admin(principal: PlatformPrincipal) -> Principal:
    """Only the platform admin role passes (erasure and other destructive actions)."""
    if principal.role != "platform_admin":
        raise forbidden(
            f"this endpoint needs the platform_admin role; the key has {principal.role}"
        )
    return principal


PlatformAdmin = Annotated[Principal, Depends(require_platform_admin)]


async def require_admin(principal: CurrentPrincipal) -> Principal:
    """Admins of either side pass (sending events, reading usage); viewers and analysts get 403."""
    if not principal.is_admin:
        raise forbidden(f"this needs an admin role; the key has the read-only {principal.role}")
    return principal


AdminPrincipal = Annotated[Principal, Depends(require_admin)]


def limit_for(state: ServingState, principal: Principal) -> int | None:
    """The caller's requests per window: its tier's, raised on a wedding day; None: no limit."""
    limits = state.config.rate_limits
    limit = limits.get(principal.tier)
    if limit is not None and state.wedding_day.applies_to(principal.supplier_id):
        floor = limits.get(state.config.wedding_day_floor_tier)
        limit = None if floor is None else max(limit, floor)
    return limit


async def rate_limited(request: Request, state: State, principal: CurrentPrincipal) -> Principal:
    """Count the request against the caller's tier; 429 with `Retry-After` when over it."""
    limit = limit_for(state, principal)
    if limit is None:
        return principal
    decision = await state.limiter.hit(principal.tenant, limit)
    setattr(request.state, HEADERS_STATE, decision.headers())
    if not decision.allowed:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"rate limit of the {principal.tier} tier reached: {limit} requests per "
            f"{state.config.rate_window_seconds} s; retry in {decision.reset_seconds} s",
            headers=decision.headers(),
        )
    return principal


#: Any authenticated caller, counted against its tier's rate limit (basic metrics).
LimitedPrincipal = Annotated[Principal, Depends(rate_limited)]


async def require_analytics_tier(principal: LimitedPrincipal) -> Principal:
    """The full analytics need professional or above; the free tier has basic metrics only."""
    if principal.tier == "free":
        raise forbidden(
            "the free tier includes basic metrics only (GET /api/analytics/metrics); "
            "this endpoint needs the professional tier or above"
        )
    return principal


#: A caller allowed the full analytics, counted against its tier's rate limit.
AnalyticsPrincipal = Annotated[Principal, Depends(require_analytics_tier)]
