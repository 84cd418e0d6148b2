"""Features of an enquiry posted to the API, computed as `features.ml_booking_features` does.

The batch features come from dbt; an enquiry posted for online scoring is not in the warehouse
yet, so its features are derived here from the same facts with the same rules (see
`dbt_project/models/features/ml_booking_features.sql` and the `wedding_season` macro). A change
to one must be made to the other; `tests/unit/ml/test_online_features.py` pins the rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

#: April to September, as the dbt macro `wedding_season` defines the peak season.
PEAK_SEASON_MONTHS = range(4, 10)
SATURDAY = 6

#: The supplier facts the features need, from the suppliers dimension (one row by id).
SUPPLIER_PROFILE_SQL = (
    "select vendor_type, region, price_band, base_price_gbp "
    "from marts.dim_suppliers where supplier_id = %s"
)


@dataclass(frozen=True)
class SupplierProfile:
    """The supplier an enquiry is for: what the booking model knows about it."""

    vendor_type: str
    region: str
    price_band: str
    base_price_gbp: float | Decimal | None


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

    `enquiry` holds `wedding_date` and `channel` (required), `guest_count`, `budget_gbp`,
    `first_response_hours` (optional; null = no reply yet) and `created_at` (optional,
    default `today`). Bad input raises `ValueError` naming the field.
    """
    wedding_date = _date(enquiry, "wedding_date")
    created = _date(enquiry, "created_at") if enquiry.get("created_at") is not None else today
    if wedding_date < created:
        raise ValueError(f"wedding_date {wedding_date} is before the enquiry was made ({created})")
    channel = enquiry.get("channel")
    if not isinstance(channel, str) or not channel:
        raise ValueError(f"channel must be a non-empty string, got {channel!r}")
    budget = _number(enquiry, "budget_gbp")
    first_response_hours = _number(enquiry, "first_response_hours")
    # The dimension's numeric arrives as Decimal; the model works in floats.
    base_price = float(supplier.base_price_gbp) if supplier.base_price_gbp else None
    return {
        "vendor_type": supplier.vendor_type,
        "region": supplier.region,
        "price_band": supplier.price_band,
        "channel": channel,
        "lead_time_days": (wedding_date - created).days,
        "guest_count": _number(enquiry, "guest_count"),
        "budget_gbp": budget,
        "budget_to_price_ratio": budget / base_price if budget is not None and base_price else None,
        "first_response_hours": first_response_hours,
        "responded": first_response_hours is not None,
        "wedding_month": wedding_date.month,
        "is_peak_season": wedding_date.month in PEAK_SEASON_MONTHS,
        "is_saturday": wedding_date.isoweekday() == SATURDAY,
    }
