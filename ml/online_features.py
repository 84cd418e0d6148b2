"""Features of an enquiry posted to the API, computed as `features.ml_booking_features` does.

The batch features come from dbt; an enquiry posted for online scoring is not in the warehouse
yet, so its features are derived here from the same facts with the same rules (see
`dbt_project/models/features/ml_booking_features.sql` and the `wedding_season` macro). A change
to one must be made to the other; `tests/unit/ml/test_online_features.py` pins the rules.

The enquiry is scored as it arrives (the at-enquiry model), so a posted reply time is not a
feature: the model answering says so (`AT_ENQUIRY_MODEL`).
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from wedsync.simulator.weather import CLIMATE_NORMALS

#: April to September, as the dbt macro `wedding_season` defines the peak season.
PEAK_SEASON_MONTHS = range(4, 10)
SATURDAY = 6

#: Which model answers a posted enquiry: scored on arrival, with no reply features.
AT_ENQUIRY_MODEL = "at_enquiry"

#: The supplier facts the features need, from the suppliers dimension (one row by id), and
#: its diary for the wedding date: bookings it holds for it now. Parameters `supplier_id`,
#: `wedding_date`.
SUPPLIER_PROFILE_SQL = (
    "select vendor_type, region, price_band, base_price_gbp, "
    "(select count(*) from marts.fct_bookings as bookings "
    "where bookings.supplier_id = suppliers.supplier_id "
    "and bookings.wedding_date = %(wedding_date)s and bookings.status = 'confirmed')::integer "
    "from marts.dim_suppliers as suppliers where supplier_id = %(supplier_id)s"
)


@dataclass(frozen=True)
class SupplierProfile:
    """The supplier an enquiry is for: what the booking model knows about it."""

    vendor_type: str
    region: str
    price_band: str
    base_price_gbp: float | Decimal | None
    date_bookings: int = 0


@cache
def _climate_normals() -> dict[tuple[str, int], tuple[float, float]]:
    """(region, month) -> (rain days, mean temperature), from the seed file dbt loads as
    `uk_climate_normals` (read from the file, so the API's role needs no grant on seeds)."""
    with CLIMATE_NORMALS.open(newline="") as normals:
        return {
            (row["region"], int(row["month"])): (float(row["rain_days"]), float(row["mean_temp_c"]))
            for row in csv.DictReader(normals)
        }


def _date(enquiry: Mapping[str, object], field: str) -> dt.date:
    value = enquiry.get(field)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            pass
    raise ValueError(f"{field} must be a date (YYYY-MM-DD), got {value!r}")


def _number(enquiry: Mapping[str, object], field: str) -> float | None:
    value = enquiry.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"{field} must be a number or null, got {value!r}")
    return float(value)


def posted_enquiry_features(
    enquiry: Mapping[str, object], supplier: SupplierProfile, today: dt.date
) -> dict[str, object]:
    """The model's feature row for a posted enquiry (pass to `ChampionModel.score`).

    `enquiry` holds `wedding_date` and `channel` (required), `guest_count`, `budget_gbp`
    and `created_at` (optional, default `today`); a `first_response_hours` is checked but not
    used (the at-enquiry model has no reply features). Bad input raises `ValueError` naming
    the field.
    """
    wedding_date = _date(enquiry, "wedding_date")
    created = _date(enquiry, "created_at") if enquiry.get("created_at") is not None else today
    if wedding_date < created:
        raise ValueError(f"wedding_date {wedding_date} is before the enquiry was made ({created})")
    channel = enquiry.get("channel")
    if not isinstance(channel, str) or not channel:
        raise ValueError(f"channel must be a non-empty string, got {channel!r}")
    budget = _number(enquiry, "budget_gbp")
    _number(enquiry, "first_response_hours")
    # The dimension's numeric arrives as Decimal; the model works in floats.
    base_price = float(supplier.base_price_gbp) if supplier.base_price_gbp else None
    rain_days, mean_temp_c = _climate_normals().get(
        (supplier.region, wedding_date.month), (None, None)
    )
    return {
        "vendor_type": supplier.vendor_type,
        "region": supplier.region,
        "price_band": supplier.price_band,
        "channel": channel,
        "lead_time_days": (wedding_date - created).days,
        "guest_count": _number(enquiry, "guest_count"),
        "budget_gbp": budget,
        "budget_to_price_ratio": budget / base_price if budget is not None and base_price else None,
        "wedding_month": wedding_date.month,
        "is_peak_season": wedding_date.month in PEAK_SEASON_MONTHS,
        "is_saturday": wedding_date.isoweekday() == SATURDAY,
        "wedding_month_rain_days": rain_days,
        "wedding_month_mean_temp_c": mean_temp_c,
        "supplier_date_bookings": supplier.date_bookings,
    }
