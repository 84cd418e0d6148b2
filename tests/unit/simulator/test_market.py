"""The simulated market has scarcity, competition, price response and weather (issue 12)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.unit.simulator.conftest import AS_OF
from tests.unit.simulator.landing import read_truth
from wedsync.simulator import calibration as cal
from wedsync.simulator.market import resolve_bookings
from wedsync.simulator.weather import fair_weather


@pytest.fixture(scope="module")
def clean_bookings(mid_exports: dict[str, pd.DataFrame], mid_landing: Path) -> pd.DataFrame:
    """Confirmed bookings without an injected defect, with their supplier's type."""
    defects = read_truth(mid_landing, "defects")
    bookings = mid_exports["bookings"]
    bookings = bookings[
        (bookings["status"] == "confirmed") & ~bookings["booking_id"].isin(defects["row_key"])
    ]
    return bookings.merge(
        mid_exports["suppliers"][["supplier_id", "vendor_type"]], on="supplier_id"
    ).merge(read_truth(mid_landing, "supplier_market"), on="supplier_id")


def test_no_supplier_takes_more_weddings_on_a_date_than_it_can_serve(clean_bookings):
    per_date = clean_bookings.groupby(["supplier_id", "wedding_date"])["booking_id"].transform(
        "size"
    )
    assert (per_date <= clean_bookings["weddings_per_date"]).all()
    venues = clean_bookings[clean_bookings["vendor_type"] == "venue"]
    assert venues.groupby(["supplier_id", "wedding_date"]).size().max() == 1
    # Only photographers with a second shooter ever shoot two weddings on one date.
    photographers = clean_bookings[clean_bookings["vendor_type"] == "photographer"]
    two = photographers.groupby(["supplier_id", "wedding_date"]).size() == 2
    assert two.any()
    doubled = set(two[two].index.get_level_values("supplier_id"))
    shooters = photographers.set_index("supplier_id").loc[list(doubled), "weddings_per_date"]
    assert shooters.eq(2).all()


def test_a_couple_books_at_most_one_supplier_of_each_type(clean_bookings):
    assert clean_bookings.groupby(["couple_id", "vendor_type"]).size().max() == 1


def test_market_turns_away_wishes_when_the_date_or_the_couple_is_taken():
    # Two couples want the same venue date; the first to decide wins it. A third enquiry of
    # couple 0 (a rival venue) decides later and finds the couple already booked.
    enquiries = pd.DataFrame(
        {
            "plan": [0, 1, 0],
            "vendor_type": ["venue", "venue", "venue"],
            "supplier": [0, 0, 1],
            "wedding_date": np.array(["2027-06-12"] * 3, dtype="datetime64[D]"),
            "booked_at": np.array(
                ["2026-01-01", "2026-01-02", "2026-01-03"], dtype="datetime64[s]"
            ),
        }
    )
    played, room = resolve_bookings(
        np.random.default_rng(0), enquiries, np.array([1, 1]), np.array([1.0, 1.0, 1.0])
    )
    assert played.booked.tolist() == [True, False, False]
    assert room.tolist() == [1.0, 0.0, 0.0]
    # Only the second couple met a full date; the rival venue had room, the couple had not.
    assert played.date_full.tolist() == [False, True, False]
    assert played.had_room.tolist() == [True, False, False]


def test_truth_says_whether_and_when_each_open_enquiry_books(mid_landing, mid_exports):
    outcomes = read_truth(mid_landing, "enquiry_outcomes")
    booked = outcomes[outcomes["booked"]]
    assert booked["booked_at"].notna().all()
    assert outcomes.loc[~outcomes["booked"], "booked_at"].isna().all()
    after = booked[booked["booked_at"] >= pd.Timestamp(AS_OF, tz="UTC")]
    assert len(after) > 0
    assert not set(after["enquiry_id"]) & set(mid_exports["bookings"]["enquiry_id"])
    created = mid_exports["enquiries"].set_index("enquiry_id")["created_at"]
    lag = after["booked_at"] - pd.to_datetime(created.loc[after["enquiry_id"]].to_numpy(), utc=True)
    assert lag.max() <= pd.Timedelta(days=cal.BOOKING_LAG_MAX_DAYS)


def test_price_moves_conversion_as_each_suppliers_true_response_says(mid_landing):
    outcomes = read_truth(mid_landing, "enquiry_outcomes")
    by_band = [outcomes[f"true_probability_at_{band}"].mean() for band in cal.PRICE_BANDS]
    assert by_band == sorted(by_band, reverse=True)  # dearer, fewer bookings
    suppliers = read_truth(mid_landing, "supplier_market")
    assert suppliers["price_response"].std() > 0.2  # suppliers differ in how price hurts


def test_fair_weather_is_warm_and_dry_from_the_climate_normals():
    july, january = fair_weather(np.array(["south_east", "south_east"]), np.array([7, 1]))
    assert july > january + 1
    wet_west, dry_east = fair_weather(np.array(["scotland", "east_of_england"]), np.array([7, 7]))
    assert dry_east > wet_west


def test_outdoor_types_draw_more_enquiries_in_fair_weather(mid_exports):
    enquiries = mid_exports["enquiries"].merge(
        mid_exports["suppliers"][["supplier_id", "vendor_type", "region"]], on="supplier_id"
    )
    wedding = pd.to_datetime(enquiries["wedding_date"], format="%Y-%m-%d", errors="coerce")
    enquiries = enquiries[wedding.notna()]
    weather = fair_weather(
        enquiries["region"].to_numpy(), wedding[wedding.notna()].dt.month.to_numpy()
    )
    outdoor = enquiries["vendor_type"].isin(cal.OUTDOOR_TYPES).to_numpy()
    fair = weather > np.median(weather)
    assert outdoor[fair].mean() > outdoor[~fair].mean() + 0.01
