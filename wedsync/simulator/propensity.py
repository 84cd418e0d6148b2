"""The latent booking probability of an enquiry.

It is a logistic function of facts known when the enquiry is made, each present in the exported
columns (so a model trained on the marts can approach this oracle): lead time against what is
usual for the vendor type, the couple's budget against the supplier's base price, whether and
how fast the supplier answered, peak season, Saturday, channel and vendor type. There is no
hidden per-supplier effect.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wedsync.simulator import calibration as cal
from wedsync.simulator.timeline import months_of, to_day, weekdays_of

#: Chosen so that about 30% of enquiries end in a booking.
INTERCEPT = 0.15
VENDOR_TYPE_EFFECT: dict[str, float] = {
    "venue": -0.45,
    "photographer": -0.15,
    "videographer": 0.0,
    "florist": 0.15,
    "caterer": -0.1,
    "band": 0.0,
    "planner": -0.3,
    "cake": 0.35,
    "hair_makeup": 0.3,
}
CHANNEL_EFFECT: dict[str, float] = {
    "search": 0.0,
    "featured_listing": 0.2,
    "referral": 0.7,
    "social": -0.4,
    "wedding_fair": 0.45,
}
#: Per unit of log(budget share for this vendor type / supplier's base price).
BUDGET_FIT = 1.0
#: Per unit of log(usual lead / actual lead) when the couple is later than usual: the supplier
#: is more often already booked.
LATE_ENQUIRY = -1.1
#: Per unit of log(actual lead / usual lead) when earlier than usual: still browsing.
EARLY_ENQUIRY = -0.4
NO_RESPONSE = -2.2
#: Per unit of log(1 + first-response hours).
SLOW_RESPONSE = -0.35
PEAK_SEASON = -0.2
SATURDAY = -0.25


def booking_probability(enquiries: pd.DataFrame, suppliers: pd.DataFrame) -> np.ndarray:
    """Each enquiry's true probability of ending in a booking."""
    supplier = enquiries["supplier"].to_numpy()
    vendor_type = enquiries["vendor_type"].to_numpy()
    wedding_date = to_day(enquiries["wedding_date"].to_numpy())
    lead_days = (wedding_date - to_day(enquiries["created_at"].to_numpy())).astype(np.float64)
    usual_days = np.array([cal.LEAD_TIME_MONTHS[t] for t in vendor_type]) * cal.DAYS_PER_MONTH
    lead_ratio = np.log(lead_days / usual_days)
    share = np.array([cal.BUDGET_SHARE[t] for t in vendor_type])
    budget_fit = np.log(
        enquiries["budget_gbp"].to_numpy()
        * share
        / suppliers["base_price_gbp"].to_numpy()[supplier]
    )
    responded = enquiries["responded"].to_numpy()
    hours = np.nan_to_num(enquiries["response_hours"].to_numpy(), nan=0.0)
    logit = (
        INTERCEPT
        + np.array([VENDOR_TYPE_EFFECT[t] for t in vendor_type])
        + np.array([CHANNEL_EFFECT[c] for c in enquiries["channel"].to_numpy()])
        + BUDGET_FIT * np.clip(budget_fit, -2.5, 2.0)
        + LATE_ENQUIRY * np.maximum(0.0, -lead_ratio)
        + EARLY_ENQUIRY * np.maximum(0.0, lead_ratio)
        + np.where(responded, SLOW_RESPONSE * np.log1p(hours), NO_RESPONSE)
        + PEAK_SEASON * np.isin(months_of(wedding_date), list(cal.PEAK_SEASON_MONTHS))
        + SATURDAY * (weekdays_of(wedding_date) == cal.SATURDAY)
    )
    return 1.0 / (1.0 + np.exp(-logit))
