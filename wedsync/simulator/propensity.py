"""How much a couple wants to book the supplier they enquired with (before scarcity).

A logistic function of lead time against what is usual for the vendor type, the couple's
budget against the supplier's price (with each supplier's own, true price response), whether
and how fast the supplier answered, peak season, Saturday, channel, vendor type, the weather
of the wedding month for outdoor-heavy types, and the supplier's reputation. Whether the
wish becomes a booking also depends on the market (`market.resolve_bookings`): the couple may
book a rival first, or the date may already be taken.

Two views of the same probability are kept for evaluation: given the reply (what happened),
and at enquiry time, integrated over the reply the supplier had not sent yet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wedsync.simulator import calibration as cal
from wedsync.simulator.timeline import months_of, to_day, weekdays_of
from wedsync.simulator.weather import fair_weather

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


#: Gauss-Hermite nodes over the standard normal, to integrate over the reply time.
_NODES, _NODE_WEIGHTS = np.polynomial.hermite_e.hermegauss(24)
_NODE_WEIGHTS = _NODE_WEIGHTS / _NODE_WEIGHTS.sum()


def _sigmoid(logit: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logit))


def wish_logit_before_reply(
    enquiries: pd.DataFrame, suppliers: pd.DataFrame, price_gbp: np.ndarray | None = None
) -> np.ndarray:
    """Each enquiry's log-odds of the couple wanting to book, before the supplier replies.

    `price_gbp` replaces the suppliers' base prices (one per enquiry) to ask "what if this
    supplier charged that?": the true price response the price advice is checked against.
    """
    supplier = enquiries["supplier"].to_numpy()
    vendor_type = enquiries["vendor_type"].to_numpy()
    wedding_date = to_day(enquiries["wedding_date"].to_numpy())
    lead_days = (wedding_date - to_day(enquiries["created_at"].to_numpy())).astype(np.float64)
    usual_days = np.array([cal.LEAD_TIME_MONTHS[t] for t in vendor_type]) * cal.DAYS_PER_MONTH
    lead_ratio = np.log(lead_days / usual_days)
    share = np.array([cal.BUDGET_SHARE[t] for t in vendor_type])
    price = suppliers["base_price_gbp"].to_numpy()[supplier] if price_gbp is None else price_gbp
    budget_fit = np.log(enquiries["budget_gbp"].to_numpy() * share / price)
    months = months_of(wedding_date)
    outdoor = np.isin(vendor_type, cal.OUTDOOR_TYPES)
    weather = fair_weather(suppliers["region"].to_numpy()[supplier], months)
    return (
        INTERCEPT
        + np.array([VENDOR_TYPE_EFFECT[t] for t in vendor_type])
        + np.array([CHANNEL_EFFECT[c] for c in enquiries["channel"].to_numpy()])
        + BUDGET_FIT
        * suppliers["price_response"].to_numpy()[supplier]
        * np.clip(budget_fit, -2.5, 2.0)
        + LATE_ENQUIRY * np.maximum(0.0, -lead_ratio)
        + EARLY_ENQUIRY * np.maximum(0.0, lead_ratio)
        + PEAK_SEASON * np.isin(months, list(cal.PEAK_SEASON_MONTHS))
        + SATURDAY * (weekdays_of(wedding_date) == cal.SATURDAY)
        + cal.WEATHER_CONVERSION * weather * outdoor
        + cal.QUALITY_CONVERSION * suppliers["quality"].to_numpy()[supplier]
    )


def reply_effect(responded: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """The reply's part of the log-odds: a slow reply costs, no reply costs most."""
    return np.where(responded, SLOW_RESPONSE * np.log1p(np.nan_to_num(hours, nan=0.0)), NO_RESPONSE)


def wish_probability(enquiries: pd.DataFrame, suppliers: pd.DataFrame) -> np.ndarray:
    """Each enquiry's probability that the couple wants to book, given the reply it got."""
    return _sigmoid(
        wish_logit_before_reply(enquiries, suppliers)
        + reply_effect(enquiries["responded"].to_numpy(), enquiries["response_hours"].to_numpy())
    )


def wish_probability_at_enquiry(logit_before_reply: np.ndarray) -> np.ndarray:
    """The same probability as known when the enquiry arrives: averaged over the reply.

    The reply is drawn independently of everything else (`enquiries.add_channel_and_response`),
    so the average is over its two laws: none at all, or a lognormal time (quadrature).
    """
    hours = np.clip(
        np.exp(np.log(cal.RESPONSE_HOURS_MEDIAN) + cal.RESPONSE_HOURS_SIGMA * _NODES), 0.05, 336
    )
    replied = _sigmoid(logit_before_reply[:, None] + SLOW_RESPONSE * np.log1p(hours)[None, :])
    never = _sigmoid(logit_before_reply + NO_RESPONSE)
    return cal.RESPONSE_RATE * (replied @ _NODE_WEIGHTS) + (1 - cal.RESPONSE_RATE) * never
