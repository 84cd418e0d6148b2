"""Redis and Postgres killed and restarted, an API worker SIGKILLed: all under load.

What must never happen, whatever dies: an acknowledged event lost or stored twice, a
dashboard's cached read refused while only a dependency is down, a live feed that does not
resume (or that goes quiet instead of saying it is degraded), or a recovery that needs a
restart. Latency is not asserted here (tests never assert on time): `benchmarks/faults.py`
prints the slowest cached read of each fault next to the same run's reads before the fault.
"""

from __future__ import annotations

import math

import pytest

from benchmarks.faults import FaultFigures, run_fault

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _never_lost_or_doubled(figures: FaultFigures) -> None:
    print(figures.line())
    assert figures.acknowledged > 0
    assert figures.lost == 0, f"{figures.lost} acknowledged events are missing"
    assert figures.doubled == 0, f"{figures.doubled} events were stored twice"
    assert math.isfinite(figures.recovery_seconds), "the API did not recover by itself"
    assert figures.feeds_resumed == figures.feeds, "a live feed did not resume"


@pytest.mark.parametrize("fault", ["redis_killed", "postgres_restarted", "postgres_sigkill"])
def test_a_dependency_dies_under_load_and_cached_reads_carry_on(fault: str) -> None:
    figures = run_fault(fault)
    _never_lost_or_doubled(figures)
    assert figures.refused_reads == 0, f"cached reads refused: {figures.refusals}"
    if fault.startswith("postgres"):
        assert figures.stale_reads > 0  # served from the cache, saying so
        assert figures.ingest_refusals > 0  # 503 + Retry-After, then resent and acknowledged
        assert figures.degraded_statuses > 0  # the live feed said it was degraded


def test_an_api_worker_sigkilled_with_sockets_and_requests_open() -> None:
    figures = run_fault("api_worker_sigkill")
    _never_lost_or_doubled(figures)
    # The killed worker's clients lose their connections (a read in flight fails, a feed
    # drops); they reconnect to the other worker, or to its replacement.
    assert figures.feed_reconnects > 0 or figures.refused_reads > 0
    assert set(figures.refusals) <= {"ReadError", "RemoteProtocolError", "ConnectError"}
