"""The couple-journey mart (issue 14) built by dbt on simulated data, checked against the truth.

`dbt build` of the mart and everything upstream (its dbt tests included) into the package's
loaded warehouse, as production does; expected values are recomputed from the booking rows
with pandas, and the estimates held against the simulator's truth (ml.couple_journey_truth).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pytest

from ml.couple_journey_truth import (
    band_edges,
    band_labels,
    days_against_truth,
    price_band_against_truth,
    true_bookings,
)
from tests.integration.dbt.built_marts import MIN_SUPPLIERS, dbt_build, perturbed, read_frame
from tests.integration.dbt.conftest import LoadedWarehouse
from wedsync.exports import truth_dir

pytestmark = pytest.mark.integration

_BOOKINGS = """
select supplier_id, couple_id, vendor_type, region, budget_gbp::float8 as budget_gbp,
       guest_count, budget_band, guest_band, is_upper_price_band,
       review_score::float8 as review_score, days_to_booking::float8 as days_to_booking,
       booking_value_gbp::float8 as booking_value_gbp,
       horizon_days_to_booking::float8 as horizon_days_to_booking
from intermediate.int_journey_bookings
"""


@pytest.fixture(scope="module")
def journey_mart(loaded_warehouse: LoadedWarehouse) -> str:
    """`dbt build` of couple_journey and its parents, as of the simulation."""
    dbt_build(loaded_warehouse.database_url, "+couple_journey")
    return loaded_warehouse.database_url


@pytest.fixture(scope="module")
def bookings(journey_mart: str) -> pd.DataFrame:
    return read_frame(journey_mart, _BOOKINGS)


def _expected_cells(bookings: pd.DataFrame) -> pd.DataFrame:
    """The mart's cells recomputed: (dimension, band) x market and x vendor type nationally
    (region 'all'), enough suppliers only."""
    budget = bookings.dropna(subset=["budget_band"])
    guests = bookings[bookings["vendor_type"].isin(["venue", "caterer"])].dropna(
        subset=["guest_band"]
    )
    parts = [
        budget.assign(dimension="budget", band=budget["budget_band"]),
        guests.assign(dimension="guest_count", band=guests["guest_band"]),
        bookings.assign(dimension="all", band="all"),
    ]
    banded = pd.concat(parts)
    cells = pd.concat([banded, banded.assign(region="all")]).groupby(
        ["dimension", "band", "vendor_type", "region"]
    )
    frame = cells.agg(
        suppliers=("supplier_id", "nunique"),
        bookings=("supplier_id", "size"),
        upper=("is_upper_price_band", "sum"),
        mean_value=("booking_value_gbp", "mean"),
        value_sd=("booking_value_gbp", "std"),
    ).reset_index()
    return frame[frame["suppliers"] >= MIN_SUPPLIERS]


def test_cells_are_published_only_with_enough_booked_suppliers_and_intervals_hold(
    journey_mart: str, bookings: pd.DataFrame
) -> None:
    mart = read_frame(journey_mart, "select * from marts.couple_journey")
    expected = _expected_cells(bookings)
    key = ["dimension", "band", "vendor_type", "region"]
    assert set(map(tuple, mart[key].to_numpy())) == set(map(tuple, expected[key].to_numpy()))
    # At this scale no region has 2 venues or caterers booked in one guest band: the
    # equality above covers guest cells; these dimensions must publish something.
    assert {"budget", "all"} <= set(mart["dimension"])
    assert "all" in set(mart["region"]) and len(set(mart["region"])) > 1
    joined = mart.merge(expected, on=key, suffixes=("", "_expected"))
    assert (joined["suppliers"] == joined["suppliers_expected"]).all()
    assert (joined["upper_price_band_bookings"] == joined["upper"]).all()
    # The normal-approximation interval of the mean value: mean -/+ 1.96 sd / sqrt(n).
    half = 1.96 * joined["value_sd"] / np.sqrt(joined["bookings"])
    low = joined["booking_value_ci_low_gbp"].astype(float)
    assert np.allclose(low, joined["mean_value"] - half, atol=0.01, equal_nan=True)
    # Wilson bounds stay inside [0, 1] and bracket the share.
    share = joined["upper_price_band_share"].astype(float)
    assert (joined["upper_price_band_ci_low"].astype(float) <= share).all()
    assert (share <= joined["upper_price_band_ci_high"].astype(float)).all()


def test_the_truth_check_bands_as_the_mart_does(bookings: pd.DataFrame) -> None:
    edges = band_edges()
    budget = band_labels(bookings["budget_gbp"], edges["budget_band"])
    guests = band_labels(bookings["guest_count"].astype(float), edges["guest_band"])
    assert (budget.fillna("none") == bookings["budget_band"].fillna("none")).all()
    assert (guests.fillna("none") == bookings["guest_band"].fillna("none")).all()


def test_days_to_booking_and_price_bands_follow_the_truth(
    journey_mart: str, bookings: pd.DataFrame, loaded_warehouse: LoadedWarehouse
) -> None:
    with psycopg.connect(journey_mart) as conn:
        real = true_bookings(conn, truth_dir(loaded_warehouse.landing_dir))
    assert real is not None
    # The truth knows bookings the exports do not show yet.
    assert len(real) > len(bookings)
    days = days_against_truth(bookings, real)
    assert days["settled"].sum() > 100
    assert days["ok"].mean() >= 0.8, days[~days["ok"]].to_dict("records")
    bands = price_band_against_truth(bookings, real)
    assert set(bands["dimension"]) == {"budget", "guest"}
    assert bands["ok"].mean() >= 0.8, bands[~bands["ok"]].to_dict("records")


# Each check once more on built rows perturbed as a plausible bug would (inside a rolled-back
# transaction): the acceptance above (80% of the groups within tolerance) must now fail.
JOURNEY = "intermediate.int_journey_bookings"
#: The share of groups each journey check must find within tolerance (as above).
GROUPS_WITHIN = 0.8


def _journey_reports(
    conn: psycopg.Connection, landing: LoadedWarehouse
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(days, price bands) against the truth, as the build summary computes them."""
    real = true_bookings(conn, truth_dir(landing.landing_dir))
    assert real is not None
    cursor = conn.execute(_BOOKINGS)
    seen = pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description or []])
    return days_against_truth(seen, real), price_band_against_truth(seen, real)


