"""Referrals: a supplier who has just been booked sends the couple on to one of its partners.

Each supplier has a few true referral partners: suppliers of other vendor types in its own
region (a venue's florist, a photographer's videographer). When a couple books a supplier,
with probability `REFERRAL_RATE` the supplier refers them to one of its partners of a type the
couple has not booked; the couple then enquires with the partner a few days later (channel
`referral`) and is more likely to book it than a stranger (`REFERRAL_WISH_BOOST`). The truth
file keeps the partner pairs and the referred enquiries, which the vendor-network mart is
judged against (ml/vendor_network_truth.py).

Everything here draws from its own random stream (`referral_rng`), after the market has been
played: the suppliers, enquiries and market play of a seed are exactly what they were before
referrals existed. A referred couple books only where the partner's date still has room after
every other booking (the market's and earlier referrals'), and only a type it never booked, so
referrals add bookings without taking any from the market. One round: a referred booking does
not refer again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wedsync.simulator.enquiries import add_channel_and_response
from wedsync.simulator.outcomes import draw_booked_at
from wedsync.simulator.play import band_probabilities
from wedsync.simulator.propensity import (
    reply_effect,
    wish_logit_before_reply,
    wish_probability_at_enquiry,
)
from wedsync.simulator.timeline import SECONDS_PER_DAY

#: The referral stream's key beside the seed: `default_rng([seed, REFERRAL_STREAM])`.
REFERRAL_STREAM = 14
#: Each supplier has between these many true partners (inclusive), where its region has them.
PARTNERS_MIN, PARTNERS_MAX = 1, 3
#: The chance a booking makes its supplier refer the couple to a partner.
REFERRAL_RATE = 0.5
#: A partner's word, on top of the referral channel's own effect (log-odds of wishing to book).
REFERRAL_WISH_BOOST = 1.0
#: Days from the booking to the referred enquiry: one day plus an exponential wait.
REFERRAL_LAG_MEAN_DAYS = 4.0
#: A referred enquiry is made at least this many days before the wedding.
REFERRAL_MIN_DAYS_BEFORE_WEDDING = 7


def referral_rng(seed: int) -> np.random.Generator:
    """The referral stream of a seed, independent of the market's `default_rng(seed)`."""
    return np.random.default_rng([seed, REFERRAL_STREAM])


