"""Price advice per vendor type x region x upcoming month: which price band earns most.

For each upcoming wedding month the demand forecast says whether demand is high or low for
the segment (at least / below its 12-month average), and the segment's own history in months
of the same demand level is shown per price band: decided enquiries, bookings, conversion
with a 95% Wilson interval (`wedsync.conversion`, as the API and the marts report them), and
what a booking was worth.

Those per-band figures compare different suppliers' couples, so they cannot say what a
supplier would win by moving band (issue 12). The advice itself comes from
`ml.price_response`: the segment's usual-band enquiries for that calendar month, re-priced one
band up or down, everything else held. A band change is advised only when the 95% interval of
its revenue-per-enquiry change lies wholly above zero (and at least `MIN_REPRICED_ENQUIRIES`
usual-band enquiries stand for the month's couples); otherwise the advice is a hold. The
claimed conversion change and its interval are kept in the evidence, where `ml.price_truth`
holds them against the simulator's true price response. One step at a time keeps the advice
near the prices the evidence has seen.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import psycopg

from ml.demand.history import SEGMENT
from ml.evaluation import as_of_date, settled_enquiries
from ml.features import read_booking_features
from ml.price_response import (
    PRICE_BANDS,
    BandChange,
    DesignedRows,
    PriceResponse,
    fit_price_responses,
)
from ml.tables import replace_table, sql_value
from wedsync.conversion import conversion_rate, wilson_interval

#: The usual band's enquiries for the wedding month that are re-priced: the model carries the
#: evidence, so these only need to be enough to stand for the month's couples.
MIN_REPRICED_ENQUIRIES = 10

PRICE_ADVICE_TABLE = ("predictions", "price_advice")
PRICE_ADVICE_COLUMNS = (
    "month",
    "vendor_type",
    "region",
    "demand_level",
    "demand_index",
    "recommended_price_band",
    "usual_price_band",
    "price_change",
    "advice",
    "decided_enquiries",
    "evidence",
    "created_at",
)
PRICE_ADVICE_DDL = """
create schema if not exists predictions;
create table if not exists predictions.price_advice (
    month                  date             not null,
    vendor_type            text             not null,
    region                 text             not null,
    demand_level           text             not null check (demand_level in ('high', 'low')),
    demand_index           double precision not null,
    recommended_price_band text,
    usual_price_band       text,
    price_change           text check (price_change in ('up', 'down', 'hold')),
    advice                 text             not null,
    decided_enquiries      integer          not null,
    evidence               jsonb            not null,
    created_at             timestamptz      not null,
    primary key (month, vendor_type, region)
);
"""


def demand_levels(monthly_demand: pd.DataFrame, month_column: str) -> pd.DataFrame:
    """`demand_index` (enquiries / the segment's mean month) and `demand_level` per row."""
    mean = monthly_demand.groupby(SEGMENT)["enquiries"].transform("mean")
    index = (monthly_demand["enquiries"] / mean.where(mean > 0)).fillna(1.0)
    return monthly_demand[[*SEGMENT, month_column]].assign(
        demand_index=index, demand_level=index.ge(1.0).map({True: "high", False: "low"})
    )


def band_evidence(
    decided: pd.DataFrame, historic_levels: pd.DataFrame, booking_values: pd.DataFrame
) -> pd.DataFrame:
    """Per segment, demand level and price band: decided enquiries, bookings, conversion,
    Wilson interval, booking value and revenue per enquiry.

    `decided` holds one row per booked-or-lost enquiry (`vendor_type, region, price_band,
    wedding_month, booked`); `historic_levels` the level of each segment's calendar month;
    `booking_values` the average value per `vendor_type, region, price_band`.
    """
    levelled = decided.merge(historic_levels, on=[*SEGMENT, "wedding_month"], how="inner")
    evidence = levelled.groupby([*SEGMENT, "demand_level", "price_band"], as_index=False).agg(
        decided_enquiries=("booked", "size"), bookings=("booked", "sum")
    )
    # Every group has at least one decided enquiry, so each has a rate and an interval.
    counts = list(zip(evidence["bookings"], evidence["decided_enquiries"], strict=True))
    evidence["conversion"] = [conversion_rate(int(b), int(n)) for b, n in counts]
    intervals = [wilson_interval(int(b), int(n)) or (None, None) for b, n in counts]
    evidence["conversion_ci_low"] = [low for low, _ in intervals]
    evidence["conversion_ci_high"] = [high for _, high in intervals]
    evidence = evidence.merge(booking_values, on=[*SEGMENT, "price_band"], how="left")
    evidence["revenue_per_enquiry_gbp"] = evidence["conversion"] * evidence["booking_value_gbp"]
    return evidence


def _advice(
    recommended: BandChange | None, usual: str | None, level: str, enough: bool
) -> tuple[str | None, str]:
    """(`up` | `down` | `hold` | None, the advice in words)."""
    if usual is None or not enough:
        return None, (
            f"not enough evidence: the usual price band has fewer than {MIN_REPRICED_ENQUIRIES} "
            "enquiries for this wedding month, or its vendor type has too few settled ones to "
            "fit a price response"
        )
    if recommended is None:
        return "hold", (
            f"hold at {usual}: re-priced one band up or down, the same enquiries would not earn "
            f"more per enquiry beyond the 95% interval ({level}-demand month)"
        )
    moved = recommended
    direction = "up" if PRICE_BANDS.index(moved.band) > PRICE_BANDS.index(usual) else "down"
    return direction, (
        f"move {direction} from {usual} to {moved.band}: the same enquiries would convert "
        f"{moved.conversion_now:.1%} -> {moved.conversion_there:.1%} (change 95% interval "
        f"{moved.conversion_change_low:+.3f}..{moved.conversion_change_high:+.3f}) at "
        f"{moved.price_factor:.2f}x the price, earning more per enquiry beyond the 95% "
        f"interval ({level}-demand month)"
    )


def _neighbours(usual_band: str) -> tuple[str, ...]:
    """The bands one step from the usual one."""
    position = PRICE_BANDS.index(usual_band)
    return tuple(PRICE_BANDS[i] for i in (position - 1, position + 1) if 0 <= i < len(PRICE_BANDS))


def band_changes(
    response: PriceResponse | None,
    designed: DesignedRows | None,
    rows: pd.DataFrame,
    usual_band: str | None,
) -> list[BandChange]:
    """What moving one band up or down would do to `rows` (the usual band's enquiries, taken
    from `designed`, the vendor type's designed enquiries); empty without a response, a usual
    band or enough enquiries."""
    if response is None or designed is None or usual_band not in response.band_prices:
        return []
    if len(rows) < MIN_REPRICED_ENQUIRIES:
        return []
    neighbours = [band for band in _neighbours(usual_band) if band in response.band_prices]
    return response.changes(designed.take(rows.index), usual_band, neighbours)


def clearly_better(changes: list[BandChange]) -> BandChange | None:
    """The neighbour whose revenue-per-enquiry change has the highest 95% lower bound, if that
    bound is above zero; None (hold) when no interval says a move earns more."""
    better = [change for change in changes if change.revenue_change_low > 0]
    return max(better, key=lambda change: change.revenue_change_low) if better else None


def price_advice(
    upcoming: pd.DataFrame,
    evidence: pd.DataFrame,
    usual_bands: pd.DataFrame,
    settled: pd.DataFrame,
    enquiries: pd.DataFrame,
) -> pd.DataFrame:
    """One row per upcoming segment month: the recommended band, why, and the evidence.

    `upcoming` holds `vendor_type, region, month, demand_index, demand_level`; `usual_bands`
    each segment's most common price band (`usual_price_band`); `settled` the settled
    enquiries' features and labels (`ml.evaluation.settled_enquiries`), which the price
    response is fitted on; `enquiries` every enquiry's features, whose usual-band ones for the
    segment and calendar month are re-priced.
    """
    responses = fit_price_responses(settled)
    rows = []
    grouped = {key: group for key, group in evidence.groupby([*SEGMENT, "demand_level"])}
    by_segment_month = {
        key: group for key, group in enquiries.groupby([*SEGMENT, "price_band", "wedding_month"])
    }
    usual = usual_bands.set_index(SEGMENT)["usual_price_band"].to_dict()
    designed = {
        vendor_type: response.designed(enquiries[enquiries["vendor_type"] == vendor_type])
        for vendor_type, response in responses.items()
    }
    for month in upcoming.itertuples(index=False):
        key = (month.vendor_type, month.region, month.demand_level)
        bands = grouped.get(key, evidence.iloc[0:0]).sort_values(
            "price_band", key=lambda band: band.map(PRICE_BANDS.index)
        )
        usual_band = usual.get((month.vendor_type, month.region))
        usual_rows = by_segment_month.get(
            (month.vendor_type, month.region, usual_band, pd.Timestamp(month.month).month),
            enquiries.iloc[0:0],
        )
        changes = band_changes(
            responses.get(month.vendor_type),
            designed.get(month.vendor_type),
            usual_rows,
            usual_band,
        )
        recommended = clearly_better(changes)
        change, advice = _advice(recommended, usual_band, month.demand_level, bool(changes))
        rows.append(
            {
                "month": month.month,
                "vendor_type": month.vendor_type,
                "region": month.region,
                "demand_level": month.demand_level,
                "demand_index": round(float(month.demand_index), 3),
                "recommended_price_band": (
                    None if not changes else recommended.band if recommended else usual_band
                ),
                "usual_price_band": usual_band,
                "price_change": change,
                "advice": advice,
                "decided_enquiries": int(bands["decided_enquiries"].sum()),
                "evidence": _evidence_json(bands, changes),
            }
        )
    return pd.DataFrame(rows)


def _if_moved(change: BandChange) -> dict[str, float | int]:
    return {
        "enquiries": change.enquiries,
        "price_factor": round(change.price_factor, 4),
        "conversion_now": round(change.conversion_now, 4),
        "conversion_there": round(change.conversion_there, 4),
        "conversion_change": round(change.conversion_change, 4),
        "conversion_change_low": round(change.conversion_change_low, 4),
        "conversion_change_high": round(change.conversion_change_high, 4),
        "revenue_change_share": round(change.revenue_change, 4),
        "revenue_change_share_low": round(change.revenue_change_low, 4),
        "revenue_change_share_high": round(change.revenue_change_high, 4),
    }


def _evidence_json(bands: pd.DataFrame, changes: list[BandChange]) -> str:
    """The per-band evidence as JSON the API can pass through unchanged; a neighbour of the
    usual band also carries `if_moved`, the usual band's enquiries re-priced into it (the
    revenue change as a share of the usual band's booking value)."""
    moved = {change.band: _if_moved(change) for change in changes}
    entries = {
        band.price_band: {
            "price_band": band.price_band,
            "decided_enquiries": int(band.decided_enquiries),
            "bookings": int(band.bookings),
            "conversion": round(float(band.conversion), 4),
            "conversion_ci_low": round(float(band.conversion_ci_low), 4),
            "conversion_ci_high": round(float(band.conversion_ci_high), 4),
            "booking_value_gbp": _rounded(band.booking_value_gbp),
            "revenue_per_enquiry_gbp": _rounded(band.revenue_per_enquiry_gbp),
        }
        for band in bands.itertuples(index=False)
    }
    for band, entry in moved.items():
        entries.setdefault(band, {"price_band": band, "decided_enquiries": 0, "bookings": 0})
        entries[band]["if_moved"] = entry
    return json.dumps([entries[band] for band in PRICE_BANDS if band in entries])


def _rounded(value: float) -> float | None:
    return None if pd.isna(value) else round(float(value), 2)


def read_price_inputs(
    conn: psycopg.Connection,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(upcoming segment months with demand levels, per-band evidence, usual bands, settled
    enquiries with their features and labels, every enquiry's features).

    Raises `LookupError` when there is no demand forecast yet.
    """

    def frame(query: str, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(conn.execute(query).fetchall(), columns=columns)

    upcoming = frame(
        "select vendor_type, region, month, enquiries_forecast from predictions.demand_forecast",
        [*SEGMENT, "month", "enquiries"],
    )
    if upcoming.empty:
        raise LookupError("predictions.demand_forecast is empty: forecast demand first")
    features = "features.ml_booking_features"
    decided = frame(
        f"select vendor_type, region, price_band, wedding_month, booked from {features} "
        "where outcome in ('booked', 'lost') and price_band is not null "
        "and wedding_month is not null",
        [*SEGMENT, "price_band", "wedding_month", "booked"],
    )
    historic = frame(
        f"select vendor_type, region, wedding_month, count(*) from {features} "
        "where wedding_month is not null group by 1, 2, 3",
        [*SEGMENT, "wedding_month", "enquiries"],
    )
    booking_values = frame(
        "select vendor_type, region, price_band, "
        "(sum(revenue_gbp) / nullif(sum(bookings), 0))::double precision "
        "from marts.vendor_performance group by 1, 2, 3",
        [*SEGMENT, "price_band", "booking_value_gbp"],
    )
    usual_bands = frame(
        "select distinct on (vendor_type, region) vendor_type, region, price_band "
        f"from (select vendor_type, region, price_band, count(distinct supplier_id) as suppliers "
        f"from {features} where price_band is not null group by 1, 2, 3) as bands "
        "order by vendor_type, region, suppliers desc, price_band",
        [*SEGMENT, "usual_price_band"],
    )
    evidence = band_evidence(
        decided.astype({"booked": "int64", "wedding_month": "int64"}),
        demand_levels(historic.astype({"wedding_month": "int64"}), "wedding_month"),
        booking_values,
    )
    enquiries = read_booking_features(conn)
    settled = settled_enquiries(enquiries, as_of_date(enquiries))
    upcoming_levels = demand_levels(upcoming.astype({"enquiries": "float64"}), "month")
    return upcoming_levels, evidence, usual_bands, settled, enquiries


def replace_price_advice(
    conn: psycopg.Connection, advice: pd.DataFrame, created_at: dt.datetime
) -> int:
    """Replace `predictions.price_advice` with `advice`; return rows written."""
    rows = (
        (*(sql_value(getattr(row, column)) for column in PRICE_ADVICE_COLUMNS[:-1]), created_at)
        for row in advice.itertuples(index=False)
    )
    return replace_table(conn, PRICE_ADVICE_DDL, PRICE_ADVICE_TABLE, PRICE_ADVICE_COLUMNS, rows)
