"""Enquiries: each couple asks a few suppliers about their wedding, months ahead of it.

Couples are drawn first (wedding date, guests, budget), then each of their enquiries gets a
vendor type and a lead time typical of that type, which places it in time. Only enquiries made
inside the export history are kept, so the wedding calendar and the per-type lead times both
come out as calibrated.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from wedsync.exports import EXPORT_START_DATE
from wedsync.simulator import calibration as cal
from wedsync.simulator.couples import draw_wedding_plans
from wedsync.simulator.timeline import SECONDS_PER_DAY, day, midnight, months_of
from wedsync.simulator.weather import fair_weather
from wedsync.vendor_types import VENDOR_TYPES

_TYPE_SHARE = np.array([cal.ENQUIRY_TYPE_SHARE[t] for t in VENDOR_TYPES])
_LEAD_MONTHS = np.array([cal.LEAD_TIME_MONTHS[t] for t in VENDOR_TYPES])


def enquiry_target(scale: float) -> int:
    """Enquiries over the whole history at a scale (linear)."""
    return max(200, round(cal.ENQUIRIES_AT_SCALE_ONE * scale))


def _draw_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column per row of a non-negative weight matrix, drawn in proportion (-1: all zero)."""
    cumulative = np.cumsum(weights, axis=1)
    total = cumulative[:, -1]
    drawn = (cumulative < (rng.random(len(weights)) * total)[:, None]).sum(axis=1)
    return np.where(total > 0, np.minimum(drawn, weights.shape[1] - 1), -1)


def _expand_plans(rng: np.random.Generator, plans: pd.DataFrame, offset: int) -> pd.DataFrame:
    """Every enquiry a batch of couples makes: vendor type, and when, from its lead time.

    Outdoor-heavy types draw more of a couple's enquiries when their region's weather in the
    wedding month is fair (the climate normals), so demand moves with the weather.
    """
    per_couple = 1 + rng.poisson(cal.EXTRA_ENQUIRIES_PER_COUPLE, len(plans))
    plan = np.repeat(np.arange(len(plans)), per_couple)
    wedding_date = plans["wedding_date"].to_numpy()[plan]
    weather = fair_weather(plans["region"].to_numpy()[plan], months_of(wedding_date))
    outdoor = np.isin(np.array(VENDOR_TYPES), cal.OUTDOOR_TYPES)
    type_weights = _TYPE_SHARE * np.exp(cal.WEATHER_DEMAND * np.outer(weather, outdoor))
    type_index = _draw_rows(rng, type_weights)
    lead_days = (
        _LEAD_MONTHS[type_index]
        * cal.DAYS_PER_MONTH
        * rng.lognormal(0.0, cal.LEAD_TIME_SIGMA, len(plan))
    )
    # No upper clip at the four-year horizon rule: a rare longer lead is the rule's to flag.
    lead_days = np.maximum(np.round(lead_days), cal.LEAD_TIME_MIN_DAYS)
    created_at = (wedding_date - lead_days.astype("timedelta64[D]")).astype(
        "datetime64[s]"
    ) + rng.integers(7 * 3600, SECONDS_PER_DAY, len(plan)).astype("timedelta64[s]")
    return pd.DataFrame(
        {
            "plan": plan + offset,
            "vendor_type": np.array(VENDOR_TYPES, dtype=object)[type_index],
            "created_at": created_at,
            "wedding_date": wedding_date,
        }
    )


