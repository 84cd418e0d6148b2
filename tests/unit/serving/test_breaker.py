"""The warehouse breaker: which errors mean "Postgres is gone", and that an open breaker refuses."""

from __future__ import annotations

import asyncio

import psycopg
import pytest
from psycopg import errors

from serving.core.breaker import WarehouseBreaker, WarehouseUnavailable, means_unreachable

# Nothing listens on port 1: every probe is refused at once.
NOWHERE = "postgresql://postgres@127.0.0.1:1/wedsync"


def test_lost_and_refused_connections_mean_unreachable_but_query_errors_do_not() -> None:
    assert means_unreachable(psycopg.OperationalError("server closed the connection"))
    assert means_unreachable(errors.AdminShutdown("terminating connection"))
    assert means_unreachable(errors.CannotConnectNow("the database system is starting up"))
    assert not means_unreachable(errors.QueryCanceled("statement timeout"))
    assert not means_unreachable(errors.UndefinedTable("no such table"))
    assert not means_unreachable(WarehouseUnavailable("already open"))


def test_an_open_breaker_refuses_at_once_and_keeps_probing() -> None:
    async def scenario() -> tuple[bool, str | None, bool]:
        breaker = WarehouseBreaker(NOWHERE, probe_seconds=0.01)
        breaker.check()  # closed: nothing raised
        breaker.trip("server closed the connection")
        with pytest.raises(WarehouseUnavailable, match="unavailable"):
            breaker.check()
        await asyncio.sleep(0.1)  # several probes, all refused
        still_open, outages = breaker.is_open, breaker.outages
        await breaker.stop()
        return still_open, breaker.reason, outages == 1

    still_open, reason, one_outage = asyncio.run(scenario())
    assert still_open and one_outage
    assert reason is not None and "refused" in reason.lower()


def test_a_suspicion_the_probe_confirms_opens_the_breaker() -> None:
    recovered: list[bool] = []

    async def recovery() -> None:
        recovered.append(True)

    async def scenario() -> bool:
        breaker = WarehouseBreaker(NOWHERE, on_recovery=recovery)
        breaker.suspect("no pooled connection within the timeout")
        await asyncio.sleep(0.5)
        await breaker.stop()
        return breaker.is_open

    assert asyncio.run(scenario()) is True
    assert recovered == []


class GatedBreaker(WarehouseBreaker):
    """A breaker whose probe answers once the test opens the gate (Postgres is back)."""

    def __init__(self) -> None:
        super().__init__(NOWHERE, probe_seconds=0.01)
        self.gate = asyncio.Event()

    async def _answers(self) -> bool:
        await self.gate.wait()
        return True


def test_a_trip_while_a_suspicion_is_being_probed_still_ends_with_the_breaker_closed() -> None:
    # A failover behind pgbouncer: a pool timeout makes the worker probe once, and while that
    # probe waits a request finds its connection cut and trips the breaker. The breaker must
    # still close when Postgres answers (it stayed open for good, refusing every request).
    async def scenario() -> bool:
        breaker = GatedBreaker()
        breaker.suspect("no pooled connection within the timeout")
        await asyncio.sleep(0)  # the probe is under way
        breaker.trip("server closed the connection unexpectedly")
        breaker.gate.set()
        for _ in range(200):
            if not breaker.is_open:
                break
            await asyncio.sleep(0.01)
        still_open = breaker.is_open
        await breaker.stop()
        return still_open

    assert asyncio.run(scenario()) is False


def test_the_breaker_stays_open_until_every_recovery_hook_is_done() -> None:
    # Issue 16: closing before the version listener was back sent every cached read down the
    # full stack to a pool still refilling (reads of ~270 ms at the moment of recovery).
    async def scenario() -> tuple[bool, bool, list[str]]:
        order: list[str] = []
        listener_back = asyncio.Event()

        async def refill_pool() -> None:
            order.append("pool")

        async def listener_reconnected() -> None:
            await listener_back.wait()
            order.append("listener")

        breaker = GatedBreaker()
        breaker.add_recovery(refill_pool)
        breaker.add_recovery(listener_reconnected)
        breaker.trip("server closed the connection unexpectedly")
        breaker.gate.set()
        for _ in range(20):  # Postgres answers; the pool is refilled; the listener is not back
            await asyncio.sleep(0.01)
        open_while_listener_away = breaker.is_open
        listener_back.set()
        for _ in range(200):
            if not breaker.is_open:
                break
            await asyncio.sleep(0.01)
        closed = not breaker.is_open
        await breaker.stop()
        return open_while_listener_away, closed, order

    open_while_listener_away, closed, order = asyncio.run(scenario())
    assert open_while_listener_away and closed
    assert order == ["pool", "listener"]
