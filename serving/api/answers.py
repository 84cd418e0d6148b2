"""Cached JSON answers: data version, cache lookup, one computation, ETag and stale-if-error.

Every cached read route goes through `cached_answer`, so they all behave alike:
- the answer is keyed by tenant, the dataset's current version and the normalized query;
- `X-Cache: hit|miss`, `ETag`, and `304` when `If-None-Match` matches;
- Postgres down: the last version's cached answer is served with a `Warning` header
  (stale-if-error); without one the answer is `503`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import psycopg
from fastapi import Request, Response, status

from serving.api.deps import ServingState, warehouse_unavailable
from serving.cache import CachedAnswer, cache_key
from serving.db import WAREHOUSE_DOWN
from wedsync.warehouse.dataset_versions import read_dataset_version_async

Compute = Callable[[psycopg.AsyncConnection, int], Awaitable[bytes]]
STALE_WARNING = '110 - "Response is Stale: the warehouse is unavailable"'


def _respond(request: Request, answer: CachedAnswer, cache_status: str, version: int) -> Response:
    headers = {
        "ETag": answer.etag,
        "X-Cache": cache_status,
        "X-Dataset-Version": str(version),
        "Cache-Control": "private, no-cache",
    }
    if request.headers.get("if-none-match") == answer.etag:
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(answer.body, media_type="application/json", headers=headers)


async def cached_answer(
    request: Request,
    state: ServingState,
    *,
    dataset: str,
    tenant: str,
    query: str,
    compute: Compute,
) -> Response:
    """Answer from the cache, or compute once with a pooled connection and cache the bytes."""
    try:
        async with state.pool.connection() as conn:
            version = await read_dataset_version_async(conn, dataset)
            state.last_versions[dataset] = version
            key = cache_key(tenant, version, query)
            cached = await state.cache.get(key)
            if cached is not None:
                return _respond(request, cached, "hit", version)
            answer = await state.cache.compute_once(key, lambda: compute(conn, version))
            return _respond(request, answer, "miss", version)
    except WAREHOUSE_DOWN as error:
        last_version = state.last_versions.get(dataset)
        stale = None
        if last_version is not None:
            stale = await state.cache.get(cache_key(tenant, last_version, query))
        if stale is None or last_version is None:
            raise warehouse_unavailable() from error
        response = _respond(request, stale, "hit", last_version)
        response.headers["Warning"] = STALE_WARNING
        return response
