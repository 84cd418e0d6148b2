"""Price advice: demand levels, band evidence, and which band the evidence recommends."""

import datetime as dt
import json

import pandas as pd
import pytest

from ml.pricing import (
    MIN_DECIDED_ENQUIRIES,
    band_evidence,
    demand_levels,
    price_advice,
)


def test_demand_level_compares_a_month_with_the_segments_mean_month() -> None:
    demand = pd.DataFrame(
        {
            "vendor_type": ["venue"] * 3,
            "region": ["wales"] * 3,
            "month": [6, 7, 8],
            "enquiries": [10.0, 20.0, 30.0],
        }
    )
    levels = demand_levels(demand, "month")
    assert list(levels["demand_level"]) == ["low", "high", "high"]
    assert list(levels["demand_index"]) == pytest.approx([0.5, 1.0, 1.5])


def _decided(band: str, month: int, enquiries: int, bookings: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "vendor_type": "venue",
            "region": "wales",
            "price_band": band,
            "wedding_month": month,
            "booked": [1] * bookings + [0] * (enquiries - bookings),
        }
    )


def _evidence() -> pd.DataFrame:
    decided = pd.concat(
        [
            # High-demand August: premium converts less but earns more per enquiry.
            _decided("mid", 8, 100, 40),
            _decided("premium", 8, 60, 18),
            _decided("luxury", 8, MIN_DECIDED_ENQUIRIES - 1, 20),  # too few to trust
            # Low-demand January: only mid has evidence enough.
            _decided("mid", 1, 40, 10),
            _decided("premium", 1, 10, 1),
        ]
    )
    levels = pd.DataFrame(
        {
            "vendor_type": "venue",
            "region": "wales",
            "wedding_month": [8, 1],
            "demand_index": [1.5, 0.5],
            "demand_level": ["high", "low"],
        }
    )
    values = pd.DataFrame(
        {
            "vendor_type": "venue",
            "region": "wales",
            "price_band": ["mid", "premium", "luxury"],
            "booking_value_gbp": [10_000.0, 20_000.0, 40_000.0],
        }
    )
    return band_evidence(decided, levels, values)


def _upcoming(level: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "vendor_type": ["venue"],
            "region": ["wales"],
            "month": [dt.date(2027, 8, 1)],
            "demand_index": [1.4 if level == "high" else 0.6],
            "demand_level": [level],
        }
    )


USUAL = pd.DataFrame({"vendor_type": ["venue"], "region": ["wales"], "usual_price_band": ["mid"]})


def test_band_evidence_counts_conversion_and_revenue_per_enquiry() -> None:
    evidence = _evidence().set_index(["demand_level", "price_band"])
    premium = evidence.loc[("high", "premium")]
    assert premium["decided_enquiries"] == 60 and premium["bookings"] == 18
    assert premium["conversion"] == pytest.approx(0.3)
    assert premium["revenue_per_enquiry_gbp"] == pytest.approx(6_000.0)
    assert premium["conversion_ci_low"] < 0.3 < premium["conversion_ci_high"]


def test_a_better_point_estimate_inside_the_noise_is_a_hold() -> None:
    # Premium earns 6,000 per enquiry against mid's 4,000, but its 95% interval
    # (0.19..0.43 x 20,000) overlaps mid's (0.31..0.50 x 10,000): no move is advised.
    (advice,) = price_advice(_upcoming("high"), _evidence(), USUAL).to_dict("records")
    assert advice["recommended_price_band"] == "mid"
    assert advice["price_change"] == "hold"
    assert "beyond its 95% interval" in advice["advice"]
    evidence = json.loads(advice["evidence"])
    assert [band["price_band"] for band in evidence] == ["mid", "premium", "luxury"]
    assert evidence[2]["decided_enquiries"] == MIN_DECIDED_ENQUIRIES - 1
    assert advice["decided_enquiries"] == 100 + 60 + MIN_DECIDED_ENQUIRIES - 1


def _clear_evidence(premium_bookings: int, luxury: tuple[int, int]) -> pd.DataFrame:
    decided = pd.concat(
        [
            _decided("mid", 8, 100, 40),
            _decided("premium", 8, 60, premium_bookings),
            _decided("luxury", 8, *luxury),
        ]
    )
    levels = pd.DataFrame(
        {
            "vendor_type": "venue",
            "region": "wales",
            "wedding_month": [8],
            "demand_index": [1.5],
            "demand_level": ["high"],
        }
    )
    values = pd.DataFrame(
        {
            "vendor_type": "venue",
            "region": "wales",
            "price_band": ["mid", "premium", "luxury"],
            "booking_value_gbp": [10_000.0, 20_000.0, 40_000.0],
        }
    )
    return band_evidence(decided, levels, values)


def test_high_demand_advice_moves_up_when_the_intervals_say_so() -> None:
    # Premium 36/60 = 0.6: its interval (0.47..0.71 x 20,000) lies above mid's whole interval.
    evidence = _clear_evidence(36, (MIN_DECIDED_ENQUIRIES - 1, 20))
    (advice,) = price_advice(_upcoming("high"), evidence, USUAL).to_dict("records")
    assert advice["recommended_price_band"] == "premium"
    assert advice["price_change"] == "up"
    assert advice["advice"].startswith("move up from mid to premium")


def test_low_demand_advice_holds_where_only_one_band_has_evidence() -> None:
    (advice,) = price_advice(_upcoming("low"), _evidence(), USUAL).to_dict("records")
    assert advice["recommended_price_band"] == "mid"
    assert advice["price_change"] == "hold"
    assert advice["advice"].startswith("hold at mid")


def test_advice_moves_at_most_one_band_from_the_usual_one() -> None:
    # Luxury clearly earns most, but it is two steps up from mid; premium is not clearly better.
    evidence = _clear_evidence(18, (100, 60))
    (advice,) = price_advice(_upcoming("high"), evidence, USUAL).to_dict("records")
    assert advice["recommended_price_band"] == "mid"
    assert advice["price_change"] == "hold"


def test_no_evidence_for_the_usual_band_advises_nothing() -> None:
    budget_usual = USUAL.assign(usual_price_band="budget")
    (advice,) = price_advice(_upcoming("high"), _evidence(), budget_usual).to_dict("records")
    assert advice["recommended_price_band"] is None
    assert advice["advice"].startswith("not enough evidence")


def test_segment_without_history_gets_no_band_and_says_why() -> None:
    upcoming = _upcoming("high").assign(region="scotland")
    (advice,) = price_advice(upcoming, _evidence(), USUAL).to_dict("records")
    assert advice["recommended_price_band"] is None
    assert advice["advice"].startswith("not enough evidence")
    assert json.loads(advice["evidence"]) == []
