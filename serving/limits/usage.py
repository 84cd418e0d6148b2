"""API usage per key, endpoint and day: summed in memory, written to `app.api_usage` in batches.

Recording usage must not cost a request a database round trip, so requests only bump an
in-memory counter and a background task upserts the sums every `FLUSH_INTERVAL_SECONDS`. If
Postgres is down the sums are kept and added to the next flush; what a worker had not flushed
when it died is lost (usage is for billing estimates and `GET /api/usage`, not accounting).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import psycopg
from psycopg_pool import AsyncConnectionPool

from serving.core.background import raise_if_cancelled
from serving.security.tenancy import tenant_scope
from wedsync.api_keys import Principal

logger = logging.getLogger(__name__)

FLUSH_INTERVAL_SECONDS = 2.0

_UPSERT = """
insert into app.api_usage as u (key_id, supplier_id, day, endpoint, requests, errors, throttled)
select * from unnest(%s::text[], %s::text[], %s::date[], %s::text[],
                     %s::bigint[], %s::bigint[], %s::bigint[])
on conflict (key_id, day, endpoint) do update set
    requests = u.requests + excluded.requests,
    errors = u.errors + excluded.errors,
    throttled = u.throttled + excluded.throttled
"""


@dataclass
class _Tally:
    requests: int = 0
    errors: int = 0
    throttled: int = 0


UsageKey = tuple[str, str | None, dt.date, str]


def upsert_columns(pending: Mapping[UsageKey, _Tally]) -> list[list[object]]:
    """The upsert's column arrays, rows in the order of the table's conflict key.

    Every worker flushes into the same `(key_id, day, endpoint)` rows; in one order they take
    the rows' locks one after another, where in each worker's own order two flushes deadlocked
    (seen under the API benchmark's two workers: the loser's counts waited a flush).
    """
    keys = sorted(pending, key=lambda k: (k[0], k[2], k[3]))
    return [
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        [k[3] for k in keys],
        [pending[k].requests for k in keys],
        [pending[k].errors for k in keys],
        [pending[k].throttled for k in keys],
    ]


class UsageRecorder:
    """Counts requests per key and endpoint; `flush` writes the counts since the last flush."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool
        self._pending: defaultdict[UsageKey, _Tally] = defaultdict(_Tally)

    def record(self, principal: Principal, endpoint: str, status_code: int) -> None:
        """Count one answered request (a 429 counts as throttled, other 4xx/5xx as errors)."""
        tally = self._pending[
            (principal.key_id, principal.supplier_id, dt.datetime.now(dt.UTC).date(), endpoint)
        ]
        tally.requests += 1
        if status_code == 429:
            tally.throttled += 1
        elif status_code >= 400:
            tally.errors += 1

    async def flush(self) -> bool:
        """Upsert the pending counts; on failure keep them for the next flush (False)."""
        pending, self._pending = self._pending, defaultdict(_Tally)
        if not pending:
            return True
        columns = upsert_columns(pending)
        try:
            async with self._pool.connection() as conn, tenant_scope(conn, None):
                await conn.execute(_UPSERT, columns)
        except psycopg.Error as error:  # down (pool errors are psycopg errors) or refused
            logger.warning("API usage not recorded yet (%s); retrying at the next flush", error)
            for key, tally in pending.items():
                kept = self._pending[key]
                kept.requests += tally.requests
                kept.errors += tally.errors
                kept.throttled += tally.throttled
            return False
        return True

    async def run(self) -> None:
        """Flush every `FLUSH_INTERVAL_SECONDS` until cancelled (then flush what is left)."""
        try:
            while True:
                await asyncio.sleep(FLUSH_INTERVAL_SECONDS)
                await self.flush()
                raise_if_cancelled()
        finally:
            await self.flush()
