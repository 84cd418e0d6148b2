"""Cached JSON answers: data version, cache lookup, one computation, ETag and stale-if-error.

Every cached read route goes through `cached_answer`, so they all behave alike:
- the answer is keyed by tenant, the dataset's current version and the normalized query
  (the version comes from memory, pushed by Postgres, or is read when that is not live);
- it is computed inside the caller's tenant scope (row-level security sees its rows only);
- `X-Cache: hit|miss`, `ETag`, and `304` when `If-None-Match` matches;
- Postgres down: the last version's cached answer is served with a `Warning` header
  (stale-if-error); without one the answer is `503`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import lru_cache

import psycopg
from fastapi import HTTPException, Request, Response, status
from psycopg.errors import InsufficientPrivilege

from serving.analytics.marts import MartsNotBuilt
from serving.api.deps import ServingState, warehouse_unavailable
from serving.cache.learned_reads import LearnedRead
from serving.cache.responses import CachedAnswer, Claim, normalize_query
from serving.core.db import WAREHOUSE_DOWN
from serving.core.observability import route_template
from serving.core.replica import marts_connection
from serving.security.tenancy import pipelined_tenant_scope
from wedsync.api_keys import Principal
from wedsync.warehouse.dataset_versions import ANALYTICS_DATASET, read_dataset_version_async

#: Postgres down, or a mart dbt has just rebuilt without its grants yet: stale-if-error.
UNREADABLE: tuple[type[Exception], ...] = (*WAREHOUSE_DOWN, InsufficientPrivilege)
Compute = Callable[[psycopg.AsyncConnection, int], Awaitable[bytes]]
STALE_WARNING = '110 - "Response is Stale: the warehouse is unavailable"'


def answer_headers(answer: CachedAnswer, cache_status: str, version: int) -> dict[str, str]:
    """The headers of a cached answer, on the full stack and the hot path alike."""
    return _answer_headers(answer.etag, cache_status, version)


def _answer_headers(etag: str, cache_status: str, version: int) -> dict[str, str]:
    return {
        "ETag": etag,
        "X-Cache": cache_status,
        "X-Dataset-Version": str(version),
        "Cache-Control": "private, no-cache",
    }


RawHeaders = tuple[tuple[bytes, bytes], ...]


@lru_cache(maxsize=4096)
def raw_answer_headers(
    etag: str, cache_status: str, version: int, stale: bool, body_length: int | None
) -> RawHeaders:
    """`answer_headers` as ASGI sends them (lower-case, encoded), with the body's `Content-Type`
    and `Content-Length` unless it is a 304 (`body_length` None), and `Warning` when stale.

    Memoized: a worker sends the same few answers at one data version thousands of times, and
    building and encoding their headers was a tenth of a hot read's own CPU.
    """
    headers = _answer_headers(etag, cache_status, version)
    if stale:
        headers["Warning"] = STALE_WARNING
    if body_length is not None:
        headers["Content-Type"] = "application/json"
        headers["Content-Length"] = str(body_length)
    return tuple(
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    )


def _respond(request: Request, answer: CachedAnswer, cache_status: str, version: int) -> Response:
    headers = answer_headers(answer, cache_status, version)
    if request.headers.get("if-none-match") == answer.etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(answer.body, media_type="application/json", headers=headers)


async def _fresh_answer(
    state: ServingState, dataset: str, key_of: Callable[[int], str], compute: Compute
) -> tuple[CachedAnswer, str, int]:
    """(answer, `hit` or `miss`, data version) at the dataset's current version.

    Raises `UNREADABLE` errors when Postgres is needed and cannot be read.
    """
    # Known down: no cache claim is taken that the failed computation would leave locked.
    state.pool.breaker.check()
    pushed = state.versions.current(dataset)
    if pushed is not None:  # pushed by Postgres: a hit needs no database round trip
        state.last_versions[dataset] = pushed
        found = await state.cache.lookup(key_of(pushed))
        if isinstance(found, CachedAnswer):
            return found, "hit", pushed
        # The replica when it has replayed this version, else the primary.
        async with marts_connection(state.pool, state.replica_pool, dataset, pushed) as conn:
            return await _computed(state, conn, pushed, key_of, compute, found)
    async with state.pool.connection() as conn:
        version = await read_dataset_version_async(conn, dataset)
        state.last_versions[dataset] = version
        found = await state.cache.lookup(key_of(version))
        if isinstance(found, CachedAnswer):
            return found, "hit", version
        return await _computed(state, conn, version, key_of, compute, found)


async def _computed(
    state: ServingState,
    conn: psycopg.AsyncConnection,
    version: int,
    key_of: Callable[[int], str],
    compute: Compute,
    claim: Claim,
) -> tuple[CachedAnswer, str, int]:
    answer = await state.cache.compute_once(key_of(version), lambda: compute(conn, version), claim)
    return answer, "miss", version


async def current_answer(
    state: ServingState, dataset: str, principal: Principal, query: str, compute: Compute
) -> tuple[CachedAnswer, str, int]:
    """(answer, `hit` or `miss`, data version) of the caller's `query` (its path and parameters).

    On a miss it is computed once in the caller's tenant scope and cached. Raises `UNREADABLE`
    errors when Postgres is needed and cannot be read. Shared by the full stack
    (`cached_answer`) and the direct path of new queries (`serving.api.direct_reads`).
    """
    tenant = principal.tenant

    def key_of(version: int) -> str:
        return state.cache.key(tenant, version, query)

    async def compute_scoped(conn: psycopg.AsyncConnection, version: int) -> bytes:
        # Pipeline mode: the scope's statements go out with the route's first query, not in
        # round trips of their own (the route may send all its queries before reading any).
        async with pipelined_tenant_scope(conn, principal):
            return await compute(conn, version)

    return await _fresh_answer(state, dataset, key_of, compute_scoped)


async def cached_answer(
    request: Request,
    state: ServingState,
    *,
    dataset: str,
    principal: Principal,
    query: str,
    compute: Compute,
) -> Response:
    """Answer from the cache, or compute once in the caller's tenant scope and cache the bytes.

    A fresh answer teaches the hot path (`serving.api.hot_reads`) this caller's request.
    """
    # Routes share the tenant's key space: the path keeps their answers apart.
    query = f"{request.url.path}?{query}"
    try:
        answer, cache_status, version = await current_answer(
            state, dataset, principal, query, compute
        )
    except UNREADABLE as error:
        # No privilege: dbt has just rebuilt a mart and not yet re-applied its grants.
        last_version = state.last_versions.get(dataset)
        stale = None
        if last_version is not None:
            stale = await state.cache.get(state.cache.key(principal.tenant, last_version, query))
        if stale is None or last_version is None:
            raise warehouse_unavailable() from error
        response = _respond(request, stale, "hit", last_version)
        response.headers["Warning"] = STALE_WARNING
        return response
    state.reads.learn(
        principal,
        request.scope["path"],
        request.scope["query_string"],
        LearnedRead(route=route_template(request.scope), dataset=dataset, query=query),
    )
    return _respond(request, answer, cache_status, version)


def not_built(error: MartsNotBuilt) -> HTTPException:
    """503 naming the marts a route needs that no build has made yet."""
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(error), headers={"Retry-After": "60"}
    )


async def analytics_answer(
    request: Request,
    state: ServingState,
    principal: Principal,
    params: Mapping[str, object],
    compute: Compute,
) -> Response:
    """`cached_answer` over the `analytics` dataset (the marts and predictions Dagster builds).

    The route's query parameters are normalized into the cache key; marts not built yet are a
    `503` naming them.
    """
    try:
        return await cached_answer(
            request,
            state,
            dataset=ANALYTICS_DATASET,
            principal=principal,
            query=normalize_query(params),
            compute=compute,
        )
    except MartsNotBuilt as error:
        raise not_built(error) from error
