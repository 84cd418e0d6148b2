"""Couples and their wedding plans: the date, the guest list and the budget they bring to every
supplier they enquire with."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wedsync.simulator import calibration as cal
from wedsync.simulator.timeline import SECONDS_PER_DAY, wedding_day_weights

_FIRST_NAMES = (
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Freya", "Lily", "Sophie", "Emily", "Ella",
    "Chloe", "Hannah", "Lucy", "Megan", "Rosie", "Holly", "Zara", "Priya", "Aisha", "Niamh",
    "Oliver", "George", "Harry", "Jack", "Noah", "Leo", "Arthur", "Oscar", "Charlie", "James",
    "Thomas", "William", "Samuel", "Daniel", "Joshua", "Ryan", "Callum", "Rhys", "Arjun", "Omar",
)  # fmt: skip
_SURNAMES = (
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "Hughes", "Edwards", "Campbell", "Murphy", "Kelly",
)  # fmt: skip
#: Couples sign up shortly before their first enquiry (mean gap).
_SIGN_UP_GAP_DAYS = 6.0


def draw_wedding_plans(
    rng: np.random.Generator, count: int, first_day: np.datetime64, last_day: np.datetime64
) -> pd.DataFrame:
    """`count` couples' wedding date, guest count, budget and home region."""
    days, weights = wedding_day_weights(first_day, last_day)
    guests = np.round(rng.lognormal(np.log(cal.GUESTS_MEDIAN), cal.GUESTS_SIGMA, count))
    budget = rng.lognormal(np.log(cal.BUDGET_MEDIAN_GBP), cal.BUDGET_SIGMA, count)
    region_share = np.array([cal.REGION_SHARE[region] for region in cal.REGIONS])
    return pd.DataFrame(
        {
            "wedding_date": days[rng.choice(len(days), size=count, p=weights)],
            # Not clipped to the quality rules' limits: their false alarms are measured.
            "guest_count": guests.astype(np.int64),
            "budget_gbp": np.round(budget / 50) * 50,
            "region": np.array(cal.REGIONS, dtype=object)[
                rng.choice(len(cal.REGIONS), size=count, p=region_share / region_share.sum())
            ],
        }
    )


def finish_couples(
    rng: np.random.Generator,
    plans: pd.DataFrame,
    first_enquiry_at: np.ndarray,
    platform_start: np.datetime64,
) -> pd.DataFrame:
    """The couples table for the couples who enquired: names, e-mail and sign-up time.

    A couple signs up a few days before their first enquiry (never before the first export,
    whose history is the platform's), so every enquiry's couple already exists when it is made.
    """
    count = len(plans)
    gap = (rng.exponential(_SIGN_UP_GAP_DAYS, count) * SECONDS_PER_DAY).astype(np.int64)
    signed_up_at = np.maximum(first_enquiry_at - gap.astype("timedelta64[s]"), platform_start)
    one = np.array(_FIRST_NAMES, dtype=object)[rng.integers(0, len(_FIRST_NAMES), count)]
    two = np.array(_FIRST_NAMES, dtype=object)[rng.integers(0, len(_FIRST_NAMES), count)]
    surname = np.array(_SURNAMES, dtype=object)[rng.integers(0, len(_SURNAMES), count)]
    couples = pd.DataFrame(
        {
            "plan": plans.index.to_numpy(),
            "partner_one_name": one + " " + surname,
            "partner_two_name": two + " " + surname,
            "region": plans["region"].to_numpy(),
            "signed_up_at": signed_up_at,
        }
    )
    couples = couples.sort_values(["signed_up_at", "plan"], kind="stable").reset_index(drop=True)
    if len(couples) > 999_999:
        raise ValueError(f"{len(couples)} couples do not fit the cpl_000000 id format: lower scale")
    numbers = np.arange(1, len(couples) + 1)
    couples["couple_id"] = [f"cpl_{number:06d}" for number in numbers]
    couples["email"] = [
        f"{name.split()[0].lower()}.{name.split()[1].lower()}.{number}@example.com"
        for name, number in zip(couples["partner_one_name"], numbers, strict=True)
    ]
    return couples
