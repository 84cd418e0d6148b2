"""A posted enquiry's features follow the same rules as the dbt feature model."""

import datetime as dt
from decimal import Decimal

import pytest

from ml.features import FEATURE_COLUMNS, features_from_records
from ml.online_features import CoupleHistory, SupplierProfile, history_cut, posted_enquiry_features

VENUE = SupplierProfile("venue", "wales", "premium", base_price_gbp=8_000.0, date_bookings=1)
TODAY = dt.date(2026, 11, 25)


def test_features_of_a_saturday_peak_season_enquiry() -> None:
    features = posted_enquiry_features(
        {
            "wedding_date": "2027-08-14",
            "channel": "referral",
            "guest_count": 90,
            "budget_gbp": 12_000,
            "first_response_hours": 3.5,
        },
        VENUE,
        TODAY,
    )
    assert set(features) == set(FEATURE_COLUMNS)
    assert features["lead_time_days"] == (dt.date(2027, 8, 14) - TODAY).days
    assert features["budget_to_price_ratio"] == pytest.approx(1.5)
    # Scored on arrival: the reply is not a feature, the supplier's diary and the weather are.
    assert "responded" not in features and "first_response_hours" not in features
    assert features["supplier_date_bookings"] == 1
    assert features["wedding_month_rain_days"] == pytest.approx(13.6)  # Wales, August normals
    assert (features["wedding_month"], features["is_peak_season"]) == (8, True)
    assert features["is_saturday"] is True
    assert features_from_records([features]).shape == (1, len(FEATURE_COLUMNS))


def test_base_price_from_the_database_may_be_a_decimal() -> None:
    supplier = SupplierProfile("florist", "london", "mid", base_price_gbp=Decimal("1500.00"))
    features = posted_enquiry_features(
        {"wedding_date": "2027-06-05", "channel": "social", "budget_gbp": 3000}, supplier, TODAY
    )
    assert features["budget_to_price_ratio"] == pytest.approx(2.0)


def test_no_reply_and_no_budget_are_nulls_not_errors() -> None:
    features = posted_enquiry_features(
        {"wedding_date": "2027-03-03", "channel": "search", "created_at": "2026-10-01T09:00:00Z"},
        VENUE,
        TODAY,
    )
    assert features["budget_to_price_ratio"] is None
    assert features["lead_time_days"] == (dt.date(2027, 3, 3) - dt.date(2026, 10, 1)).days
    assert features["is_peak_season"] is False  # March is off-peak; April to September is peak


@pytest.mark.parametrize(
    ("enquiry", "message"),
    [
        ({"wedding_date": "2027-02-30", "channel": "search"}, "wedding_date must be a date"),
        ({"wedding_date": "2025-06-01", "channel": "search"}, "before the enquiry was made"),
        ({"wedding_date": "2027-06-01"}, "channel must be a non-empty string"),
        ({"wedding_date": "2027-06-01", "channel": "search", "guest_count": "lots"}, "guest_count"),
    ],
)
def test_bad_posted_enquiry_names_the_field(enquiry: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        posted_enquiry_features(enquiry, VENUE, TODAY)


def test_the_couple_s_history_is_a_feature_and_an_unknown_couple_has_none() -> None:
    enquiry = {"wedding_date": "2027-06-05", "channel": "search"}
    known = posted_enquiry_features(enquiry, VENUE, TODAY, CoupleHistory(3, True))
    assert (known["couple_prior_enquiries"], known["couple_booked_vendor_type"]) == (3, True)
    unknown = posted_enquiry_features(enquiry, VENUE, TODAY)
    assert (unknown["couple_prior_enquiries"], unknown["couple_booked_vendor_type"]) == (0, False)


def test_history_is_counted_up_to_the_enquiry_and_never_past_it() -> None:
    now = dt.datetime(2026, 11, 25, 14, 30, tzinfo=dt.UTC)
    posted = dt.datetime(2026, 11, 20, 9, 15, tzinfo=dt.UTC)
    assert history_cut(None, now) == now
    assert history_cut(posted, now) == posted
    assert history_cut(posted.replace(tzinfo=None), now) == posted  # naive is UTC
    # A bare date counts nothing from that day: its own enquiries may have come after.
    assert history_cut(dt.date(2026, 11, 20), now) == dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="created_at"):
        history_cut("yesterday", now)