@dataclass(frozen=True)
class Partners:
    """Each supplier's true referral partners, as supplier positions: `partner[start[s] :
    start[s] + count[s]]` are supplier `s`'s."""

    start: np.ndarray
    count: np.ndarray
    partner: np.ndarray

    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(referring supplier, partner) for every true pair."""
        return np.repeat(np.arange(len(self.count)), self.count), self.partner


def draw_partners(rng: np.random.Generator, suppliers: pd.DataFrame) -> Partners:
    """Between `PARTNERS_MIN` and `PARTNERS_MAX` partners per supplier, drawn uniformly from
    the suppliers of its region with another vendor type (fewer where the region has fewer)."""
    region = suppliers["region"].to_numpy()
    vendor_type = suppliers["vendor_type"].to_numpy()
    wanted = rng.integers(PARTNERS_MIN, PARTNERS_MAX + 1, len(suppliers))
    chosen: list[np.ndarray] = []
    for supplier in range(len(suppliers)):
        candidates = np.flatnonzero(
            (region == region[supplier]) & (vendor_type != vendor_type[supplier])
        )
        size = min(int(wanted[supplier]), len(candidates))
        chosen.append(np.sort(rng.choice(candidates, size=size, replace=False)))
    count = np.array([len(c) for c in chosen], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(count)[:-1]]).astype(np.int64)
    partner = np.concatenate(chosen).astype(np.int64) if chosen else np.zeros(0, np.int64)
    return Partners(start, count, partner)


def _referred_enquiries(
    rng: np.random.Generator,
    enquiries: pd.DataFrame,
    suppliers: pd.DataFrame,
    partners: Partners,
    as_of_at: np.datetime64,
) -> pd.DataFrame:
    """The enquiries referrals make before `as_of`: one per referring booking at most, to a
    partner on the platform by then that the couple has not asked, of a type it has not booked
    (nor been referred to), and a venue only if it seats the guests."""
    clean = enquiries["defect_type"].isna().to_numpy()
    booked = enquiries[clean & enquiries["booked"].to_numpy(dtype=bool)]
    referrer = booked["supplier"].to_numpy().astype(np.int64)
    refers = (rng.random(len(booked)) < REFERRAL_RATE) & (partners.count[referrer] > 0)
    pick = np.floor(rng.random(len(booked)) * np.maximum(partners.count[referrer], 1))
    partner = partners.partner[
        np.minimum(partners.start[referrer] + pick.astype(np.int64), len(partners.partner) - 1)
    ]
    lag_days = 1.0 + rng.exponential(REFERRAL_LAG_MEAN_DAYS, len(booked))
    created_at = booked["booked_at"].to_numpy() + np.round(lag_days * SECONDS_PER_DAY).astype(
        "timedelta64[s]"
    )
    referred = booked.assign(
        referred_by=referrer,
        supplier=partner,
        vendor_type=suppliers["vendor_type"].to_numpy()[partner],
        created_at=created_at,
    )[refers]

    plan = enquiries["plan"].to_numpy().astype(np.int64)
    asked = set(zip(plan.tolist(), enquiries["supplier"].to_numpy().tolist(), strict=True))
    booked_types = set(zip(booked["plan"].tolist(), booked["vendor_type"].tolist(), strict=True))
    latest = referred["wedding_date"].to_numpy().astype("datetime64[s]") - np.timedelta64(
        REFERRAL_MIN_DAYS_BEFORE_WEDDING, "D"
    )
    # A venue is never referred to a couple with more guests than it seats.
    capacity = suppliers["capacity"].to_numpy()[referred["supplier"].to_numpy()]
    seats = np.isnan(capacity) | (capacity >= referred["guest_count"].to_numpy())
    keep = (
        seats
        & (referred["created_at"].to_numpy() < as_of_at)
        & (referred["created_at"].to_numpy() < latest)
        & (
            suppliers["joined_at"].to_numpy()[referred["supplier"].to_numpy()]
            <= referred["created_at"].to_numpy()
        )
        & np.array(
            [
                (p, s) not in asked and (p, t) not in booked_types
                for p, s, t in zip(
                    referred["plan"].tolist(),
                    referred["supplier"].tolist(),
                    referred["vendor_type"].tolist(),
                    strict=True,
                )
            ],
            dtype=bool,
        )
    )
    referred = referred[keep].sort_values(["created_at", "plan"], kind="stable")
    referred = referred.drop_duplicates(["plan", "vendor_type"])
    columns = ["plan", "vendor_type", "created_at", "wedding_date", "guest_count", "budget_gbp"]
    columns += ["couple_region", "supplier", "referred_by"]
    return referred.loc[:, columns].reset_index(drop=True)


def _resolve(
    referred: pd.DataFrame, enquiries: pd.DataFrame, weddings_per_date: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(booked, date_full) per referred enquiry, in decision order, on the dates' room after
    every booking of the market (whenever made) and of earlier referrals."""
    market_booked = enquiries[enquiries["booked"].to_numpy(dtype=bool)]
    slot_counts = (
        pd.DataFrame(
            {
                "supplier": market_booked["supplier"].to_numpy(),
                "day": market_booked["wedding_date"].to_numpy().astype("datetime64[D]"),
            }
        )
        .value_counts()
        .to_dict()
    )
    taken: dict[tuple[int, np.datetime64], int] = {
        (int(s), d): int(n) for (s, d), n in slot_counts.items()
    }
    supplier = referred["supplier"].to_numpy().astype(np.int64)
    days = referred["wedding_date"].to_numpy().astype("datetime64[D]")
    wished = referred["wished"].to_numpy(dtype=bool)
    booked = np.zeros(len(referred), dtype=bool)
    date_full = np.zeros(len(referred), dtype=bool)
    for row in np.argsort(referred["booked_at"].to_numpy(), kind="stable"):
        slot = (int(supplier[row]), days[row])
        already = taken.get(slot, 0)
        date_full[row] = already >= weddings_per_date[supplier[row]]
        if wished[row] and not date_full[row]:
            booked[row] = True
            taken[slot] = already + 1
    return booked, date_full


