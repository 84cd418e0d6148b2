"""The ML assets against a real Postgres and a throwaway MLflow (sqlite) registry.

Trains on a synthetic features table with a known booking probability, then trains a worse
model and checks that it does not take the champion alias, and that predictions stay with
the champion.
"""

import dagster as dg
import mlflow.pyfunc
import psycopg
import pytest
from mlflow.tracking import MlflowClient

from ml.champion import ChampionModel
from ml.features import FEATURE_COLUMNS, open_enquiries, read_booking_features
from ml.registry import CHALLENGER, CHAMPION, REGISTERED_MODEL
from orchestration.defs.ml.assets import (
    BOOKING_MODEL,
    BOOKING_PREDICTIONS,
    booking_probability_model,
    booking_probability_predictions,
    ml_assets,
)
from orchestration.defs.ml.definitions import defs
from orchestration.defs.ml.forecast_assets import DEMAND_FORECAST
from orchestration.defs.ml.pipeline_assets import PIPELINE_VALUE
from orchestration.defs.ml.pricing_assets import PRICE_ADVICE
from tests.integration.ml.world import MlWorld, materialization_metadata

pytestmark = pytest.mark.integration

ORACLE_AUC_TOLERANCE = 0.02
ORACLE_BRIER_RATIO = 1.05


def _predictions(database_url: str) -> tuple[int, list[str], int]:
    """Rows, distinct model versions, and probabilities outside [0, 1] in the predictions."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "select count(*), array_agg(distinct model_version), "
            "count(*) filter (where probability not between 0 and 1) "
            "from predictions.booking_probability"
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def test_ml_definitions_load_every_ml_asset_in_the_ml_group() -> None:
    definitions = defs()
    dg.Definitions.validate_loadable(definitions)
    graph = definitions.resolve_asset_graph()
    ml_keys = {BOOKING_MODEL, BOOKING_PREDICTIONS, PIPELINE_VALUE, DEMAND_FORECAST, PRICE_ADVICE}
    assert ml_keys <= graph.get_all_asset_keys()
    assert {graph.get(key).group_name for key in ml_keys} == {"ml"}


def test_champion_is_kept_by_a_worse_training_and_scores_open_enquiries(
    ml_world: MlWorld,
) -> None:
    first = dg.materialize(ml_assets, resources=ml_world.resources)
    assert first.success
    trained = materialization_metadata(first, BOOKING_MODEL)
    assert trained["alias"].value == CHAMPION
    assert trained["model_version"].value == "1"
    assert trained["test_roc_auc"].value > trained["logistic_regression_test_roc_auc"].value
    assert trained["test_roc_auc"].value > trained["prior_rate_test_roc_auc"].value
    assert trained["test_roc_auc_gap"].value < ORACLE_AUC_TOLERANCE
    assert trained["test_brier_vs_oracle"].value < ORACLE_BRIER_RATIO

    assert trained["test_from"].value < trained["test_to"].value
    assert int(trained["test_rows"].value) > 500

    tracking_uri = ml_world.tracking_uri
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    assert str(client.get_model_version_by_alias(REGISTERED_MODEL, CHAMPION).version) == "1"
    assert _predictions(ml_world.database_url) == (ml_world.open_enquiries, ["1"], 0)

    worse = dg.materialize(
        [booking_probability_model],
        resources=ml_world.resources,
        run_config=dg.RunConfig(
            ops={"ml__booking_probability_model": {"config": {"candidates": ["prior_rate"]}}}
        ),
    )
    retrained = materialization_metadata(worse, BOOKING_MODEL)
    assert retrained["model_version"].value == "2"
    assert retrained["alias"].value == CHALLENGER
    assert "paired bootstrap" in retrained["promotion"].value
    assert retrained["champion_test_roc_auc"].value == pytest.approx(trained["test_roc_auc"].value)
    assert str(client.get_model_version_by_alias(REGISTERED_MODEL, CHAMPION).version) == "1"
    assert str(client.get_model_version_by_alias(REGISTERED_MODEL, CHALLENGER).version) == "2"

    rescored = dg.materialize([booking_probability_predictions], resources=ml_world.resources)
    assert rescored.success
    assert _predictions(ml_world.database_url) == (ml_world.open_enquiries, ["1"], 0)


def test_online_champion_matches_the_scored_table_and_follows_the_alias(
    ml_world: MlWorld,
) -> None:
    assert dg.materialize(ml_assets, resources=ml_world.resources).success
    with psycopg.connect(ml_world.database_url) as conn:
        still_open = open_enquiries(read_booking_features(conn)).head(20)
        # The online API scores an enquiry as it arrives: the table's at-enquiry column.
        scored = dict(
            conn.execute(
                "select enquiry_id, probability_at_enquiry from predictions.booking_probability "
                "where enquiry_id = any(%s)",
                (list(still_open["enquiry_id"]),),
            ).fetchall()
        )
    tracking_uri = ml_world.tracking_uri
    champion = ChampionModel.from_tracking_uri(tracking_uri, recheck_seconds=0.0)
    online = champion.score(still_open.to_dict("records"))
    assert online.model_version == "1"
    assert online.probabilities == pytest.approx(
        [scored[enquiry_id] for enquiry_id in still_open["enquiry_id"]]
    )

    served = mlflow.pyfunc.load_model(
        MlflowClient(
            tracking_uri=tracking_uri, registry_uri=tracking_uri
        ).get_model_version_download_uri(REGISTERED_MODEL, "1")
    )
    assert served.metadata.signature is not None
    assert served.metadata.saved_input_example_info is not None
    served_probability = served.predict(still_open[list(FEATURE_COLUMNS)])[:, 1]
    assert list(served_probability) == pytest.approx(online.probabilities)

    dg.materialize([booking_probability_model], resources=ml_world.resources)
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    client.set_registered_model_alias(REGISTERED_MODEL, CHAMPION, "2")
    assert champion.score(still_open.head(1).to_dict("records")).model_version == "2"
