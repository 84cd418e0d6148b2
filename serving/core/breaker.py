"""A circuit breaker in front of the warehouse: an outage is noticed once, not once per request.

Without it, every request made while Postgres was down waited out the pool's timeout (5 s)
before its cached answer or its 503: a wedding-day dashboard froze whenever Postgres restarted.
With it, the first sign of an outage (a pooled connection found broken, the dataset-version
listener losing its connection, a probe after a pool timeout) opens the breaker; while open,
`check` raises `WarehouseUnavailable` at once, so cached reads are answered stale in
milliseconds and uncached reads and ingest get `503` with `Retry-After` straight away.

One probe task per worker reconnects every `PROBE_SECONDS`; when Postgres answers, the
recovery hooks run (the pool's idle connections are checked, those the outage broke replaced;
the notice listeners reconnect) and only then the breaker closes: recovery needs no restart,
and no request meets a pool or a listener still coming back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import psycopg

logger = logging.getLogger(__name__)

PROBE_SECONDS = 0.5
PROBE_CONNECT_TIMEOUT_SECONDS = 1
#: Server-side states that mean "not reachable now": admin shutdown, crash, starting up.
_DOWN_SQLSTATES = frozenset({"57P01", "57P02", "57P03"})


class WarehouseUnavailable(psycopg.OperationalError):
    """The breaker is open: Postgres was found unreachable and has not answered a probe since.

    An `OperationalError`, so every handler of an unreachable warehouse handles it too.
    """


def first_line(error: BaseException) -> str:
    """The first line of an error's message (psycopg's run over several)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def means_unreachable(error: BaseException) -> bool:
    """Whether `error` says the server, not the query, failed (a lost or refused connection)."""
    if isinstance(error, WarehouseUnavailable) or not isinstance(error, psycopg.OperationalError):
        return False
    sqlstate = error.sqlstate
    # No SQLSTATE: the client lost or could not open the connection.
    return sqlstate is None or sqlstate.startswith("08") or sqlstate in _DOWN_SQLSTATES


class WarehouseBreaker:
    """Open while Postgres is unreachable; closed again by its own probe."""

    def __init__(
        self,
        conninfo: str,
        *,
        probe_seconds: float = PROBE_SECONDS,
        on_recovery: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._conninfo = conninfo
        self._probe_seconds = probe_seconds
        self._on_recovery = [on_recovery] if on_recovery is not None else []
        self._opened_at: float | None = None
        self.reason: str | None = None
        self.outages = 0
        self._probe: asyncio.Task[None] | None = None

    def add_recovery(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Await `hook` too when Postgres answers again, before the breaker closes."""
        self._on_recovery.append(hook)

    @property
    def is_open(self) -> bool:
        """Whether requests are refused without trying Postgres."""
        return self._opened_at is not None

    @property
    def open_seconds(self) -> float | None:
        """For how long the warehouse has been unreachable (None while closed)."""
        return None if self._opened_at is None else time.monotonic() - self._opened_at

    def check(self) -> None:
        """Raise `WarehouseUnavailable` at once while the breaker is open."""
        if self._opened_at is not None:
            raise WarehouseUnavailable(f"the warehouse is unavailable ({self.reason})")

    def trip(self, reason: str) -> None:
        """Open the breaker (idempotent) and start probing for the warehouse's return."""
        if self._opened_at is None:
            self._opened_at = time.monotonic()
            self.reason = reason
            self.outages += 1
            logger.warning("warehouse unreachable (%s): serving degraded until it answers", reason)
        self._start_probe(until_back=True)

    def suspect(self, reason: str) -> None:
        """Probe once now (a pool timeout may be load, not an outage); trip if it fails."""
        if self._opened_at is None:
            self.reason = reason
            self._start_probe(until_back=False)

    async def stop(self) -> None:
        """Cancel the probe (the worker is shutting down)."""
        if self._probe is not None:
            self._probe.cancel()
            await asyncio.gather(self._probe, return_exceptions=True)
            self._probe = None

    def _start_probe(self, *, until_back: bool) -> None:
        if self._probe is not None and not self._probe.done():
            return
        self._probe = asyncio.get_running_loop().create_task(
            self._probe_until_back() if until_back else self._probe_once(), name="warehouse-probe"
        )

    async def _answers(self) -> bool:
        try:
            async with await psycopg.AsyncConnection.connect(
                self._conninfo, connect_timeout=PROBE_CONNECT_TIMEOUT_SECONDS, autocommit=True
            ) as conn:
                await conn.execute("select 1")
        except (psycopg.Error, OSError) as error:
            self.reason = first_line(error)
            return False
        return True

    async def _recover(self) -> None:
        for hook in self._on_recovery:
            await hook()

    async def _probe_once(self) -> None:
        if not await self._answers():
            self._probe = None
            self.trip(self.reason or "probe failed")
            return
        # Back already (a quick restart): connections the restart broke are replaced now,
        # before a request is handed one.
        await self._recover()
        if self._opened_at is not None:
            # A request tripped the breaker while this probe ran, and found a probe running
            # (this one, which never closes it): probe on until Postgres answers. Without
            # this a failover behind pgbouncer left a worker refusing every request for good.
            self._probe = None
            self._start_probe(until_back=True)

    async def _probe_until_back(self) -> None:
        while True:
            await asyncio.sleep(self._probe_seconds)
            if await self._answers():
                break
        await self._recover()
        down_for = self.open_seconds or 0.0
        self._opened_at = None
        self.reason = None
        logger.warning("warehouse answers again after %.1f s: breaker closed", down_for)
