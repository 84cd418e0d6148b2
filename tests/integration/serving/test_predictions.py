"""`POST /api/predictions/booking-probability`: the MLflow champion scores a posted enquiry
as it arrives, with only what is known then."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import mlflow
import pytest
import redis
from mlflow.tracking import MlflowClient

from ml.candidates import logistic_regression
from ml.features import LABEL, labelled_enquiries, model_inputs
from ml.publish import SKOPS_TRUSTED_TYPES
from ml.registry import CHAMPION, REGISTERED_MODEL, use_tracking
from serving.main import create_app
from tests.integration.serving.conftest import PHOTOGRAPHER, REDIS_URL, bearer, client_of
from tests.unit.ml.synthetic import synthetic_enquiries
from wedsync.settings import get_settings

pytestmark = [pytest.mark.integration, pytest.mark.anyio]

PREDICT = "/api/predictions/booking-probability"
ENQUIRY = {
    "wedding_date": "2027-08-14",
    "channel": "referral",
    "guest_count": 90,
    "budget_gbp": 18000,
    "first_response_hours": 2.0,
}


def register_champion(tracking_uri: str) -> None:
    """Train a small logistic model on synthetic enquiries and make it the champion.

    It is fitted on the at-enquiry columns only, so the API must send exactly those (no reply).
    """
    enquiries = labelled_enquiries(synthetic_enquiries(2_000, seed=3))
    model = logistic_regression().fit(model_inputs(enquiries), enquiries[LABEL])
    use_tracking(tracking_uri)
    with mlflow.start_run():
        mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=REGISTERED_MODEL,
            pip_requirements=mlflow.sklearn.get_default_pip_requirements(),
            skops_trusted_types=SKOPS_TRUSTED_TYPES,
        )
    MlflowClient(tracking_uri).set_registered_model_alias(REGISTERED_MODEL, CHAMPION, "1")


async def test_the_champion_scores_an_enquiry_for_the_callers_supplier(
    tmp_path: Path, insight_marts: str, redis_db: redis.Redis, keys: dict[str, str]
) -> None:
    tracking_uri = f"sqlite:///{tmp_path}/mlflow/mlflow.db"
    settings = dataclasses.replace(
        get_settings(),
        database_url=insight_marts,
        redis_url=REDIS_URL,
        mlflow_tracking_uri=tracking_uri,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app), client_of(app) as client:
        before = await client.post(PREDICT, json=ENQUIRY, headers=bearer(keys[PHOTOGRAPHER]))
        assert before.status_code == 503
        assert "booking model is unavailable" in before.json()["detail"]

        register_champion(tracking_uri)
        scored = await client.post(PREDICT, json=ENQUIRY, headers=bearer(keys[PHOTOGRAPHER]))
        assert scored.status_code == 200, scored.text
        answer = scored.json()
        assert answer["supplier_id"] == PHOTOGRAPHER
        assert (answer["model"], answer["model_version"]) == ("at_enquiry", "1")
        assert 0.0 < answer["probability"] < 1.0

        # Scored at arrival: a reply time posted with it is not a feature, and no reply yet is
        # not read as "never replied".
        unanswered = {key: value for key, value in ENQUIRY.items() if key != "first_response_hours"}
        arrival = await client.post(PREDICT, json=unanswered, headers=bearer(keys[PHOTOGRAPHER]))
        assert arrival.status_code == 200, arrival.text
        assert arrival.json()["probability"] == pytest.approx(answer["probability"])

        for bad, field in (
            ({**ENQUIRY, "guest_count": -4}, "guest_count"),
            ({**ENQUIRY, "wedding_date": "2027-02-30"}, "wedding_date"),
        ):
            refused = await client.post(PREDICT, json=bad, headers=bearer(keys[PHOTOGRAPHER]))
            assert refused.status_code == 422
            assert refused.json()["detail"][0]["loc"] == ["body", field]
        platform = await client.post(PREDICT, json=ENQUIRY, headers=bearer(keys["platform"]))
        assert platform.status_code == 422
        assert "supplier_id" in platform.json()["detail"]

        # A couple's history is scored by the platform only: a supplier key naming a couple
        # could learn whether it has already booked a competitor.
        couple = {**ENQUIRY, "couple_id": "cpl_000001"}
        refused = await client.post(PREDICT, json=couple, headers=bearer(keys[PHOTOGRAPHER]))
        assert refused.status_code == 403
        assert "couple_id" in refused.json()["detail"]
        # The platform's request looks the history up: this warehouse has none built yet.
        looked_up = await client.post(
            PREDICT, json={**couple, "supplier_id": PHOTOGRAPHER}, headers=bearer(keys["platform"])
        )
        assert looked_up.status_code == 503
        assert "ml_couple_history" in looked_up.json()["detail"]
