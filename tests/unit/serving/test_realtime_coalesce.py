"""The coalescing rule: the first delta of a quiet spell at once, then at most one per interval."""

from __future__ import annotations

import pytest

from serving.live.coalesce import Coalescer


def test_first_delta_goes_out_at_once() -> None:
    coalescer = Coalescer(interval=1.0)
    admission = coalescer.admit("sup_000001", "2026-11-25", {"enquiry_created": 1}, now=10.0)
    assert admission.ready is not None
    assert admission.ready.by_day == {"2026-11-25": {"enquiry_created": 1}}
    assert admission.flush_at is None


def test_burst_within_the_interval_is_merged_and_flushed_once() -> None:
    coalescer = Coalescer(interval=1.0)
    coalescer.admit("sup_000001", "2026-11-25", {"rsvp_updated": 1}, now=10.0)
    second = coalescer.admit("sup_000001", "2026-11-25", {"rsvp_updated": 2}, now=10.2)
    third = coalescer.admit("sup_000001", "2026-11-25", {"enquiry_created": 1}, now=10.5)
    assert second.ready is None
    assert second.flush_at == pytest.approx(11.0)
    # Only the first pending delta asks for a flush: one timer per supplier.
    assert third.ready is None and third.flush_at is None
    merged = coalescer.flush("sup_000001", now=11.0)
    assert merged is not None
    # The first delta already went out on its own; the merged one holds the rest.
    assert merged.by_day == {"2026-11-25": {"rsvp_updated": 2, "enquiry_created": 1}}
    assert merged.events == 3
    assert coalescer.flush("sup_000001", now=11.0) is None


def test_after_a_flush_the_next_delta_waits_for_the_interval_again() -> None:
    coalescer = Coalescer(interval=1.0)
    coalescer.admit("sup_000001", "2026-11-25", {"quote_sent": 1}, now=0.0)
    coalescer.admit("sup_000001", "2026-11-25", {"quote_sent": 1}, now=0.5)
    coalescer.flush("sup_000001", now=1.0)
    admission = coalescer.admit("sup_000001", "2026-11-25", {"quote_sent": 1}, now=1.4)
    assert admission.ready is None
    assert admission.flush_at == pytest.approx(2.0)


def test_suppliers_are_coalesced_independently() -> None:
    coalescer = Coalescer(interval=1.0)
    coalescer.admit("sup_000001", "2026-11-25", {"profile_view": 1}, now=0.0)
    other = coalescer.admit("sup_000002", "2026-11-25", {"profile_view": 1}, now=0.1)
    assert other.ready is not None and other.ready.supplier_id == "sup_000002"


def test_deltas_of_different_days_stay_apart() -> None:
    coalescer = Coalescer(interval=1.0)
    coalescer.admit("sup_000001", "2026-11-24", {"booking_confirmed": 1}, now=0.0)
    coalescer.admit("sup_000001", "2026-11-24", {"booking_confirmed": 1}, now=0.1)
    coalescer.admit("sup_000001", "2026-11-25", {"booking_confirmed": 2}, now=0.2)
    merged = coalescer.flush("sup_000001", now=1.0)
    assert merged is not None
    assert merged.by_day == {
        "2026-11-24": {"booking_confirmed": 1},
        "2026-11-25": {"booking_confirmed": 2},
    }


def test_forget_idle_keeps_pending_suppliers() -> None:
    coalescer = Coalescer(interval=1.0)
    coalescer.admit("sup_000001", "2026-11-25", {"profile_view": 1}, now=0.0)
    coalescer.admit("sup_000001", "2026-11-25", {"profile_view": 1}, now=0.5)
    coalescer.admit("sup_000002", "2026-11-25", {"profile_view": 1}, now=0.0)
    coalescer.forget_idle(now=5.0)
    # sup_000002 is forgotten, so its next delta goes out at once; sup_000001 still flushes.
    assert coalescer.admit("sup_000002", "2026-11-25", {"profile_view": 1}, now=5.0).ready
    assert coalescer.flush("sup_000001", now=5.0) is not None


def test_negative_interval_is_rejected_naming_it() -> None:
    with pytest.raises(ValueError, match="interval"):
        Coalescer(interval=-1)
