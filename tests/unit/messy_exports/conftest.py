"""A small, hand-built export history (one summer) for the messy-export generator's tests.

Built in memory rather than simulated: the generator only needs text rows in the raw tables'
shape, and a simulated landing takes the simulator's whole history to read back.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wedsync.messy_exports import ExportHistory, generate_messy_exports
from wedsync.messy_exports.history import EXPORT_DATE
from wedsync.warehouse.schema import RAW_TABLES

FIRST_NIGHT = dt.date(2026, 5, 1)
NIGHTS = [FIRST_NIGHT + dt.timedelta(days=n) for n in range(120)]
#: (table, key) of rows the simulator "injected" a defect into: never damaged again.
INJECTED = {("enquiries", "enq_0000003"), ("enquiries", "enq_0000010")}
_NAMES = ("Olivia", "Amelia", "Isla", "Oliver", "George", "Harry", "Priya", "Omar", "Niamh")
_SURNAMES = ("Smith", "Jones", "Taylor", "Patel", "Khan", "Evans")


def _frame(table: str, columns: dict[str, list[object]], nights: list[dt.date]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {name: columns.get(name) for name in RAW_TABLES[table].columns},
        index=range(len(nights)),
        dtype=object,
    )
    frame[EXPORT_DATE] = nights
    return frame.astype(object).sort_values(EXPORT_DATE, kind="stable", ignore_index=True)


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def summer_history() -> ExportHistory:
    """60 suppliers, 400 couples, 1,600 enquiries, bookings, cancellations and deposits."""
    rng = np.random.default_rng(3)
    suppliers = _frame(
        "suppliers",
        {
            "supplier_id": [f"sup_{n:06d}" for n in range(1, 61)],
            "vendor_type": ["photographer"] * 60,
            "joined_at": ["2025-01-01T09:00:00Z"] * 60,
        },
        [FIRST_NIGHT] * 60,
    )
    names = [
        (f"{_NAMES[n % 9]} {_SURNAMES[n % 6]}", f"{_NAMES[(n * 7 + 3) % 9]} {_SURNAMES[n % 6]}")
        for n in range(400)
    ]
    couples = _frame(
        "couples",
        {
            "couple_id": [f"cpl_{n:06d}" for n in range(1, 401)],
            "partner_one_name": [one for one, _ in names],
            "partner_two_name": [two for _, two in names],
            "email": [f"couple.{n}@example.com" for n in range(1, 401)],
            "region": ["london"] * 400,
            "signed_up_at": [f"{FIRST_NIGHT}T08:00:00Z"] * 400,
        },
        [FIRST_NIGHT] * 400,
    )
    created = sorted(
        dt.datetime.combine(NIGHTS[int(rng.integers(120))], dt.time(int(rng.integers(7, 24))))
        + dt.timedelta(minutes=int(rng.integers(60)))
        for _ in range(1600)
    )
    couple_of = rng.integers(1, 401, 1600)
    wedding = {
        c: dt.date(2027, 1, 1) + dt.timedelta(days=int(rng.integers(365))) for c in range(1, 401)
    }
    enquiries = _frame(
        "enquiries",
        {
            "enquiry_id": [f"enq_{n:07d}" for n in range(1, 1601)],
            "supplier_id": [f"sup_{n:06d}" for n in rng.integers(1, 61, 1600)],
            "couple_id": [f"cpl_{c:06d}" for c in couple_of],
            "created_at": [_stamp(moment) for moment in created],
            "wedding_date": [wedding[c].isoformat() for c in couple_of],
            "guest_count": ["80"] * 1600,
            "budget_gbp": [f"{b:.2f}" for b in rng.integers(20, 600, 1600) * 50.0],
            "channel": ["search"] * 1600,
        },
        [moment.date() for moment in created],
    )
    booked = [moment + dt.timedelta(days=3) for moment in created[:900:3]]
    ids = [f"bkg_{n:07d}" for n in range(1, len(booked) + 1)]
    common = {
        "booking_id": ids,
        "enquiry_id": list(enquiries["enquiry_id"][:900:3]),
        "supplier_id": list(enquiries["supplier_id"][:900:3]),
        "couple_id": list(enquiries["couple_id"][:900:3]),
        "booked_at": [_stamp(moment) for moment in booked],
        "wedding_date": list(enquiries["wedding_date"][:900:3]),
        "total_value_gbp": ["4000.00"] * len(ids),
        "deposit_gbp": ["1000.00"] * len(ids),
    }
    cancelled_on = [moment + dt.timedelta(days=7) for moment in booked[::5]]
    bookings = pd.concat(
        [
            _frame(
                "bookings",
                {**common, "status": ["confirmed"] * len(ids)},
                [b.date() for b in booked],
            ),
            _frame(
                "bookings",
                {
                    **{name: values[::5] for name, values in common.items()},
                    "status": ["cancelled"] * len(cancelled_on),
                    "cancelled_at": [_stamp(moment) for moment in cancelled_on],
                },
                [moment.date() for moment in cancelled_on],
            ),
        ],
        ignore_index=True,
    )
    paid = [moment + dt.timedelta(days=1) for moment in booked]
    payments = _frame(
        "payments",
        {
            "payment_id": [f"pay_{n:07d}" for n in range(1, len(ids) + 1)],
            "booking_id": ids,
            "supplier_id": common["supplier_id"],
            "paid_at": [_stamp(moment) for moment in paid],
            "payment_type": ["deposit"] * len(ids),
            "amount_gbp": ["1000.00"] * len(ids),
        },
        [moment.date() for moment in paid],
    )
    reviews = _frame("reviews", {}, [])
    frames = {
        "suppliers": suppliers,
        "couples": couples,
        "enquiries": enquiries,
        "bookings": bookings,
        "payments": payments,
        "reviews": reviews,
    }
    return ExportHistory(frames, NIGHTS, "parquet")


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> tuple[ExportHistory, pd.DataFrame, Path]:
    """The summer history damaged once: the history after damage, the truth, the landing."""
    history = summer_history()
    landing = tmp_path_factory.mktemp("messy_landing")
    truth = generate_messy_exports(history, INJECTED, landing, seed=5)
    return history, truth, landing
