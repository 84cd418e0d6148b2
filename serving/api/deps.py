"""Dependencies injected into the routes: the pool, the cache, the live feed, the caller."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import redis.asyncio as redis
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg_pool import AsyncConnectionPool

from serving.auth import KeyRing
from serving.cache import ResponseCache
from serving.db import WAREHOUSE_DOWN
from serving.live import LiveCounters
from wedsync.api_keys import Principal
from wedsync.events.store import EventPartitions


@dataclass
class ServingState:
    """What the lifespan opens once per worker and every request shares."""

    pool: AsyncConnectionPool
    redis: redis.Redis
    keys: KeyRing
    cache: ResponseCache
    live: LiveCounters
    partitions: EventPartitions = field(default_factory=EventPartitions)
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

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="`Authorization: Bearer wsk_<key_id>_<secret>` (see `wedsync keys create`).",
)


def unauthorized(reason: str) -> HTTPException:
    """A 401 answer with the reason and the auth scheme the client must use."""
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"}
    )


def warehouse_unavailable(reason: str = "the warehouse (Postgres) is unavailable") -> HTTPException:
    """A 503 answer: try again shortly."""
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE, detail=reason, headers={"Retry-After": "5"}
    )


async def current_principal(
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from the bearer API key; 401 when the key is missing, unknown or revoked."""
    if credentials is None:
        raise unauthorized("missing `Authorization: Bearer <api key>` header")
    try:
        principal = await state.keys.verify(credentials.credentials)
    except WAREHOUSE_DOWN as error:
        raise warehouse_unavailable(
            "cannot verify the API key: the warehouse is unavailable"
        ) from error
    if principal is None:
        raise unauthorized("unknown or revoked API key")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


async def require_platform(principal: CurrentPrincipal) -> Principal:
    """Only WedSync's own (platform tier) keys pass; suppliers get 403."""
    if not principal.is_platform:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="this endpoint needs a platform key")
    return principal


PlatformPrincipal = Annotated[Principal, Depends(require_platform)]
