"""The market played out over the enquiries, and what the truth file keeps of it.

`play_market` turns each clean enquiry's wish to book (`propensity`) into a booking or not
(`market.resolve_bookings`), and keeps every probability the evaluation needs: given the
reply, at enquiry time (before the reply), and at enquiry time had the supplier been priced
in each band (its true price response).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wedsync.simulator import calibration as cal
from wedsync.simulator.market import resolve_bookings
from wedsync.simulator.propensity import (
    reply_effect,
    wish_logit_before_reply,
    wish_probability_at_enquiry,
)

_NOT_BOOKED = np.datetime64("NaT", "s")


def band_column(band: str) -> str:
    """The truth column holding the at-enquiry probability had the supplier been in `band`."""
    return f"true_probability_at_{band}"


def play_market(
    rng: np.random.Generator, enquiries: pd.DataFrame, suppliers: pd.DataFrame
) -> pd.DataFrame:
    """`enquiries` with `booked`, `booked_at` (the booking's time, kept for every enquiry as
    its decision time), `true_probability`, `true_probability_at_enquiry` and one
    `true_probability_at_<band>` per price band, and what the market did with it: whether
    the couple `wished` to book it and whether the supplier's date was full when they decided
    (`date_full`). Defective rows never book."""
    clean = enquiries["defect_type"].isna().to_numpy()
    before_reply = wish_logit_before_reply(enquiries, suppliers)
    replied = before_reply + reply_effect(
        enquiries["responded"].to_numpy(dtype=bool), enquiries["response_hours"].to_numpy()
    )
    wish = np.where(clean, 1.0 / (1.0 + np.exp(-replied)), 0.0)
    played, room = resolve_bookings(rng, enquiries, suppliers["weddings_per_date"].to_numpy(), wish)
    bands = band_probabilities(enquiries, suppliers, room)
    return enquiries.assign(
        booked=played.booked,
        wished=played.wished,
        date_full=played.date_full,
        true_probability=wish * room,
        true_probability_at_enquiry=np.where(
            clean, wish_probability_at_enquiry(before_reply) * room, 0.0
        ),
        **bands,
    )


def band_probabilities(
    enquiries: pd.DataFrame, suppliers: pd.DataFrame, room: np.ndarray, extra_logit: float = 0.0
) -> dict[str, np.ndarray]:
    """One `true_probability_at_<band>` column per price band: the at-enquiry probability had
    the supplier been priced in that band, times the chance of room. `extra_logit` is what the
    enquiry's log-odds carry beyond the propensity model (a partner's referral)."""
    supplier = enquiries["supplier"].to_numpy()
    base_price = suppliers["base_price_gbp"].to_numpy()[supplier]
    own_multiplier = np.array(
        [cal.PRICE_BAND_MULTIPLIER[b] for b in suppliers["price_band"].to_numpy()[supplier]]
    )
    return {
        band_column(band): wish_probability_at_enquiry(
            wish_logit_before_reply(
                enquiries,
                suppliers,
                base_price * cal.PRICE_BAND_MULTIPLIER[band] / own_multiplier,
            )
            + extra_logit
        )
        * room
        for band in cal.PRICE_BANDS
    }


def enquiry_outcomes(clean: pd.DataFrame) -> pd.DataFrame:
    """The truth file's row per clean enquiry: its probabilities, whether and when it books,
    whether the couple wished to book it and whether the date was full when they decided."""
    return pd.DataFrame(
        {
            "enquiry_id": clean["enquiry_id"].to_numpy(),
            "true_probability": clean["true_probability"].to_numpy(),
            "booked": clean["booked"].to_numpy(dtype=bool),
            "booked_at": np.where(
                clean["booked"].to_numpy(dtype=bool),
                clean["booked_at"].to_numpy().astype("datetime64[s]"),
                _NOT_BOOKED,
            ),
            "true_probability_at_enquiry": clean["true_probability_at_enquiry"].to_numpy(),
            **{band_column(b): clean[band_column(b)].to_numpy() for b in cal.PRICE_BANDS},
            "wished": clean["wished"].to_numpy(dtype=bool),
            "date_full": clean["date_full"].to_numpy(dtype=bool),
        }
    )


def supplier_market(suppliers: pd.DataFrame) -> pd.DataFrame:
    """The truth file's row per supplier: what the exports do not show of it."""
    return pd.DataFrame(
        {
            "supplier_id": suppliers["supplier_id"].to_numpy(),
            "price_response": suppliers["price_response"].to_numpy(),
            "quality": suppliers["quality"].to_numpy(),
            "weddings_per_date": suppliers["weddings_per_date"].to_numpy(),
        }
    )
