"""The couple-journey mart held against the simulator's truth (issue 14).

The warehouse sees a booking only once it is exported; the truth file knows every enquiry's
eventual outcome and when it books (`booked`, `booked_at`), and each supplier's latent
`quality`. What `marts.couple_journey` estimates from the bookings seen so far (through
`intermediate.int_journey_bookings`, pooled over regions so every vendor type and band has a
sample) is compared with the same figure over every booking the couples will ever make:
- days from a couple's first enquiry to each booking made within `journey_horizon_days` of
  it, per vendor type: the mart's estimate (couples whose first enquiry is at least that
  old) against the truth's for the same couples, every booking they will make in the
  horizon. Beside it the truth over every couple (the recent ones book faster at the end of
  the simulated span, a cohort the mart cannot time yet) and the naive estimate from every
  booking seen, which mixes both;
- the premium-or-luxury share of bookings per budget band, and per guest band for venues
  and caterers, against the truth's share of eventual bookings. Beside it the mean review
  score the mart shows and the booked suppliers' true quality.
The bookings seen are some of the bookings the truth knows, so each tolerance is 3 standard
errors of a subsample's mean against its population's: the truth's spread over sqrt(n seen),
with the finite-population correction (near zero when nearly every booking is seen: then
the two must nearly agree).
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import yaml

from ml.oracle import OUTCOMES_FILE
from wedsync.exports import truth_dir
from wedsync.settings import DBT_PROJECT_DIR, get_settings
from wedsync.warehouse import connect

#: An estimate may miss the truth by this many standard errors of the difference.
STANDARD_ERRORS = 3.0
#: The mart keeps days to 0.01: an estimate over every true booking may miss by that.
DAYS_ROUNDING = 0.01
#: The vendor types whose guest-count bands the mart publishes.
GUEST_DRIVEN_TYPES = ("venue", "caterer")
SUPPLIER_TRUTH_FILE = "supplier_market.parquet"

_SEEN_BOOKINGS = """
select vendor_type, budget_band, guest_band, is_upper_price_band,
       review_score::float8 as review_score, days_to_booking::float8 as days_to_booking,
       horizon_days_to_booking::float8 as horizon_days_to_booking
from intermediate.int_journey_bookings
"""

_ENQUIRIES = """
select e.enquiry_id, e.couple_id, e.supplier_id, e.vendor_type,
       e.price_band in ('premium', 'luxury') as is_upper_price_band,
       e.budget_gbp::float8 as budget_gbp, e.guest_count,
       min(e.created_at) over (partition by e.couple_id) as first_enquiry_at,
       min(e.created_at) over (partition by e.couple_id)
           < max(e.created_at) over () - make_interval(days => %(horizon)s) as is_settled
