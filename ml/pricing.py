"""Price advice per vendor type x region x upcoming month: which price band earns most.

Plain and checkable by hand. For each upcoming wedding month the demand forecast says whether
demand is high or low for the segment (at least / below its 12-month average). The evidence
is the segment's own history in months of the same demand level: for each price band, how
many enquiries were decided (booked or lost), how many booked (conversion, with a 95% Wilson
interval, from `wedsync.conversion` as the API and the marts report them) and what a booking
was worth. A band's revenue per enquiry is conversion x booking
value, and its interval the Wilson interval x booking value. The advice moves one step from
the segment's usual band only when the neighbour's whole interval lies above the usual band's
(both with at least `MIN_DECIDED_ENQUIRIES`): a better point estimate inside the noise is a
hold, not a move. `ml.price_truth` holds the claimed conversion change against the
simulator's true price response.

The evidence is observational: a band's enquiries come from the couples who chose that band,
so a far-away band's figures say little about what a supplier would win by moving there. One
step at a time keeps the advice close to what the evidence can support.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import psycopg

from ml.demand.history import SEGMENT
from ml.tables import replace_table, sql_value
from wedsync.conversion import conversion_rate, wilson_interval

PRICE_BANDS = ("budget", "mid", "premium", "luxury")
MIN_DECIDED_ENQUIRIES = 30

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


def _advice(recommended: str | None, usual: str | None, level: str) -> tuple[str | None, str]:
    """(`up` | `down` | `hold` | None, the advice in words)."""
    if recommended is None:
        return None, (
            f"not enough evidence: the usual price band (or, without one, every band within "
            f"one step) lacks {MIN_DECIDED_ENQUIRIES}+ decided enquiries in {level}-demand months"
        )
    if usual is None or recommended == usual:
        return "hold", (
            f"hold at {recommended}: no neighbouring band earns more per enquiry beyond its 95% "
            f"interval in {level}-demand months"
        )
    direction = "up" if PRICE_BANDS.index(recommended) > PRICE_BANDS.index(usual) else "down"
    return direction, (
        f"move {direction} from {usual} to {recommended}: it earns more per enquiry in "
        f"{level}-demand months, beyond both 95% intervals"
    )


def _within_one_step(usual_band: str | None) -> tuple[str, ...]:
    """The usual band and its neighbours (every band when the usual one is unknown)."""
    if usual_band not in PRICE_BANDS:
        return PRICE_BANDS
    position = PRICE_BANDS.index(usual_band)
    return PRICE_BANDS[max(0, position - 1) : position + 2]


def _clearly_best(eligible: pd.DataFrame, usual_band: str | None) -> str | None:
    """The usual band, or a neighbour whose revenue-per-enquiry interval lies wholly above the
    usual band's (the one with the highest lower bound); None without evidence for the usual
    band (with no usual band, the band with the best point estimate)."""
    if eligible.empty:
        return None
    if usual_band is None:
        return str(eligible.loc[eligible["revenue_per_enquiry_gbp"].idxmax(), "price_band"])
    value = eligible["booking_value_gbp"]
    low = eligible["conversion_ci_low"] * value
    high = eligible["conversion_ci_high"] * value
    usual = eligible["price_band"] == usual_band
    if not usual.any():
        return None
    clearly_above = ~usual & (low > float(high[usual].iloc[0]))
    if not clearly_above.any():
        return usual_band
    return str(eligible.loc[low[clearly_above].idxmax(), "price_band"])


def price_advice(
    upcoming: pd.DataFrame, evidence: pd.DataFrame, usual_bands: pd.DataFrame
) -> pd.DataFrame:
    """One row per upcoming segment month: the recommended band, why, and the evidence.

    `upcoming` holds `vendor_type, region, month, demand_index, demand_level`; `usual_bands`
    each segment's most common price band (`usual_price_band`).
    """
    rows = []
    grouped = {key: group for key, group in evidence.groupby([*SEGMENT, "demand_level"])}
    usual = usual_bands.set_index(SEGMENT)["usual_price_band"].to_dict()
    for month in upcoming.itertuples(index=False):
        key = (month.vendor_type, month.region, month.demand_level)
        bands = grouped.get(key, evidence.iloc[0:0]).sort_values(
            "price_band", key=lambda band: band.map(PRICE_BANDS.index)
        )
        usual_band = usual.get((month.vendor_type, month.region))
        eligible = bands[
            (bands["decided_enquiries"] >= MIN_DECIDED_ENQUIRIES)
            & bands["revenue_per_enquiry_gbp"].notna()
            & bands["price_band"].isin(_within_one_step(usual_band))
        ]
        recommended = _clearly_best(eligible, usual_band)
        change, advice = _advice(recommended, usual_band, month.demand_level)
        rows.append(
            {
                "month": month.month,
                "vendor_type": month.vendor_type,
                "region": month.region,
                "demand_level": month.demand_level,
                "demand_index": round(float(month.demand_index), 3),
                "recommended_price_band": recommended,
                "usual_price_band": usual_band,
                "price_change": change,
                "advice": advice,
                "decided_enquiries": int(bands["decided_enquiries"].sum()),
                "evidence": _evidence_json(bands),
            }
        )
    return pd.DataFrame(rows)


def _evidence_json(bands: pd.DataFrame) -> str:
    """The per-band evidence as JSON the API can pass through unchanged."""
    return json.dumps(
        [
            {
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
        ]
    )


def _rounded(value: float) -> float | None:
    return None if pd.isna(value) else round(float(value), 2)


def read_price_inputs(
    conn: psycopg.Connection,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(upcoming segment months with demand levels, per-band evidence, usual bands).

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
    return demand_levels(upcoming.astype({"enquiries": "float64"}), "month"), evidence, usual_bands


def replace_price_advice(
    conn: psycopg.Connection, advice: pd.DataFrame, created_at: dt.datetime
) -> int:
    """Replace `predictions.price_advice` with `advice`; return rows written."""
    rows = (
        (*(sql_value(getattr(row, column)) for column in PRICE_ADVICE_COLUMNS[:-1]), created_at)
        for row in advice.itertuples(index=False)
    )
    return replace_table(conn, PRICE_ADVICE_DDL, PRICE_ADVICE_TABLE, PRICE_ADVICE_COLUMNS, rows)
