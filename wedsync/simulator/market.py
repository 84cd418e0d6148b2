"""Scarcity and competition: which wishes to book become bookings.

Couples act in the order their decisions fall (`booked_at`, drawn for every enquiry). A wish
becomes a booking only if, at that moment, the couple has not already booked a supplier of
that vendor type, and the supplier still has room on the wedding date (a venue one wedding, a
photographer one unless it has a second shooter). A wish that finds the date taken is lost,
and the couple may still book a rival it enquired with.

The true probability of an enquiry, in the truth file, is the probability that it books given
the market it enquired into: its own wish times the chance the market leaves it room. That
chance depends on the other couples' wishes; it is estimated by replaying the market with
fresh wishes for everyone (the enquiry's own wish does not move what happened before it, so
each replay gives the exact conditional chance, and the replays average over the rest).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wedsync.vendor_types import VENDOR_TYPES

#: Replays of the market for each enquiry's chance of finding room.
MARKET_REPLAYS = 16


def _market_keys(enquiries: pd.DataFrame, weddings_per_date: np.ndarray) -> tuple[list, ...]:
    """(order of decisions, couple-and-type key, supplier-and-date key, room on that date)."""
    type_index = {vt: i for i, vt in enumerate(VENDOR_TYPES)}
    order = np.argsort(enquiries["booked_at"].to_numpy(), kind="stable")
    search = enquiries["plan"].to_numpy().astype(np.int64) * len(VENDOR_TYPES) + np.array(
        [type_index[t] for t in enquiries["vendor_type"].to_numpy()]
    )
    supplier = enquiries["supplier"].to_numpy().astype(np.int64)
    wedding_day = enquiries["wedding_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    slot = supplier * 1_000_000 + wedding_day
    room = weddings_per_date[supplier]
    return order.tolist(), search.tolist(), slot.tolist(), room.tolist()


@dataclass(frozen=True)
class MarketPlay:
    """Per enquiry, what the market did with it (arrays aligned with the enquiries).

    `date_full` is whether the supplier's date was already fully booked when the couple
    decided, whatever the couple wished; `had_room` is also false when the couple had already
    booked another supplier of the type. A search (couple x vendor type) that ends unbooked
    although one of its enquiries was `wished` met a full date every time it wished: demand
    the market could not serve, which is what the market-gaps marts estimate.
    """

    booked: np.ndarray
    had_room: np.ndarray
    date_full: np.ndarray
    wished: np.ndarray


def _play(keys: tuple[list, ...], wishes: np.ndarray) -> MarketPlay:
    """What happens to every enquiry when couples act on `wishes` in decision order."""
    order, search, slot, room = keys
    wish = wishes.tolist()
    booked = np.zeros(len(wish), dtype=bool)
    had_room = np.zeros(len(wish), dtype=bool)
    date_full = np.zeros(len(wish), dtype=bool)
    searches_done: set[int] = set()
    slots_taken: dict[int, int] = {}
    for row in order:
        taken = slots_taken.get(slot[row], 0)
        date_full[row] = taken >= room[row]
        if search[row] in searches_done or date_full[row]:
            continue
        had_room[row] = True
        if wish[row]:
            booked[row] = True
            searches_done.add(search[row])
            slots_taken[slot[row]] = taken + 1
    return MarketPlay(booked, had_room, date_full, np.asarray(wishes, dtype=bool))


def resolve_bookings(
    rng: np.random.Generator,
    enquiries: pd.DataFrame,
    weddings_per_date: np.ndarray,
    wish_probability: np.ndarray,
) -> tuple[MarketPlay, np.ndarray]:
    """(what happened, chance of room) for every enquiry.

    The play is what happened; `chance of room` is the share of market replays in which the
    enquiry found room, so `wish_probability x chance` is its true booking probability.
    `enquiries` holds `plan, vendor_type, supplier, wedding_date, booked_at`; an enquiry with
    wish probability 0 (a defective row) never books and takes no room.
    """
    keys = _market_keys(enquiries, weddings_per_date)
    played = _play(keys, rng.random(len(enquiries)) < wish_probability)
    room = np.zeros(len(enquiries))
    for _ in range(MARKET_REPLAYS):
        room += _play(keys, rng.random(len(enquiries)) < wish_probability).had_room
    return played, room / MARKET_REPLAYS