from marts.fct_enquiries as e
"""


def _frame(
    conn: psycopg.Connection, query: str, params: dict[str, Any] | None = None
) -> pd.DataFrame:
    cursor = conn.execute(query, params)
    return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description or ()])


def _dbt_vars() -> dict[str, Any]:
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    variables: dict[str, Any] = project["vars"]
    return variables


def horizon_days() -> int:
    """The dbt var the mart times bookings within, so both measure the same thing."""
    return int(_dbt_vars()["journey_horizon_days"])


def band_edges() -> dict[str, list[int]]:
    """The dbt vars the mart bands by, read from dbt_project.yml so both cut alike."""
    variables = _dbt_vars()
    return {
        "budget_band": list(variables["journey_budget_bands"]),
        "guest_band": list(variables["journey_guest_bands"]),
    }


def band_labels(values: pd.Series, edges: list[int]) -> pd.Series:
    """The dbt macro `band_label` in pandas: '10000-19999', '40000+'; NaN below the first."""
    labels = [f"{low}-{high - 1}" for low, high in itertools.pairwise(edges)]
    labels.append(f"{edges[-1]}+")
    cut = pd.cut(values, [*edges, np.inf], right=False, labels=labels)
    return cut.astype(object)


def true_bookings(conn: psycopg.Connection, truth: Path) -> pd.DataFrame | None:
    """Every booking the couples in the warehouse will make (the truth's `booked`), with the
    mart's bands, the days from the couple's first enquiry, and the supplier's true quality."""
    outcomes_file, suppliers_file = truth / OUTCOMES_FILE, truth / SUPPLIER_TRUTH_FILE
    if not outcomes_file.exists() or not suppliers_file.exists():
        return None
    outcomes = pd.read_parquet(outcomes_file, columns=["enquiry_id", "booked", "booked_at"])
    quality = pd.read_parquet(suppliers_file, columns=["supplier_id", "quality"])
    enquiries = _frame(conn, _ENQUIRIES, {"horizon": horizon_days()})
    booked = enquiries.merge(outcomes[outcomes["booked"]], on="enquiry_id", how="inner")
    booked = booked.merge(quality, on="supplier_id", how="left")
    first = pd.to_datetime(booked["first_enquiry_at"], utc=True)
    booked["days_to_booking"] = (
        pd.to_datetime(booked["booked_at"], utc=True) - first
    ).dt.total_seconds() / 86_400
    for column, edges in band_edges().items():
        source = "budget_gbp" if column == "budget_band" else "guest_count"
        booked[column] = band_labels(booked[source].astype(float), edges)
    return booked


def subsample_error(spread: float, seen: int, population: int) -> float:
    """Standard error of a mean over `seen` of a `population`'s values against the
    population's own mean: spread / sqrt(seen), shrunk by the finite-population correction,
    since the bookings seen are some of the bookings the truth knows, not a second sample."""
    if seen < 1 or population < 1:
        return float("inf")
    remaining = max(population - seen, 0) / max(population - 1, 1)
    return float(spread / np.sqrt(seen) * np.sqrt(remaining))


def days_against_truth(seen: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Per vendor type, bookings within the horizon of the first enquiry: the mart's estimate
    against the truth's for the same (settled) couples, every couple's, and the naive one."""
    horizon = horizon_days()
    within = truth[truth["days_to_booking"] <= horizon]
    rows = []
    for vendor_type, group in seen.groupby("vendor_type"):
        sample = group["horizon_days_to_booking"].dropna()
        of_type = within[within["vendor_type"] == vendor_type]
        true = of_type.loc[of_type["is_settled"], "days_to_booking"]
        error = subsample_error(float(true.std(ddof=1)), len(sample), len(true))
        rows.append(
            {
                "vendor_type": vendor_type,
                "settled": len(sample),
                "estimated": float(sample.mean()),
                "naive": float(
                    group.loc[group["days_to_booking"] <= horizon, "days_to_booking"].mean()
                ),
                "true_bookings": len(true),
                "true": float(true.mean()),
                "tolerance": STANDARD_ERRORS * error + DAYS_ROUNDING,
                "all_couples": float(of_type["days_to_booking"].mean()),
            }
        )
    report = pd.DataFrame(rows)
    report["ok"] = (report["estimated"] - report["true"]).abs() <= report["tolerance"]
    return report


def _share_spread(share: float, n: int) -> float:
    # A share of 0 or 1 at n still has the noise of one booking in n either way.
    bounded = min(max(share, 1 / n), 1 - 1 / n)
    return float(np.sqrt(bounded * (1 - bounded)))


def price_band_against_truth(seen: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Per budget band (every vendor type) and guest band (venues and caterers): the
    premium-or-luxury share seen against the truth's, the review score and true quality."""
    rows = []
    for column, types in (("budget_band", None), ("guest_band", GUEST_DRIVEN_TYPES)):
        seen_part = seen if types is None else seen[seen["vendor_type"].isin(types)]
        true_part = truth if types is None else truth[truth["vendor_type"].isin(types)]
        for band, group in seen_part.groupby(column):
            true = true_part[true_part[column] == band]
            if true.empty:
                continue
            estimated, true_share = (
                float(group["is_upper_price_band"].mean()),
                float(true["is_upper_price_band"].mean()),
            )
            rows.append(
                {
                    "dimension": column.removesuffix("_band"),
                    "band": band,
                    "band_from": int(str(band).split("-")[0].rstrip("+")),
                    "bookings": len(group),
                    "estimated": estimated,
                    "true_bookings": len(true),
                    "true": true_share,
                    "tolerance": STANDARD_ERRORS
                    * subsample_error(_share_spread(true_share, len(true)), len(group), len(true)),
                    "review_score": float(group["review_score"].mean()),
                    "true_quality": float(true["quality"].mean()),
                }
            )
    report = pd.DataFrame(rows).sort_values(["dimension", "band_from"], ignore_index=True)
    report["ok"] = (report["estimated"] - report["true"]).abs() <= report["tolerance"]
    return report


def render_days(report: pd.DataFrame) -> list[str]:
    """The days-to-booking table, one line per vendor type, with each verdict."""
    within = int(report["ok"].sum())
    lines = [
        f"Couple journey vs truth: days from first enquiry to booking, within {horizon_days()}"
        " days of it, couples whose first enquiry is that old: estimated vs every booking the"
        f" truth knows for them (±{STANDARD_ERRORS:.0f} standard errors; {within} of"
        f" {len(report)} within); then the truth over all couples and the naive estimate:"
    ]
    for row in report.itertuples(index=False):
        lines.append(
            f"  {row.vendor_type:<13} n={row.settled:>5,} estimated {row.estimated:6.1f} vs true"
            f" {row.true:6.1f} (n={row.true_bookings:,}, ±{row.tolerance:.1f}:"
            f" {'ok' if row.ok else 'MISSED'}); all couples {row.all_couples:.1f},"
            f" naive {row.naive:.1f}"
        )
    return lines


def render_price_bands(report: pd.DataFrame) -> list[str]:
    """The premium-or-luxury share per band against the truth, with quality beside it."""
    within = int(report["ok"].sum())
    lines = [
        "  premium-or-luxury share of bookings per band, seen vs eventual (truth), with the"
        f" mean review score and the true supplier quality ({within} of {len(report)} within):"
    ]
    for row in report.itertuples(index=False):
        lines.append(
            f"    {row.dimension:<7} {row.band:<12} n={row.bookings:>5,} {row.estimated:.3f}"
            f" vs {row.true:.3f} (±{row.tolerance:.3f}: {'ok' if row.ok else 'MISSED'});"
            f" review {row.review_score:.2f}, true quality {row.true_quality:+.2f}"
        )
    return lines


def couple_journey_section() -> list[str]:
    """The build summary's lines for issue 14's couple journey. Never raises: a part that
    cannot be computed says why."""
    truth = truth_dir(get_settings().landing_dir)
    with connect() as conn:
        try:
            real = true_bookings(conn, truth)
            if real is None:
                return ["Couple journey vs truth: no truth file"]
            seen = _frame(conn, _SEEN_BOOKINGS)
            if seen.empty:
                return ["Couple journey vs truth: no bookings in the warehouse"]
            return render_days(days_against_truth(seen, real)) + render_price_bands(
                price_band_against_truth(seen, real)
            )
        except psycopg.Error as error:
            return [f"Couple journey vs truth: not available ({error.diag.message_primary})"]
