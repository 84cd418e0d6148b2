"""The couple-budget and review-score assets against a real Postgres and MLflow (sqlite) registry.

The features tables dbt would build are written from synthetic couples and bookings with a
known signal. A model trained on shuffled (signal-free) features becomes the first champion;
the real features then beat it beyond noise and take the alias; the same training again ties
and stays challenger. The champion scores `predictions.*`, which get the API role's grant and
the per-supplier policy like the other predictions tables.
"""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import psycopg
import pytest
from mlflow.tracking import MlflowClient

from ml.couple_budget import COUPLE_BUDGET_MODEL
from ml.couple_budget import FEATURES_TABLE as COUPLE_FEATURES_TABLE
from ml.registry import CHALLENGER, CHAMPION
from ml.review_score import FEATURES_TABLE as REVIEW_FEATURES_TABLE
from ml.review_score import REVIEW_SCORE_MODEL
from orchestration.defs.ml.couple_model_assets import (
    COUPLE_BUDGET_MODEL_KEY,
    COUPLE_BUDGET_PREDICTIONS,
    REVIEW_SCORE_MODEL_KEY,
    REVIEW_SCORE_PREDICTIONS,
    couple_model_assets,
)
from orchestration.defs.ml.definitions import defs
from orchestration.defs.ml.resources import MlflowResource
from orchestration.resources import WarehouseResource
from serving.core.config import API_ROLE
from serving.security.tenancy import apply_tenancy
from tests.integration.ml.world import materialization_metadata
from tests.support import throwaway_database
from tests.unit.ml.synthetic_couples import synthetic_couples, synthetic_reviews
from wedsync.warehouse import apply_schema

pytestmark = pytest.mark.integration

COUPLE_FEATURES_DDL = """
create schema if not exists features;
drop table if exists features.ml_couple_budget_features;
create table features.ml_couple_budget_features (
    couple_id text primary key, first_enquiry_id text, first_supplier_id text,
    first_enquiry_date date, vendor_type text, region text, price_band text, channel text,
    base_price_gbp double precision, lead_time_days integer, guest_count integer,
    wedding_month integer, is_peak_season boolean, is_saturday boolean,
    budget_gbp double precision
);
"""
REVIEW_FEATURES_DDL = """
create schema if not exists features;
drop table if exists features.ml_review_features;
create table features.ml_review_features (
    booking_id text primary key, supplier_id text, couple_id text, booked_on date,
    wedding_date date, vendor_type text, region text, price_band text, channel text,
    lead_time_days integer, guest_count integer, total_value_gbp double precision,
    budget_to_price_ratio double precision, supplier_past_reviews integer,
    supplier_past_mean_rating double precision, supplier_past_share_4_plus double precision,
    rating integer, reviewed_at timestamptz
);
"""
COUPLES = 4_000
BOOKINGS = 8_000


def _write(database_url: str, ddl: str, table: str, frame: pd.DataFrame) -> None:
    with psycopg.connect(database_url) as conn:
        conn.execute(ddl)
        columns = ", ".join(frame.columns)
        with conn.cursor().copy(f"copy {table} ({columns}) from stdin") as copy:
            for row in frame.itertuples(index=False):
                copy.write_row([None if pd.isna(value) else value for value in row])


def _shuffled(frame: pd.DataFrame, features: tuple[str, ...]) -> pd.DataFrame:
    """The same rows with every feature column permuted: no signal left."""
    rng = np.random.default_rng(0)
    shuffled = frame.copy()
    for column in features:
        shuffled[column] = rng.permutation(shuffled[column].to_numpy())
    return shuffled


def _write_features(database_url: str, couples: pd.DataFrame, bookings: pd.DataFrame) -> None:
    _write(database_url, COUPLE_FEATURES_DDL, COUPLE_FEATURES_TABLE, couples)
    _write(database_url, REVIEW_FEATURES_DDL, REVIEW_FEATURES_TABLE, bookings)


@pytest.fixture
def resources(tmp_path: Path) -> Iterator[dict[str, dg.ConfigurableResource]]:
    with throwaway_database("wedsync_dev_couple_models") as database_url:
        yield {
            "warehouse": WarehouseResource(database_url=database_url),
            "mlflow": MlflowResource(tracking_uri=f"sqlite:///{tmp_path}/mlflow/mlflow.db"),
        }


