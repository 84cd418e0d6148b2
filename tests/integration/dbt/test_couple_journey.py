"""The couple-journey mart (issue 14) built by dbt on simulated data, checked against the truth.

`dbt build` of the mart and everything upstream (its dbt tests included) into the package's
loaded warehouse, as production does; expected values are recomputed from the booking rows
with pandas, and the estimates held against the simulator's truth (ml.couple_journey_truth).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Iterator

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
from orchestration.defs.dbt.resources import VENV_DBT, dbt_profile_env
from tests.integration.dbt.conftest import AS_OF, LoadedWarehouse
from wedsync.exports import truth_dir
from wedsync.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.integration

#: dbt's `benchmark_min_suppliers` for this build: at this scale (30 suppliers) no cell has
#: the production 5, so 2 makes the rule decide something.
MIN_BOOKED_SUPPLIERS = 2

_BOOKINGS = """
select supplier_id, couple_id, vendor_type, region, budget_gbp::float8 as budget_gbp,
       guest_count, budget_band, guest_band, is_upper_price_band,
       review_score::float8 as review_score, days_to_booking::float8 as days_to_booking,
       booking_value_gbp::float8 as booking_value_gbp,
       horizon_days_to_booking::float8 as horizon_days_to_booking
from intermediate.int_journey_bookings
"""


def _frame(database_url: str, query: str) -> pd.DataFrame:
    with psycopg.connect(database_url) as conn:
        cursor = conn.execute(query)
        return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description or []])


@pytest.fixture(scope="module")
def journey_mart(loaded_warehouse: LoadedWarehouse) -> Iterator[str]:
    """`dbt build` of couple_journey and its parents, as of the simulation."""
    url = loaded_warehouse.database_url
    env = {**os.environ, **dbt_profile_env(url)}
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    with tempfile.TemporaryDirectory() as target:
        subprocess.run(
            [
                VENV_DBT, "--quiet", "build", *project, "--target", "prod",
                "--target-path", target, "-s", "+couple_journey",
                "--indirect-selection", "cautious",
                "--vars", json.dumps(
                    {"as_of": AS_OF.isoformat(), "benchmark_min_suppliers": MIN_BOOKED_SUPPLIERS}
                ),
            ],
            env=env,
            check=True,
        )  # fmt: skip
    yield url


@pytest.fixture(scope="module")
def bookings(journey_mart: str) -> pd.DataFrame:
    return _frame(journey_mart, _BOOKINGS)


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
    return frame[frame["suppliers"] >= MIN_BOOKED_SUPPLIERS]


def test_cells_are_published_only_with_enough_booked_suppliers_and_intervals_hold(
    journey_mart: str, bookings: pd.DataFrame
) -> None:
    mart = _frame(journey_mart, "select * from marts.couple_journey")
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
