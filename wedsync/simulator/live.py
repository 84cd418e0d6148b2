"""Live events of the simulated marketplace, in the `POST /api/events` format of DESIGN.md.

The nightly exports tell what happened; live events are the platform telling the analytics
side as it happens: couples viewing profiles, enquiring, suppliers quoting, bookings,
cancellations, payments, reviews and RSVP changes. The mix follows a marketplace funnel (many
views, fewer enquiries, fewer bookings). Supplier and couple ids are drawn from the id ranges of
the simulated market at the same scale, so live activity lands on suppliers the marts know.

Event ids are random UUIDs even with a fixed seed: two runs of the live stream are two days of
activity, not a replay (a replay would be answered as duplicates, by design).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import numpy as np

from wedsync.events.contract import EVENT_TYPES
from wedsync.simulator import calibration as cal
from wedsync.simulator.suppliers import supplier_count
from wedsync.simulator.timeline import day, wedding_day_weights

#: Share of each event type in the live stream (a view-heavy marketplace funnel).
EVENT_MIX: dict[str, float] = {
    "profile_view": 0.55,
    "enquiry_created": 0.12,
    "quote_sent": 0.09,
    "booking_confirmed": 0.04,
    "booking_cancelled": 0.005,
    "payment_received": 0.06,
    "review_posted": 0.02,
    "rsvp_updated": 0.115,
}
_VIEW_SOURCES = ("search", "featured_listing", "social", "referral", "saved_list")
_CANCEL_REASONS = ("date_change", "budget", "venue_change", "wedding_called_off", "other")
#: Couples per supplier in the simulated market (about 21,000 couples for 600 suppliers).
_COUPLES_PER_SUPPLIER = 36
_PLANNING_HORIZON_DAYS = 730

LiveEvent = dict[str, Any]


class LiveEventStream:
    """Generates batches of valid live events for a market of a given scale."""

    def __init__(self, seed: int, scale: float, today: dt.date) -> None:
        self._rng = np.random.default_rng(seed)
        self._suppliers = supplier_count(scale)
        self._couples = min(999_999, self._suppliers * _COUPLES_PER_SUPPLIER)
        first = day(today) + np.timedelta64(30, "D")
        self._wedding_days, self._wedding_weights = wedding_day_weights(
            first, first + np.timedelta64(_PLANNING_HORIZON_DAYS, "D")
        )
        self._types = np.array(EVENT_TYPES, dtype=object)
        mix = np.array([EVENT_MIX[event_type] for event_type in EVENT_TYPES])
        self._mix = mix / mix.sum()

    def batch(self, size: int, now: dt.datetime) -> list[LiveEvent]:
        """`size` events that happened in the second before `now` (UTC)."""
        rng = self._rng
        types = self._types[rng.choice(len(self._types), size=size, p=self._mix)]
        suppliers = rng.integers(1, self._suppliers + 1, size)
        couples = rng.integers(1, self._couples + 1, size)
        weddings = self._wedding_days[
            rng.choice(len(self._wedding_days), size=size, p=self._wedding_weights)
        ]
        lags = rng.integers(0, 1_000_000, size)
        draws = _PropertyDraws(rng, size)
        return [
            {
                "event_id": str(uuid.uuid4()),
                "event_type": event_type,
                "occurred_at": (now - dt.timedelta(microseconds=int(lag))).strftime(
                    "%Y-%m-%dT%H:%M:%S.%fZ"
                ),
                "supplier_id": f"sup_{supplier:06d}",
                "couple_id": f"cpl_{couple:06d}",
                "wedding_date": str(wedding),
                "properties": draws.properties(event_type, index),
            }
            for index, (event_type, supplier, couple, wedding, lag) in enumerate(
                zip(types, suppliers, couples, weddings, lags, strict=True)
            )
        ]


class _PropertyDraws:
    """Every random property value a batch may need, drawn at once (one numpy call per kind)."""

    def __init__(self, rng: np.random.Generator, size: int) -> None:
        guests = np.round(rng.lognormal(np.log(cal.GUESTS_MEDIAN), cal.GUESTS_SIGMA, size))
        self.guests = np.clip(guests, cal.GUESTS_MIN, cal.GUESTS_MAX).astype(int).tolist()
        budget = rng.lognormal(np.log(cal.BUDGET_MEDIAN_GBP), cal.BUDGET_SIGMA, size)
        self.budget = np.clip(
            np.round(budget / 50) * 50, cal.BUDGET_MIN_GBP, cal.BUDGET_MAX_GBP
        ).tolist()
        self.price = np.round(rng.lognormal(np.log(1_500), 0.8, size), 2).tolist()
        self.attending = (
            np.floor(rng.random(size) * (np.array(self.guests) + 1)).astype(int).tolist()
        )
        self.deposit = (rng.random(size) < 0.5).tolist()
        self.enquiry = rng.integers(1, 10**7, size).tolist()
        self.booking = rng.integers(1, 10**7, size).tolist()
        self.channel = rng.choice(cal.CHANNELS, size).tolist()
        self.source = rng.choice(_VIEW_SOURCES, size).tolist()
        self.reason = rng.choice(_CANCEL_REASONS, size).tolist()
        ratings = np.array(list(cal.RATING_SHARE))
        share = np.array(list(cal.RATING_SHARE.values()))
        self.rating = rng.choice(ratings, size, p=share / share.sum()).astype(int).tolist()

    def properties(self, event_type: str, i: int) -> dict[str, Any]:
        """The typed properties of event `i` of the batch (DESIGN.md, events/contract.py)."""
        enquiry_id, booking_id = f"enq_{self.enquiry[i]:07d}", f"bkg_{self.booking[i]:07d}"
        if event_type == "profile_view":
            return {"source": self.source[i]}
        if event_type == "enquiry_created":
            return {
                "guest_count": self.guests[i],
                "budget_gbp": self.budget[i],
                "channel": self.channel[i],
                "enquiry_id": enquiry_id,
            }
        if event_type == "quote_sent":
            return {"amount_gbp": self.price[i], "enquiry_id": enquiry_id}
        if event_type == "booking_confirmed":
            return {"value_gbp": self.price[i], "booking_id": booking_id, "enquiry_id": enquiry_id}
        if event_type == "booking_cancelled":
            return {"booking_id": booking_id, "reason": self.reason[i]}
        if event_type == "payment_received":
            share = cal.DEPOSIT_SHARE if self.deposit[i] else 1 - cal.DEPOSIT_SHARE
            return {
                "amount_gbp": round(self.price[i] * share, 2),
                "payment_type": "deposit" if self.deposit[i] else "balance",
                "booking_id": booking_id,
            }
        if event_type == "review_posted":
            return {"rating": self.rating[i]}
        if event_type == "rsvp_updated":
            return {"guest_count": self.guests[i], "attending": self.attending[i]}
        raise ValueError(f"unknown event_type {event_type!r}")
