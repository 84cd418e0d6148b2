"""Price advice held against the truth: would conversion really have moved as claimed?

For each advised change of band (`predictions.price_advice`, `price_change` up or down) the
advice's evidence claims a conversion change for the usual band's enquiries re-priced into
the recommended band (`if_moved`, from `ml.price_response`), with its 95% interval. The
simulator knows what conversion each enquiry would
have had with its supplier priced in any band (`true_probability_at_<band>`), so the true
change for the segment's usual-band suppliers in that wedding month is known. The advice hits
when the true change lies inside the claimed interval; its direction is right when the signs
agree. The hit rate is the share of advised changes that hit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

from ml.oracle import OUTCOMES_FILE
from ml.pricing import PRICE_BANDS

ADVICE_SQL = (
    "select month, vendor_type, region, usual_price_band, recommended_price_band, "
    "price_change, evidence::text from predictions.price_advice"
)
ENQUIRIES_SQL = (
    "select enquiry_id, vendor_type, region, price_band, wedding_month "
    "from features.ml_booking_features where price_band is not null"
)


def _claimed_change(evidence: str, recommended: str) -> tuple[float, float, float]:
    """(claimed conversion change, interval low, interval high) from the evidence JSON."""
    bands = {band["price_band"]: band for band in json.loads(evidence)}
    claim = bands[recommended]["if_moved"]
    return (
        claim["conversion_change"],
        claim["conversion_change_low"],
        claim["conversion_change_high"],
    )


def advice_against_truth(advice: pd.DataFrame, enquiries: pd.DataFrame) -> pd.DataFrame:
    """One row per advised change: claimed change and interval, true change, hit, direction.

    `advice` holds the price-advice rows (`evidence` as JSON text); `enquiries` one row per
    enquiry with `vendor_type, region, price_band, wedding_month` and the truth's
    `true_probability_at_<band>` columns.
    """
    changes = advice[advice["price_change"].isin(["up", "down"])]
    rows = []
    for row in changes.itertuples(index=False):
        claimed, low, high = _claimed_change(row.evidence, row.recommended_price_band)
        month = pd.Timestamp(row.month).month
        usual_enquiries = enquiries[
            (enquiries["vendor_type"] == row.vendor_type)
            & (enquiries["region"] == row.region)
            & (enquiries["price_band"] == row.usual_price_band)
            & (enquiries["wedding_month"] == month)
        ]
        if usual_enquiries.empty:
            continue
        true_change = float(
            (
                usual_enquiries[f"true_probability_at_{row.recommended_price_band}"]
                - usual_enquiries[f"true_probability_at_{row.usual_price_band}"]
            ).mean()
        )
        rows.append(
            {
                "vendor_type": row.vendor_type,
                "region": row.region,
                "month": row.month,
                "price_change": row.price_change,
                "claimed_change": claimed,
                "claimed_low": low,
                "claimed_high": high,
                "true_change": true_change,
                "enquiries": len(usual_enquiries),
                "hit": low <= true_change <= high,
                "direction_right": np.sign(true_change) == np.sign(claimed),
            }
        )
    return pd.DataFrame(rows)


def price_advice_section(conn: psycopg.Connection, truth_dir: Path) -> list[str]:
    """The build summary's lines on price advice against the truth."""
    outcomes = truth_dir / OUTCOMES_FILE
    try:
        advice = pd.DataFrame(
            conn.execute(ADVICE_SQL).fetchall(),
            columns=[
                "month",
                "vendor_type",
                "region",
                "usual_price_band",
                "recommended_price_band",
                "price_change",
                "evidence",
            ],
        )
        enquiries = pd.DataFrame(
            conn.execute(ENQUIRIES_SQL).fetchall(),
            columns=["enquiry_id", "vendor_type", "region", "price_band", "wedding_month"],
        )
    except psycopg.Error as error:
        conn.rollback()
        return [f"Price advice vs truth: not available ({error.diag.message_primary})"]
    counts = advice["price_change"].fillna("not enough evidence").value_counts()
    lines = [
        "Price advice vs the true price response ("
        + ", ".join(f"{change} {n}" for change, n in counts.items())
        + f" of {len(advice)} segment months):"
    ]
    if not outcomes.exists():
        return [*lines, "  no truth file: the advice cannot be checked"]
    truth = pd.read_parquet(
        outcomes, columns=["enquiry_id", *(f"true_probability_at_{b}" for b in PRICE_BANDS)]
    )
    checked = advice_against_truth(advice, enquiries.merge(truth, on="enquiry_id"))
    if checked.empty:
        return [*lines, "  no band change advised: nothing to check (hit rate undefined)"]
    lines.append(
        f"  hit rate {checked['hit'].mean():.1%} (true conversion change inside the claimed "
        f"95% interval, n={len(checked)} advised changes); direction right "
        f"{checked['direction_right'].mean():.1%}; mean claimed "
        f"{checked['claimed_change'].mean():+.3f} vs true {checked['true_change'].mean():+.3f}"
    )
    return lines
