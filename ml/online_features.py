"""Features of an enquiry posted to the API, computed as `features.ml_booking_features` does.

The batch features come from dbt; an enquiry posted for online scoring is not in the warehouse
yet, so its features are derived here from the same facts with the same rules (see
`dbt_project/models/features/ml_booking_features.sql` and the `wedding_season` macro). A change
to one must be made to the other; `tests/unit/ml/test_online_features.py` pins the rules.

The enquiry is scored as it arrives (the at-enquiry model), so a posted reply time is not a
feature: the model answering says so (`AT_ENQUIRY_MODEL`). The couple's earlier enquiries and
bookings of the vendor type are counted from `features.ml_couple_history` with the rule the
dbt model uses (`COUPLE_HISTORY_SQL`): only what happened strictly before the enquiry.
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


#: The couple's history for one vendor type as it stood at `at`: enquiries it had sent, and
#: whether it held a booking (made before `at`, not cancelled by then). Parameters
#: `couple_id`, `vendor_type`, `at`. `ml_booking_features.sql` (`couple_history`) is the batch
#: twin: strictly earlier events only, so a later enquiry never changes an earlier one's row.
COUPLE_HISTORY_SQL = (
    "select count(*) filter (where event = 'enquiry')::integer, "
    "count(*) filter (where event = 'booking' "
    "and (cancelled_at is null or cancelled_at > %(at)s)) > 0 "
    "from features.ml_couple_history "
    "where couple_id = %(couple_id)s and vendor_type = %(vendor_type)s and happened_at < %(at)s"
)


@dataclass(frozen=True)
class CoupleHistory:
    """What the couple had done for the enquiry's vendor type before it enquired; a couple
    the platform does not know (no `couple_id` posted) has done nothing yet."""

    prior_enquiries: int = 0
    booked_vendor_type: bool = False


NO_HISTORY = CoupleHistory()


def history_cut(created_at: object, now: dt.datetime) -> dt.datetime:
    """The instant a posted enquiry's couple history is counted up to (exclusive).

    A posted time is used as it is (naive means UTC); a bare date means the start of that day
    (UTC), so nothing from later that day can count; none means `now`, the moment it is scored.
    """
    if created_at is None:
        return now
    if isinstance(created_at, dt.datetime):
        return created_at if created_at.tzinfo else created_at.replace(tzinfo=dt.UTC)
    if isinstance(created_at, dt.date):
        return dt.datetime.combine(created_at, dt.time(), tzinfo=dt.UTC)
    raise ValueError(f"created_at must be a date or a time, got {created_at!r}")


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
    enquiry: Mapping[str, object],
    supplier: SupplierProfile,
    today: dt.date,
    couple: CoupleHistory = NO_HISTORY,
) -> dict[str, object]:
    """The model's feature row for a posted enquiry (pass to `ChampionModel.score`).

    `enquiry` holds `wedding_date` and `channel` (required), `guest_count`, `budget_gbp`
    and `created_at` (optional, default `today`); a `first_response_hours` is checked but not
    used (the at-enquiry model has no reply features). Bad input raises `ValueError` naming
    the field. `couple` is the couple's history up to `history_cut` (`COUPLE_HISTORY_SQL`).
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
        "couple_prior_enquiries": couple.prior_enquiries,
        "couple_booked_vendor_type": couple.booked_vendor_type,
    }