def refer_couples(
    rng: np.random.Generator,
    enquiries: pd.DataFrame,
    suppliers: pd.DataFrame,
    partners: Partners,
    as_of_at: np.datetime64,
) -> pd.DataFrame:
    """The referred enquiries, with every column the market's played enquiries carry (same
    index continuing theirs) plus `referred_by`, the referring supplier's position.

    Their probabilities are honest: the wish probability (propensity model plus
    `REFERRAL_WISH_BOOST`) times the room the partner's date had when the couple decided.
    """
    referred = _referred_enquiries(rng, enquiries, suppliers, partners, as_of_at)
    referred = add_channel_and_response(rng, referred).assign(channel="referral")
    referred["booked_at"] = draw_booked_at(rng, referred)
    before_reply = wish_logit_before_reply(referred, suppliers) + REFERRAL_WISH_BOOST
    replied = before_reply + reply_effect(
        referred["responded"].to_numpy(dtype=bool), referred["response_hours"].to_numpy()
    )
    wish = 1.0 / (1.0 + np.exp(-replied))
    referred["wished"] = rng.random(len(referred)) < wish
    booked, date_full = _resolve(referred, enquiries, suppliers["weddings_per_date"].to_numpy())
    room = (~date_full).astype(np.float64)
    referred = referred.assign(
        booked=booked,
        date_full=date_full,
        true_probability=wish * room,
        true_probability_at_enquiry=wish_probability_at_enquiry(before_reply) * room,
        **band_probabilities(referred, suppliers, room, REFERRAL_WISH_BOOST),
    )
    for column in enquiries.columns.difference(referred.columns):
        referred[column] = pd.Series(np.nan, index=referred.index, dtype=enquiries[column].dtype)
    referred.index = pd.RangeIndex(
        int(enquiries.index.max()) + 1, int(enquiries.index.max()) + 1 + len(referred)
    )
    return referred.loc[:, [*enquiries.columns, "referred_by"]]


def referral_truth(
    enquiries: pd.DataFrame,
    bookings: pd.DataFrame,
    suppliers: pd.DataFrame,
    partners: Partners,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(true pairs, referred enquiries) for the truth file, by id.

    Pairs: `supplier_id` refers to `partner_id`, with both vendor types and the region.
    Referred enquiries: `enquiry_id`, `couple_id`, `referred_by`, `supplier_id` and the
    `booking_id` it became before `as_of` (null when it did not book, or not yet).
    """
    ids = suppliers["supplier_id"].to_numpy()
    vendor_type = suppliers["vendor_type"].to_numpy()
    referrer, partner = partners.pairs()
    pairs = pd.DataFrame(
        {
            "supplier_id": ids[referrer],
            "partner_id": ids[partner],
            "supplier_vendor_type": vendor_type[referrer],
            "partner_vendor_type": vendor_type[partner],
            "region": suppliers["region"].to_numpy()[referrer],
        }
    )
    referred = enquiries[enquiries["referred_by"].notna()]
    booking_of = pd.Series(
        bookings["booking_id"].to_numpy(), index=bookings["enquiry_id"].to_numpy()
    )
    referrals = pd.DataFrame(
        {
            "enquiry_id": referred["enquiry_id"].to_numpy(),
            "couple_id": referred["couple_id"].to_numpy(),
            "referred_by": ids[referred["referred_by"].to_numpy().astype(np.int64)],
            "supplier_id": referred["supplier_id"].to_numpy(),
            "booking_id": booking_of.reindex(referred["enquiry_id"].to_numpy()).to_numpy(),
        }
    ).sort_values("enquiry_id", ignore_index=True)
    return pairs, referrals
