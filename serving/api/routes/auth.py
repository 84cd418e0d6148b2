"""`POST /api/auth/token` and `/api/auth/refresh`: short-lived tokens for browser dashboards.

A dashboard should not keep a long-lived API key in the browser: it exchanges the key once
for a 15-minute access token and a refresh token, then renews with the refresh token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials

from serving.api.deps import (
    State,
    bearer_scheme,
    charge,
    unauthorized,
    verified_key,
    warehouse_unavailable,
)
from serving.api.schemas import ErrorAnswer, RefreshRequest, TokenAnswer
from serving.core.db import WAREHOUSE_DOWN
from serving.security.refresh_tokens import (
    RefreshRefused,
    issue_refresh_token,
    rotate_refresh_token,
)
from wedsync.api_keys import KEY_PREFIX, Principal

router = APIRouter(prefix="/api/auth", tags=["auth"])
#: Token exchanges are counted apart from reads, so signing in never spends a free tier's read.
AUTH_BUCKET = ":auth"

_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"model": ErrorAnswer, "description": "The body is not JSON"},
    401: {"model": ErrorAnswer},
    429: {"model": ErrorAnswer, "description": "Too many token exchanges for this caller"},
    503: {"model": ErrorAnswer},
}


def _answer(state: State, principal: Principal, refresh_token: str) -> TokenAnswer:
    return TokenAnswer(
        access_token=state.tokens.issue(principal),
        token_type="bearer",
        expires_in=state.tokens.lifetime_seconds,
        refresh_token=refresh_token,
        role=principal.role,
    )


@router.post(
    "/token",
    response_model=TokenAnswer,
    summary="Exchange an API key for an access token and a refresh token",
    responses=_RESPONSES,
)
async def token(
    request: Request,
    state: State,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> TokenAnswer:
    """Send the API key as `Authorization: Bearer wsk_...`; access tokens cannot mint more."""
    if credentials is None or not credentials.credentials.startswith(f"{KEY_PREFIX}_"):
        raise unauthorized("send the API key (not an access token) as `Authorization: Bearer`")
    principal = await verified_key(state, credentials.credentials)
    await charge(request, state, principal, AUTH_BUCKET, state.config.auth_exchanges)
    try:
        async with state.pool.connection() as conn, conn.transaction():
            refresh = await issue_refresh_token(conn, principal.key_id)
    except WAREHOUSE_DOWN as error:
        raise warehouse_unavailable() from error
    return _answer(state, principal, refresh)


@router.post(
    "/refresh",
    response_model=TokenAnswer,
    summary="Exchange a refresh token (single use) for new tokens",
    responses=_RESPONSES,
)
async def refresh(request: Request, state: State, body: RefreshRequest) -> TokenAnswer:
    """The refresh token is used up; a used one presented again revokes its whole session.

    Counted in the caller's token exchanges once the token is known to be theirs (each
    exchange uses one token up, so a chain of refreshes cannot multiply).
    """
    try:
        async with state.pool.connection() as conn:
            principal, successor = await rotate_refresh_token(conn, body.refresh_token)
    except RefreshRefused as error:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail=str(error), headers={"WWW-Authenticate": "Bearer"}
        ) from error
    except WAREHOUSE_DOWN as error:
        raise warehouse_unavailable() from error
    await charge(request, state, principal, AUTH_BUCKET, state.config.auth_exchanges)
    return _answer(state, principal, successor)
