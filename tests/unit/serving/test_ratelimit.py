"""The in-process sliding window (Redis down) and the rate-limit headers."""

from __future__ import annotations

from serving.ratelimit import LocalWindow, RateDecision


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
