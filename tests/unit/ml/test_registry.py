"""Promotion rules and where MLflow keeps artifacts."""

import math
from pathlib import Path

from ml.registry import CHALLENGER, CHAMPION, decide_promotion, local_artifact_root


def test_first_model_is_always_champion() -> None:
    decision = decide_promotion(0.55, None)
    assert decision.alias == CHAMPION
    assert "no champion yet" in decision.reason


def test_equal_or_worse_model_is_only_a_challenger() -> None:
    # The paired comparison decides (tests/unit/ml/test_promotion.py); without one, or with
    # an undefined AUC, the champion stays.
    assert decide_promotion(0.71, 0.71, "3").alias == CHALLENGER
    worse = decide_promotion(0.50, 0.71, "3")
    assert worse.alias == CHALLENGER
    assert "does not beat champion v3 AUC 0.7100" in worse.reason
    assert decide_promotion(math.nan, 0.6, "1").alias == CHALLENGER


def test_sqlite_tracking_keeps_artifacts_beside_the_database() -> None:
    root = local_artifact_root("sqlite:////srv/wedsync/.local/mlflow/mlflow.db")
    assert root == Path("/srv/wedsync/.local/mlflow/artifacts")


def test_tracking_server_keeps_its_own_artifacts() -> None:
    assert local_artifact_root("http://mlflow.internal:5000") is None
