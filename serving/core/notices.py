"""A Postgres LISTEN connection kept open by a worker: how changes reach every worker at once.

The data versions (`serving.cache.versions`) and key revocations (`serving.security.revocations`)
are both pushed this way: a trigger or the revoking transaction NOTIFYs, and each worker's
listener applies the notice as it commits. A subclass reads its starting state in `listening`
(after LISTEN, so no change can fall between the read and the first notice) and applies each
notice in `notified`. While the connection is down `live` is False; `reconnected` brings it
back at once when the warehouse breaker sees Postgres answer again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import psycopg
from psycopg import sql

from serving.core.background import raise_if_cancelled

logger = logging.getLogger(__name__)

RECONNECT_SECONDS = 1.0
#: How long a recovering warehouse waits for a listener to be live again (`reconnected`).
RECONNECTED_WAIT_SECONDS = 1.0

# A silently dead network would leave LISTEN waiting forever; TCP keepalives notice it.
_KEEPALIVES = {
    "keepalives": "1",
    "keepalives_idle": "5",
    "keepalives_interval": "2",
    "keepalives_count": "2",
}


class NoticeListener:
    """LISTENs on one channel until cancelled, reconnecting after a failure."""

    channel: str

    def __init__(self, conninfo: str, on_lost: Callable[[str], None] | None = None) -> None:
        self._conninfo = conninfo
        # Told when a live listener loses Postgres: it is often the first to see an outage.
        self._on_lost = on_lost
        self.live = False
        self._wake = asyncio.Event()
        self._live = asyncio.Event()

    async def listening(self, conn: psycopg.AsyncConnection) -> None:
        """Read the state the notices will change (called once per connection, after LISTEN)."""

    def notified(self, payload: str) -> None:
        """Apply one notice."""
        raise NotImplementedError

    async def _listen(self) -> None:
        conninfo = psycopg.conninfo.make_conninfo(self._conninfo, **_KEEPALIVES)
        async with await psycopg.AsyncConnection.connect(conninfo, autocommit=True) as conn:
            await conn.execute(sql.SQL("listen {}").format(sql.Identifier(self.channel)))
            await self.listening(conn)
            self.live = True
            self._live.set()
            async for notice in conn.notifies():
                self.notified(notice.payload)

    async def run(self) -> None:
        """Listen until cancelled, reconnecting every `RECONNECT_SECONDS` after a failure."""
        while True:
            try:
                await self._listen()
            except (psycopg.Error, OSError) as error:
                logger.debug("%s: listener down (%s)", self.channel, error)
                if self.live and self._on_lost is not None:
                    self._on_lost(f"the {self.channel} listener lost Postgres: {error}")
            finally:
                self.live = False
                self._live.clear()
            raise_if_cancelled()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), RECONNECT_SECONDS)
            self._wake.clear()

    async def reconnected(self) -> None:
        """Reconnect now rather than at the next retry, and wait (at most
        `RECONNECTED_WAIT_SECONDS`) until listening again.

        The warehouse breaker awaits this before it closes (issue 16): until the listener is
        back the data versions are unknown, and every cached read would go down the full
        stack to a pool still refilling after the restart, a stall of a few hundred ms.
        """
        self._wake.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._live.wait(), RECONNECTED_WAIT_SECONDS)
