"""Wedding-day priority: suppliers with a confirmed wedding today or tomorrow.

A florist whose wedding is tomorrow must not be throttled while checking their bookings, so
the rate limiter never gives them less than the professional limit. The set of such suppliers
changes at most daily; each worker reads it every `REFRESH_SECONDS` off the request path.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool

from serving.core.background import raise_if_cancelled
from serving.security.tenancy import tenant_scope

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 60.0
UK = ZoneInfo("Europe/London")
# Where confirmed bookings are found, best first: every standing booking, else the alert mart
# (which only lists bookings with something outstanding).
BOOKING_SOURCES = ("marts.fct_bookings", "marts.wedding_day_alerts")

_SOURCE = "select to_regclass(%s) is not null"
_SUPPLIERS_MARRYING = sql.SQL(
    "select distinct supplier_id from {source} "
    "where wedding_date between %(today)s and %(today)s + 1 {confirmed}"
)
_CONFIRMED = sql.SQL("and status = 'confirmed'")


def uk_today() -> dt.date:
    """Today in the UK, where the weddings are (priority turns over at UK midnight)."""
    return dt.datetime.now(UK).date()


class WeddingDayPriority:
    """The suppliers whose wedding is today or tomorrow, refreshed in the background."""

    def __init__(self, pool: AsyncConnectionPool, refresh_seconds: float = REFRESH_SECONDS):
        self._pool = pool
        self._refresh_seconds = refresh_seconds
        self.suppliers: frozenset[str] = frozenset()

    def applies_to(self, supplier_id: str | None) -> bool:
        """True when `supplier_id` has a confirmed wedding today or tomorrow."""
        return supplier_id is not None and supplier_id in self.suppliers

    async def refresh(self, today: dt.date | None = None) -> None:
        """Re-read the suppliers marrying today or tomorrow (kept as they were on failure)."""
        today = today or uk_today()
        async with self._pool.connection() as conn, tenant_scope(conn, None):
            for source in BOOKING_SOURCES:
                cursor = await conn.execute(_SOURCE, (source,))
                row = await cursor.fetchone()
                if row is not None and row[0]:
                    query = _SUPPLIERS_MARRYING.format(
                        source=sql.Identifier(*source.split(".")),
                        confirmed=_CONFIRMED if source.endswith("fct_bookings") else sql.SQL(""),
                    )
                    cursor = await conn.execute(query, {"today": today})
                    self.suppliers = frozenset(r[0] for r in await cursor.fetchall())
                    return
        self.suppliers = frozenset()

    async def run(self) -> None:
        """Refresh every `refresh_seconds` until cancelled."""
        while True:
            try:
                await self.refresh()
            except psycopg.Error as error:  # down (pool errors are psycopg errors) or unreadable
                # Down, or a mart being rebuilt by dbt: keep the last set until the next try.
                logger.debug("wedding-day priority not refreshed: %s", error)
            raise_if_cancelled()
            await asyncio.sleep(self._refresh_seconds)
