"""The in-process sliding window (Redis down), leases of Redis slots, and the headers."""

from __future__ import annotations

from serving.limits.ratelimit import (
    LEASE_SHARE,
    LEASE_WINDOW_SHARE,
    MAX_LEASE,
    Lease,
    LocalWindow,
    RateDecision,
)

#: A 60-second window's lease length.
LEASE = 60 / LEASE_WINDOW_SHARE


def test_the_window_slides_instead_of_resetting_at_a_boundary() -> None:
    window = LocalWindow(window_seconds=60)
    assert [window.hit("sup_000001", 2, now=t).allowed for t in (0, 30, 59)] == [
        True,
        True,
        False,
    ]
    # At 60 s the first request has left the window, the one at 30 s has not.
    later = window.hit("sup_000001", 2, now=60.5)
    assert later.allowed
    assert later.remaining == 0
    assert not window.hit("sup_000001", 2, now=61).allowed
    assert window.hit("sup_000002", 2, now=61).allowed  # tenants are independent


def test_a_refusal_says_when_to_retry() -> None:
    window = LocalWindow(window_seconds=60)
    window.hit("sup_000001", 1, now=100)
    refused = window.hit("sup_000001", 1, now=110)
    assert refused == RateDecision(allowed=False, limit=1, remaining=0, reset_seconds=50)
    assert refused.headers() == {
        "X-RateLimit-Limit": "1",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "50",
        "Retry-After": "50",
    }
    assert "Retry-After" not in RateDecision(True, 100, 99, 60).headers()


def lease(size: int = 4, unused: int = 3, limit: int = 1000) -> Lease:
    """A lease of `size` slots for `limit`, claimed at t=100 s with 10 requests in the window,
    lasting as a 60-second window's lease does."""
    return Lease(
        limit=limit,
        size=size,
        unused=unused,
        claimed_at=100.0,
        ends_at=100.0 + LEASE,
        count=10,
        reset_at=160.0,
    )


def test_a_lease_hands_out_its_slots_then_nothing() -> None:
    held = lease()
    taken = [held.take(1000, now=100.1) for _ in range(4)]
    assert [d.remaining if d else None for d in taken] == [992, 991, 990, None]
    # The headers count the lease's unused slots as free: 10 in the window, 2 of them unused.
    first = lease().take(1000, now=100.1)
    assert first is not None and (first.limit, first.remaining, first.reset_seconds) == (
        1000,
        992,
        60,
    )


def test_a_lease_lasts_a_share_of_the_window_not_a_second() -> None:
    # With 200 tenants in turn a worker sees each a few times a second: a one-second lease
    # sent about every other cached request to Redis.
    assert LEASE > 1
    assert lease().take(1000, now=101.5) is not None
    assert lease().take(1000, now=100.0 + LEASE - 0.001) is not None


def test_an_ended_lease_or_another_limit_hands_out_nothing() -> None:
    assert lease().take(1000, now=100.0 + LEASE) is None
    assert lease().take(500, now=100.1) is None  # e.g. wedding-day priority just began


def test_leases_grow_with_a_busy_tenant_and_shrink_back() -> None:
    # Used up quickly: twice as many next time, up to a share of the limit and a cap.
    assert lease(size=4, unused=0).next_size(1000, now=100.1) == 8
    assert lease(size=40, unused=0).next_size(1000, now=100.1) == 1000 // LEASE_SHARE
    assert lease(MAX_LEASE, 0, limit=10**9).next_size(10**9, now=100.1) == MAX_LEASE
    # Ended with slots left: as many as were used in its time.
    assert lease(size=8, unused=5).next_size(1000, now=100.0 + LEASE) == 3
    # Idle for a while, or a small limit: one slot at a time, exactly as without leases.
    assert lease(size=8, unused=0).next_size(1000, now=100.0 + 2 * LEASE) == 1
    assert lease(size=1, unused=0).next_size(3, now=100.1) == 1