def test_the_days_check_misses_days_to_booking_a_fortnight_late(
    journey_mart: str, loaded_warehouse: LoadedWarehouse
) -> None:
    """Days counted from the couple's first enquiry to this supplier (not to any) would run
    late; here every settled booking's days are offset by 14."""
    late = (
        f"update {JOURNEY} set horizon_days_to_booking = horizon_days_to_booking + 14"
        " where horizon_days_to_booking is not null"
    )
    with perturbed(journey_mart, JOURNEY, late) as conn:
        days, _ = _journey_reports(conn, loaded_warehouse)
    assert days["ok"].mean() < GROUPS_WITHIN, days.to_dict("records")


def test_the_price_band_check_misses_budgets_shuffled_across_couples(
    journey_mart: str, loaded_warehouse: LoadedWarehouse
) -> None:
    """Budget bands joined to the wrong couple: every band's premium share drifts to the mean."""
    shuffled = f"""
    with budgets as (
        select budget_band, row_number() over (order by md5(couple_id || supplier_id)) as n
        from {JOURNEY}
    ), bookings as (
        select ctid as row_id, row_number() over (order by couple_id, supplier_id) as n
        from {JOURNEY}
    )
    update {JOURNEY} as j set budget_band = budgets.budget_band
    from bookings inner join budgets using (n) where j.ctid = bookings.row_id
    """
    with perturbed(journey_mart, JOURNEY, shuffled) as conn:
        _, bands = _journey_reports(conn, loaded_warehouse)
    budget = bands[bands["dimension"] == "budget"]
    assert budget["ok"].mean() < GROUPS_WITHIN, budget.to_dict("records")
