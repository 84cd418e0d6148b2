"""Referrals (issue 14): the true partner pairs and referred bookings the truth file records
are what the exports show, and referrals leave the market's own draws as they were."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.unit.simulator.conftest import AS_OF
from tests.unit.simulator.landing import read_entity, read_truth
from wedsync.simulator import SimulationConfig, referrals, simulate


@pytest.fixture(scope="module")
def pairs(mid_landing: Path) -> pd.DataFrame:
    return read_truth(mid_landing, "referral_pairs")


@pytest.fixture(scope="module")
def referred(mid_landing: Path) -> pd.DataFrame:
    return read_truth(mid_landing, "referrals")


def test_partners_are_a_few_local_suppliers_of_other_types(
    pairs: pd.DataFrame, mid_exports: dict[str, pd.DataFrame]
) -> None:
    suppliers = mid_exports["suppliers"].drop_duplicates("supplier_id").set_index("supplier_id")
    assert set(pairs["supplier_id"]) == set(suppliers.index)  # every supplier has partners here
    per_supplier = pairs.groupby("supplier_id").size()
    assert per_supplier.between(referrals.PARTNERS_MIN, referrals.PARTNERS_MAX).all()
    assert not pairs.duplicated(["supplier_id", "partner_id"]).any()
    partner = suppliers.loc[pairs["partner_id"]]
    assert (partner["region"].to_numpy() == pairs["region"].to_numpy()).all()
    assert (partner["vendor_type"].to_numpy() == pairs["partner_vendor_type"].to_numpy()).all()
    assert (pairs["supplier_vendor_type"] != pairs["partner_vendor_type"]).all()


def test_each_referral_goes_to_a_true_partner_after_booking_the_referrer(
    pairs: pd.DataFrame, referred: pd.DataFrame, mid_exports: dict[str, pd.DataFrame]
) -> None:
    assert len(referred) > 500
    true_pairs = set(zip(pairs["supplier_id"], pairs["partner_id"], strict=True))
    assert all(
        pair in true_pairs
        for pair in zip(referred["referred_by"], referred["supplier_id"], strict=True)
    )
    enquiries = mid_exports["enquiries"].drop_duplicates("enquiry_id").set_index("enquiry_id")
    made = enquiries.loc[referred["enquiry_id"]]
    assert (made["channel"] == "referral").all()
    assert (made["supplier_id"].to_numpy() == referred["supplier_id"].to_numpy()).all()
    assert (made["couple_id"].to_numpy() == referred["couple_id"].to_numpy()).all()
    bookings = mid_exports["bookings"].drop_duplicates("booking_id")
    first_booked = bookings.groupby(["couple_id", "supplier_id"])["booked_at"].min()
    referrer_booked = first_booked.loc[
        list(zip(referred["couple_id"], referred["referred_by"], strict=True))
    ]
    # The couple booked the referrer before it enquired with the partner.
    assert (referrer_booked.to_numpy() < made["created_at"].to_numpy()).all()


def test_referred_bookings_are_exported_and_book_more_often_than_other_enquiries(
    referred: pd.DataFrame, mid_landing: Path, mid_exports: dict[str, pd.DataFrame]
) -> None:
    booked = referred[referred["booking_id"].notna()]
    bookings = mid_exports["bookings"].drop_duplicates("booking_id").set_index("booking_id")
    assert (
        bookings.loc[booked["booking_id"], "enquiry_id"].to_numpy() == booked["enquiry_id"]
    ).all()
    outcomes = read_truth(mid_landing, "enquiry_outcomes").set_index("enquiry_id")
    referred_rate = outcomes.loc[referred["enquiry_id"], "booked"].mean()
    other_rate = outcomes.drop(referred["enquiry_id"])["booked"].mean()
    assert referred_rate > other_rate + 0.15


def test_referrals_add_enquiries_and_leave_the_markets_own_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same seed with and without referrals: the same suppliers and couples, and every
    enquiry of the run without referrals is in the run with them, unchanged."""
    with_referrals, without = tmp_path / "with", tmp_path / "without"
    simulate(SimulationConfig(landing_dir=with_referrals, as_of=AS_OF, seed=5, scale=0.05))
    monkeypatch.setattr(referrals, "REFERRAL_RATE", 0.0)
    simulate(SimulationConfig(landing_dir=without, as_of=AS_OF, seed=5, scale=0.05))

    for entity in ("suppliers", "couples"):
        pd.testing.assert_frame_equal(
            read_entity(with_referrals, entity), read_entity(without, entity)
        )
    key = ["couple_id", "supplier_id", "created_at", "wedding_date", "channel", "guest_count"]
    market = read_entity(without, "enquiries")[key]
    everything = read_entity(with_referrals, "enquiries")[key]
    added = everything.merge(market, how="left", indicator=True)
    assert (added["_merge"] == "both").sum() == len(market)
    referred = read_truth(with_referrals, "referrals")
    assert (added["_merge"] == "left_only").sum() == len(referred) > 0
    assert read_truth(without, "referrals").empty