def test_couple_model_assets_load_in_the_ml_group() -> None:
    graph = defs().resolve_asset_graph()
    keys = {asset.key for asset in couple_model_assets}
    assert keys <= graph.get_all_asset_keys()
    assert {graph.get(key).group_name for key in keys} == {"ml"}


def test_both_models_pass_the_gate_only_when_better_and_score_their_tables(
    resources: dict[str, dg.ConfigurableResource],
) -> None:
    database_url = resources["warehouse"].database_url  # type: ignore[attr-defined]
    tracking_uri = resources["mlflow"].tracking_uri  # type: ignore[attr-defined]
    couples = synthetic_couples(COUPLES, seed=11).assign(
        base_price_gbp=lambda frame: frame["base_price_gbp"].round(2)
    )
    bookings = synthetic_reviews(BOOKINGS, seed=12).assign(couple_id=None, reviewed_at=None)
    specs = {
        COUPLE_BUDGET_MODEL_KEY: COUPLE_BUDGET_MODEL,
        REVIEW_SCORE_MODEL_KEY: REVIEW_SCORE_MODEL,
    }
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)

    _write_features(
        database_url,
        _shuffled(couples, COUPLE_BUDGET_MODEL.features),
        _shuffled(bookings, REVIEW_SCORE_MODEL.features),
    )
    first = dg.materialize(couple_model_assets, resources=resources)
    assert first.success
    scored_tables = {
        COUPLE_BUDGET_MODEL_KEY: COUPLE_BUDGET_PREDICTIONS,
        REVIEW_SCORE_MODEL_KEY: REVIEW_SCORE_PREDICTIONS,
    }
    for key, spec in specs.items():
        trained = materialization_metadata(first, key)
        assert trained["alias"].value == CHAMPION
        # The scoring asset names the candidate its champion is, and whether it is the baseline.
        scored = materialization_metadata(first, scored_tables[key])
        assert scored["model_candidate"].value == trained["model"].value
        assert scored["champion_is_baseline"].value == (trained["model"].value == spec.baseline)

    _write_features(database_url, couples, bookings)
    better = dg.materialize(couple_model_assets, resources=resources)
    budget = materialization_metadata(better, COUPLE_BUDGET_MODEL_KEY)
    assert budget["alias"].value == CHAMPION
    assert "beats champion v1" in budget["promotion"].value
    assert (
        budget["gradient_boosting_test_mae_gbp"].value < 0.6 * budget["median_test_mae_gbp"].value
    )
    review = materialization_metadata(better, REVIEW_SCORE_MODEL_KEY)
    assert review["alias"].value == CHAMPION
    assert review["gradient_boosting_test_log_loss"].value < review["prior_test_log_loss"].value
    # About 660 test bookings in ten bins: a calibrated model's ECE is about 0.04 from noise.
    assert review["gradient_boosting_test_good_review_ece"].value < 0.08

    again = dg.materialize(couple_model_assets, resources=resources)
    for key, spec in specs.items():
        retrained = materialization_metadata(again, key)
        assert retrained["model_version"].value == "3"
        assert retrained["alias"].value == CHALLENGER
        assert "paired bootstrap" in retrained["promotion"].value
        assert (
            str(client.get_model_version_by_alias(spec.registered_model, CHAMPION).version) == "2"
        )

    with psycopg.connect(database_url) as conn:
        apply_schema(conn)
        apply_tenancy(conn)
        budgets = conn.execute(
            "select count(*), array_agg(distinct model_version), min(predicted_budget_gbp), "
            "array_agg(distinct (model_candidate, champion_is_baseline)::text) "
            "from predictions.couple_budget"
        ).fetchone()
        reviews = conn.execute(
            "select count(*), array_agg(distinct model_version), "
            "min(probability_good_review), max(probability_good_review) "
            "from predictions.review_score"
        ).fetchone()
        secured = conn.execute(
            "select c.relname, c.relrowsecurity, has_table_privilege(%s, c.oid, 'select') "
            "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'predictions' and c.relname in ('couple_budget', 'review_score') "
            "order by 1",
            (API_ROLE,),
        ).fetchall()
    assert budgets is not None and reviews is not None
    assert budgets[:2] == (COUPLES, ["2"]) and budgets[2] >= 0
    assert budgets[3] == ["(gradient_boosting,f)"]
    assert reviews[:2] == (int(bookings["rating"].isna().sum()), ["2"])
    assert 0 <= reviews[2] <= reviews[3] <= 1
    assert secured == [("couple_budget", True, True), ("review_score", True, True)]
