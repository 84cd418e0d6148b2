"""The vendor-network mart (issue 14) built by dbt on simulated data, checked against the truth.

`dbt build` of the mart and everything upstream (its dbt tests and contract included) into the
package's loaded warehouse, as production does. The co-booking counts and base rates are
recounted from the exported bookings with pandas; the referral rule is held against the
simulator's true referral pairs (ml.vendor_network_truth), and shown failing on a mart whose
pairs are shuffled.
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

from ml.vendor_network_truth import network_against_truth, read_network
from orchestration.defs.dbt.resources import VENV_DBT, dbt_profile_env
from tests.integration.dbt.conftest import AS_OF, LoadedWarehouse
from wedsync.exports import truth_dir
from wedsync.settings import DBT_PROJECT_DIR

pytestmark = pytest.mark.integration

#: dbt's `benchmark_min_suppliers` for this build: at this scale (30 suppliers, about 3 per
#: region) no region has the production 5, so 3 makes the rule decide something.
MIN_REGION_SUPPLIERS = 3
#: The dbt vars of the window and the rule (dbt_project.yml).
FOLLOW_DAYS, MIN_COUPLES, MIN_LIFT = 90, 3, 2

_MART = """
select supplier_id, region, partner_id, couples, co_booked_couples, followed_couples,
       base_rate::float8 as base_rate, lift_low::float8 as lift_low, is_predicted_referral
from marts.vendor_network
"""


def _frame(database_url: str, query: str) -> pd.DataFrame:
    with psycopg.connect(database_url) as conn:
        cursor = conn.execute(query)
        return pd.DataFrame(cursor.fetchall(), columns=[c.name for c in cursor.description or []])


@pytest.fixture(scope="module")
def network_mart(loaded_warehouse: LoadedWarehouse) -> Iterator[str]:
    """`dbt build` of vendor_network and its parents."""
    url = loaded_warehouse.database_url
    env = {**os.environ, **dbt_profile_env(url)}
    project = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    with tempfile.TemporaryDirectory() as target:
        subprocess.run(
            [
                VENV_DBT, "--quiet", "build", *project, "--target", "prod",
                "--target-path", target, "-s", "+vendor_network",
                "--indirect-selection", "cautious",
                "--vars", json.dumps(
                    {"as_of": AS_OF.isoformat(), "benchmark_min_suppliers": MIN_REGION_SUPPLIERS}
                ),
            ],
            env=env,
            check=True,
        )  # fmt: skip
    yield url


def _expected(loaded_warehouse: LoadedWarehouse) -> pd.DataFrame:
    """The mart's counts and base rates recounted from the exported bookings."""
    bookings = loaded_warehouse.latest("bookings")
    suppliers = loaded_warehouse.latest("suppliers").set_index("supplier_id")
    bookings = bookings.assign(
        booked_at=pd.to_datetime(bookings["booked_at"], utc=True),
        region=suppliers.loc[bookings["supplier_id"], "region"].to_numpy(),
    )
    first = bookings.groupby(["couple_id", "supplier_id", "region"], as_index=False)[
        "booked_at"
    ].min()
    pairs = first.merge(first, on="couple_id", suffixes=("", "_partner"))
    pairs = pairs[pairs["supplier_id"] != pairs["supplier_id_partner"]]
    gap = pairs["booked_at_partner"] - pairs["booked_at"]
    pairs = pairs.assign(followed=(gap > pd.Timedelta(0)) & (gap <= pd.Timedelta(days=FOLLOW_DAYS)))
    expected = pairs.groupby(["supplier_id", "region", "supplier_id_partner"], as_index=False).agg(
        co_booked_couples=("couple_id", "size"), followed_couples=("followed", "sum")
    )
    expected = expected.rename(columns={"supplier_id_partner": "partner_id"})
    couples = first.groupby("supplier_id").size().rename("couples")
    expected = expected.join(couples, on="supplier_id")
    # Chance: the partner's rate after the region's other bookings (A's and B's left out).
    region_bookings = first.groupby("region").size()
    region_suppliers = first.groupby("region")["supplier_id"].nunique()
    region_follows = (
        pairs[pairs["followed"]].groupby(["region", "supplier_id_partner"]).size().to_dict()
    )
    partner_in_region = first.groupby(["region", "supplier_id"]).size().to_dict()
    followed_elsewhere = [
        region_follows.get((row.region, row.partner_id), 0) - row.followed_couples
        for row in expected.itertuples(index=False)
    ]
    other_bookings = [
        region_bookings[row.region]
        - row.couples
        - partner_in_region.get((row.region, row.partner_id), 0)
        for row in expected.itertuples(index=False)
    ]
    expected["base_rate"] = [
        followed / bookings if bookings else np.nan
        for followed, bookings in zip(followed_elsewhere, other_bookings, strict=True)
    ]
    published = region_suppliers[region_suppliers >= MIN_REGION_SUPPLIERS].index
    return expected[expected["region"].isin(published)]


def test_co_bookings_and_base_rates_match_the_bookings_recounted(
    network_mart: str, loaded_warehouse: LoadedWarehouse
) -> None:
    mart = _frame(network_mart, _MART)
    expected = _expected(loaded_warehouse)
    assert len(mart) > 50
    key = ["supplier_id", "partner_id"]
    joined = mart.merge(expected, on=key, how="outer", suffixes=("", "_expected"), indicator=True)
    assert (joined["_merge"] == "both").all(), joined[joined["_merge"] != "both"].head()
    for column in ("couples", "co_booked_couples", "followed_couples"):
        assert (joined[column] == joined[f"{column}_expected"]).all(), column
    assert np.allclose(
        joined["base_rate"].astype(float), joined["base_rate_expected"], atol=5e-7, equal_nan=True
    )
    # Some region was held back by the supplier minimum, and some published.
    regions = loaded_warehouse.latest("suppliers")["region"].nunique()
    assert 0 < mart["region"].nunique() < regions


def test_predicted_pairs_follow_the_documented_rule(network_mart: str) -> None:
    mart = _frame(network_mart, _MART)
    rule = (mart["followed_couples"] >= MIN_COUPLES) & (mart["lift_low"] >= MIN_LIFT)
    assert (mart["is_predicted_referral"] == rule.fillna(False)).all()
    assert mart["is_predicted_referral"].sum() > 0


def test_the_referral_rule_beats_chance_on_the_true_pairs_and_not_when_shuffled(
    network_mart: str, loaded_warehouse: LoadedWarehouse
) -> None:
    """At this scale (17 months, 30 suppliers) only a few pairs show; the precision and recall
    targets are judged at scale (make build's truth report) and the check's verdict in
    tests/unit/ml/test_vendor_network_truth.py. Here: the rule's pairs are true far more
    often than the co-booked pairs it chose from, and not once they are shuffled."""
    truth = truth_dir(loaded_warehouse.landing_dir)
    with psycopg.connect(network_mart) as conn:
        network = read_network(conn)
    report = network_against_truth(network, truth)
    assert report is not None
    assert report.true_pairs > 0 and report.predicted_true > 0, report
    assert report.precision > 2 * report.all_pairs_precision, report
    shuffled = network.assign(
        partner_id=np.random.default_rng(0).permutation(network["partner_id"].to_numpy())
    )
    perturbed = network_against_truth(shuffled, truth)
    assert perturbed is not None
    assert perturbed.precision < report.precision, perturbed