def draw_plans_and_enquiries(
    rng: np.random.Generator, as_of: dt.date, target: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Couples' plans and their enquiries made in [EXPORT_START_DATE, as_of), about `target`.

    Couples are drawn in chunks until enough enquiries fall inside the history; the last chunk
    is cut at a couple boundary so no couple loses some of its enquiries.
    """
    start, end = midnight(EXPORT_START_DATE), midnight(as_of)
    first_day = day(EXPORT_START_DATE) + np.timedelta64(cal.LEAD_TIME_MIN_DAYS, "D")
    last_day = day(as_of) + np.timedelta64(cal.LEAD_TIME_MAX_DAYS, "D")
    kept_share = (end - start) / (last_day - first_day).astype("timedelta64[s]")
    chunk = int(target / (1 + cal.EXTRA_ENQUIRIES_PER_COUPLE) / kept_share * 1.1) + 10

    plans: list[pd.DataFrame] = []
    enquiries: list[pd.DataFrame] = []
    drawn, kept = 0, 0
    while kept < target:
        batch = draw_wedding_plans(rng, chunk, first_day, last_day)
        batch.index = batch.index + drawn
        expanded = _expand_plans(rng, batch, drawn)
        inside = expanded[(expanded["created_at"] >= start) & (expanded["created_at"] < end)]
        plans.append(batch)
        enquiries.append(inside)
        drawn += chunk
        kept += len(inside)
    all_plans = pd.concat(plans)
    all_enquiries = pd.concat(enquiries, ignore_index=True)
    per_plan = all_enquiries.groupby("plan").size()
    last_plan = per_plan.index[np.searchsorted(per_plan.cumsum().to_numpy(), target)]
    all_enquiries = all_enquiries[all_enquiries["plan"] <= last_plan].reset_index(drop=True)
    for column in ("guest_count", "budget_gbp"):
        all_enquiries[column] = all_plans[column].to_numpy()[all_enquiries["plan"].to_numpy()]
    all_enquiries["couple_region"] = all_plans["region"].to_numpy()[all_enquiries["plan"]]
    return all_plans, all_enquiries


def _choice_weights(
    enquiries: pd.DataFrame, rows: np.ndarray, suppliers: pd.DataFrame, candidates: np.ndarray
) -> np.ndarray:
    """How much each couple (row) is drawn to each candidate supplier (column).

    Popularity and reputation draw couples; a price far from the couple's budget for the type
    (either way) puts them off; a supplier not yet on the platform, or a venue too small for
    the guest list, is never asked.
    """
    share = np.array([cal.BUDGET_SHARE[t] for t in enquiries["vendor_type"].to_numpy()[rows]])
    budget = enquiries["budget_gbp"].to_numpy()[rows] * share
    price = suppliers["base_price_gbp"].to_numpy()[candidates]
    fit = np.log(budget[:, None] / price[None, :]) / cal.PRICE_FIT_SIGMA
    appeal = suppliers["popularity"].to_numpy()[candidates] * np.exp(
        cal.QUALITY_CHOICE * suppliers["quality"].to_numpy()[candidates]
    )
    joined = (
        suppliers["joined_at"].to_numpy()[candidates][None, :]
        <= (enquiries["created_at"].to_numpy()[rows][:, None])
    )
    capacity = suppliers["capacity"].to_numpy()[candidates]
    seats = np.isnan(capacity)[None, :] | (
        capacity[None, :] >= enquiries["guest_count"].to_numpy()[rows][:, None]
    )
    return appeal[None, :] * np.exp(-0.5 * fit**2) * joined * seats


def assign_suppliers(
    rng: np.random.Generator, enquiries: pd.DataFrame, suppliers: pd.DataFrame
) -> pd.DataFrame:
    """Give each enquiry a supplier of its vendor type, chosen by fit to the couple.

    Most couples ask local suppliers (the others, or a couple with no local supplier that
    fits, look nationally); the weights are `_choice_weights`. A couple asks a supplier at
    most once. Enquiries no supplier can take (more guests than any venue seats) are dropped.
    """
    chosen = np.full(len(enquiries), -1, dtype=np.int64)
    local = rng.random(len(enquiries)) < cal.LOCAL_ENQUIRY_SHARE
    vendor_type = enquiries["vendor_type"].to_numpy()
    couple_region = enquiries["couple_region"].to_numpy()
    supplier_type = suppliers["vendor_type"].to_numpy()
    supplier_region = suppliers["region"].to_numpy()
    for vt in VENDOR_TYPES:
        of_type = np.flatnonzero(supplier_type == vt)
        is_type = vendor_type == vt
        for region in cal.REGIONS:
            nearby = of_type[supplier_region[of_type] == region]
            rows = np.flatnonzero(is_type & local & (couple_region == region))
            if len(nearby) and len(rows):
                picked = _draw_rows(rng, _choice_weights(enquiries, rows, suppliers, nearby))
                chosen[rows] = np.where(picked >= 0, nearby[np.maximum(picked, 0)], -1)
        rows = np.flatnonzero(is_type & (chosen < 0))
        if len(rows):
            picked = _draw_rows(rng, _choice_weights(enquiries, rows, suppliers, of_type))
            chosen[rows] = np.where(picked >= 0, of_type[np.maximum(picked, 0)], -1)
    enquiries = enquiries.assign(supplier=chosen)[chosen >= 0]
    return enquiries.drop_duplicates(["plan", "supplier"]).reset_index(drop=True)


def add_channel_and_response(rng: np.random.Generator, enquiries: pd.DataFrame) -> pd.DataFrame:
    """How each enquiry arrived, and when (if ever) the supplier first answered it."""
    count = len(enquiries)
    channel_share = np.array([cal.CHANNEL_SHARE[c] for c in cal.CHANNELS])
    responded = rng.random(count) < cal.RESPONSE_RATE
    hours = rng.lognormal(np.log(cal.RESPONSE_HOURS_MEDIAN), cal.RESPONSE_HOURS_SIGMA, count)
    hours = np.clip(hours, 0.05, 24 * 14)
    first_response_at = enquiries["created_at"].to_numpy() + np.round(hours * 3600).astype(
        "timedelta64[s]"
    )
    return enquiries.assign(
        channel=np.array(cal.CHANNELS, dtype=object)[
            rng.choice(len(cal.CHANNELS), size=count, p=channel_share / channel_share.sum())
        ],
        responded=responded,
        response_hours=np.where(responded, np.round(hours * 3600) / 3600, np.nan),
        first_response_at=np.where(responded, first_response_at, np.datetime64("NaT", "s")).astype(
            "datetime64[s]"
        ),
    )
