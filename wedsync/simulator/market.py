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


def _play(keys: tuple[list, ...], wishes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(booked, had room) of every enquiry when couples act on `wishes` in decision order."""
    order, search, slot, room = keys
    wish = wishes.tolist()
    booked = np.zeros(len(wish), dtype=bool)
    had_room = np.zeros(len(wish), dtype=bool)
    searches_done: set[int] = set()
    slots_taken: dict[int, int] = {}
    for row in order:
        taken = slots_taken.get(slot[row], 0)
        if search[row] in searches_done or taken >= room[row]:
            continue
        had_room[row] = True
        if wish[row]:
            booked[row] = True
            searches_done.add(search[row])
            slots_taken[slot[row]] = taken + 1
    return booked, had_room


def resolve_bookings(
    rng: np.random.Generator,
    enquiries: pd.DataFrame,
    weddings_per_date: np.ndarray,
    wish_probability: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(booked, chance of room) for every enquiry.

    `booked` is what happened; `chance of room` is the share of market replays in which the
    enquiry found room, so `wish_probability x chance` is its true booking probability.
    `enquiries` holds `plan, vendor_type, supplier, wedding_date, booked_at`; an enquiry with
    wish probability 0 (a defective row) never books and takes no room.
    """
    keys = _market_keys(enquiries, weddings_per_date)
    booked, _ = _play(keys, rng.random(len(enquiries)) < wish_probability)
    room = np.zeros(len(enquiries))
    for _ in range(MARKET_REPLAYS):
        room += _play(keys, rng.random(len(enquiries)) < wish_probability)[1]
    return booked, room / MARKET_REPLAYS
