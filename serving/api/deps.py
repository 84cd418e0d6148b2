"""Dependencies injected into the routes: the shared state, the caller, roles, tiers, limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from serving.analytics.catalog import Catalog
from serving.analytics.scoring import ChampionScorer
from serving.cache.learned_reads import LearnedReads
from serving.cache.responses import ResponseCache
from serving.cache.versions import DatasetVersions
from serving.core.config import ServingConfig
from serving.core.db import WAREHOUSE_DOWN, GuardedPool
from serving.core.observability import HEADERS_STATE, PRINCIPAL_STATE
from serving.limits.connections import ConnectionCaps
from serving.limits.ratelimit import RateLimiter
from serving.limits.usage import UsageRecorder
from serving.limits.wedding_day import WeddingDayPriority
from serving.live.counters import LiveCounters
from serving.security.keys import KeyRing
from serving.security.revocations import KeyRevocations
from serving.security.tokens import InvalidToken, TokenSigner, is_access_token
from wedsync.api_keys import Principal
from wedsync.events.store import EventPartitions
from wedsync.redis_clients import AsyncRedis


@dataclass
class ServingState:
    """What the lifespan opens once per worker and every request shares."""

    pool: GuardedPool
    redis: AsyncRedis
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
    revocations: KeyRevocations
    connections: ConnectionCaps
    catalog: Catalog = field(default_factory=Catalog)
    partitions: EventPartitions = field(default_factory=EventPartitions)
    reads: LearnedReads = field(default_factory=LearnedReads)
    # The last data version seen per dataset, to serve cached answers while Postgres is down.
    last_versions: dict[str, int] = field(default_factory=dict)
    # The streaming replica's pool, for mart reads (`serving.core.replica`), when configured.
    replica_pool: GuardedPool | None = None


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
    if not key.isascii():
        raise unauthorized("malformed API key (not ASCII)")
    try:
        principal = await state.keys.verify(key)
    except WAREHOUSE_DOWN as error:
        raise warehouse_unavailable(
            "cannot verify the API key: the warehouse is unavailable"
        ) from error
    if principal is None:
        raise unauthorized("unknown or revoked API key")
    return principal


def verified_token(state: ServingState, token: str) -> Principal:
    """The caller of an access token; 401 when malformed, forged, expired or its key revoked."""
    try:
        principal = state.tokens.verify(token)
    except InvalidToken as error:
        raise unauthorized(str(error)) from error
    if state.revocations.is_revoked(principal.key_id):
        raise unauthorized("the API key this access token was issued for has been revoked")
    return principal


async def verified_credential(state: ServingState, credential: str) -> Principal:
    """The caller of a bearer credential, an access token or an API key."""
    if is_access_token(credential):
        return verified_token(state, credential)
    return await verified_key(state, credential)


async def current_principal(
    request: Request,
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller, from a bearer API key or access token; 401 when missing, unknown or expired."""
    if credentials is None:
        raise unauthorized("missing `Authorization: Bearer <api key or access token>` header")
    principal = await verified_credential(state, credentials.credentials)
    setattr(request.state, PRINCIPAL_STATE, principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def strictest_limit(limits: dict[str, int | None]) -> int:
    """The smallest limit of any tier: what a key of a tier the API does not know gets."""
    return min((limit for limit in limits.values() if limit is not None), default=1)


def limit_for(state: ServingState, principal: Principal) -> int | None:
    """The caller's requests per window: its tier's, raised on a wedding day; None: no limit.

    A tier missing from the configuration gets the strictest limit, never none.
    """
    limits = state.config.rate_limits
    limit = limits[principal.tier] if principal.tier in limits else strictest_limit(limits)
    if limit is not None and state.wedding_day.applies_to(principal.supplier_id):
        floor = limits.get(state.config.wedding_day_floor_tier)
        limit = None if floor is None else max(limit, floor)
    return limit


async def charge(
    request: Request | None, state: ServingState, principal: Principal, bucket: str, limit: int
) -> None:
    """Count one request in the caller's `bucket`; 429 with `Retry-After` when over `limit`."""
    decision = await state.limiter.hit(f"{principal.tenant}{bucket}", limit)
    if request is not None:
        setattr(request.state, HEADERS_STATE, decision.headers())
    if not decision.allowed:
        what = "requests" if not bucket else bucket.lstrip(":")
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            detail=f"rate limit of the {principal.tier} tier reached: {limit} {what} per "
            f"{state.config.rate_window_seconds} s; retry in {decision.reset_seconds} s",
            headers=decision.headers(),
        )


#: Key of the request state naming the caller whose request the direct path of new reads
#: (`serving.api.direct_reads`) counted already before handing it on to the full stack.
CHARGED_STATE = "rate_limit_charged"


async def rate_limited(request: Request, state: State, principal: CurrentPrincipal) -> Principal:
    """Count the request against the caller's tier; 429 with `Retry-After` when over it."""
    if getattr(request.state, CHARGED_STATE, None) == principal:
        return principal  # counted (and admitted) by the direct path, which handed it on
    limit = limit_for(state, principal)
    if limit is not None:
        await charge(request, state, principal, "", limit)
    return principal


#: Any authenticated caller, counted against its tier's rate limit (basic metrics). Every
#: authenticated route depends on this, directly or through the role checks below.
LimitedPrincipal = Annotated[Principal, Depends(rate_limited)]


async def require_platform(principal: LimitedPrincipal) -> Principal:
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


async def require_admin(principal: LimitedPrincipal) -> Principal:
    """Admins of either side pass (sending events, reading usage); viewers and analysts get 403."""
    if not principal.is_admin:
        raise forbidden(f"this needs an admin role; the key has the read-only {principal.role}")
    return principal


AdminPrincipal = Annotated[Principal, Depends(require_admin)]


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
