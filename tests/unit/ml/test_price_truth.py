"""Price advice against the simulator's true price response: hits, misses, direction."""

import datetime as dt
import json

import pandas as pd
import pytest

from ml.price_truth import advice_against_truth


def _evidence(claimed: tuple[float, float, float]) -> str:
    """The usual band (mid) and premium, whose `if_moved` claims (change, low, high)."""
    change, low, high = claimed
    return json.dumps(
        [
            {"price_band": "mid", "conversion": 0.30},
            {
                # Premium's own couples convert better: not the claim, which re-prices mid's.
                "price_band": "premium",
                "conversion": 0.45,
                "if_moved": {
                    "conversion_change": change,
                    "conversion_change_low": low,
                    "conversion_change_high": high,
                },
            },
        ]
    )


def _advice(change: str, evidence: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": [dt.date(2027, 8, 1)],
            "vendor_type": ["venue"],
            "region": ["wales"],
            "usual_price_band": ["mid"],
            "recommended_price_band": ["premium" if change == "up" else "mid"],
            "price_change": [change],
            "evidence": [evidence],
        }
    )


def _enquiries(at_mid: float, at_premium: float) -> pd.DataFrame:
    """Two August enquiries at a mid-priced Welsh venue, and one the check must ignore."""
    return pd.DataFrame(
        {
            "enquiry_id": ["enq_1", "enq_2", "enq_3"],
            "vendor_type": ["venue", "venue", "venue"],
            "region": ["wales", "wales", "wales"],
            "price_band": ["mid", "mid", "premium"],
            "wedding_month": [8, 8, 8],
            "true_probability_at_mid": [at_mid, at_mid, 0.9],
            "true_probability_at_premium": [at_premium, at_premium, 0.9],
        }
    )


def test_a_claim_whose_interval_holds_the_true_change_is_a_hit() -> None:
    # Claimed -0.05 (interval -0.07..-0.03); truly, premium pricing loses 0.04 of conversion.
    advice = _advice("up", _evidence((-0.05, -0.07, -0.03)))
    (row,) = advice_against_truth(advice, _enquiries(0.30, 0.26)).to_dict("records")
    assert row["claimed_change"] == pytest.approx(-0.05)
    assert (row["claimed_low"], row["claimed_high"]) == pytest.approx((-0.07, -0.03))
    assert row["true_change"] == pytest.approx(-0.04)
    assert row["enquiries"] == 2
    assert row["hit"] and row["direction_right"]


def test_a_claim_the_truth_falls_outside_of_is_a_miss() -> None:
    # The band comparison's claim (+0.15) points the wrong way as well as missing.
    advice = _advice("up", _evidence((0.15, 0.12, 0.18)))
    (row,) = advice_against_truth(advice, _enquiries(0.30, 0.20)).to_dict("records")
    assert not row["hit"] and not row["direction_right"]


def test_holds_are_not_checked() -> None:
    advice = _advice("hold", _evidence((-0.05, -0.07, -0.03)))
    assert advice_against_truth(advice, _enquiries(0.3, 0.2)).empty
