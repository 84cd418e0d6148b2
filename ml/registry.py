"""MLflow tracking and the `booking_probability_at_enquiry` registered model with its aliases.

Promotion uses aliases (MLflow 3; stages are gone): the newest version becomes `champion` only
when it beats the current champion on the same test rows by more than noise (a paired
bootstrap interval of the AUC difference above zero, `ml.promotion`) without worse
calibration, otherwise `challenger`. Re-scoring the champion on today's test window, rather
than trusting the AUC it logged when it was trained, compares the two on identical enquiries.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import mlflow
import mlflow.sklearn
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from sklearn.pipeline import Pipeline

from ml.promotion import PairedComparison

EXPERIMENT_NAME = "wedsync-booking-probability"
#: The at-enquiry model (no reply features). Named apart from the old `booking_probability`,
#: whose versions read the reply: they must never compete with, or be served as, this one.
REGISTERED_MODEL = "booking_probability_at_enquiry"
CHAMPION = "champion"
CHALLENGER = "challenger"


@dataclass(frozen=True)
class PromotionDecision:
    """Which alias the new version gets, and the paired comparison the decision rests on."""

    alias: str
    candidate_auc: float
    champion_auc: float | None
    champion_version: str | None
    comparison: PairedComparison | None = None

    @property
    def reason(self) -> str:
        """One line for logs and run tags."""
        if self.champion_auc is None:
            return f"no champion yet: new version is champion (AUC {self.candidate_auc:.4f})"
        verdict = "beats" if self.alias == CHAMPION else "does not beat"
        evidence = f": {self.comparison.describe()}" if self.comparison is not None else ""
        return (
            f"new version AUC {self.candidate_auc:.4f} {verdict} champion v{self.champion_version}"
            f" AUC {self.champion_auc:.4f} on the same test rows{evidence}"
        )


def decide_promotion(
    candidate_auc: float,
    champion_auc: float | None,
    champion_version: str | None = None,
    comparison: PairedComparison | None = None,
) -> PromotionDecision:
    """Champion only if there is none, or the paired comparison says the new one is better
    (AUC interval above zero, calibration not worse). Without a comparison, never."""
    promote = champion_auc is None or (comparison is not None and comparison.challenger_better)
    return PromotionDecision(
        CHAMPION if promote else CHALLENGER,
        candidate_auc,
        champion_auc,
        champion_version,
        comparison,
    )


def local_artifact_root(tracking_uri: str) -> Path | None:
    """`<dir of the sqlite file>/artifacts` for a sqlite tracking URI; None for a server.

    Creating it also creates the directory the sqlite file lives in.

    With a sqlite backend MLflow would otherwise write artifacts to `./mlruns` of whatever
    directory the process started in.
    """
    if urlparse(tracking_uri).scheme != "sqlite":
        return None
    database = Path(tracking_uri.removeprefix("sqlite:///")).resolve()
    return database.parent / "artifacts"


def use_tracking(tracking_uri: str, experiment_name: str = EXPERIMENT_NAME) -> str:
    """Point MLflow at `tracking_uri` and make the experiment the active one; return its id.

    The experiment is created with an explicit artifact location so runs never fall back to
    the `Default` experiment and its `./mlruns`.
    """
    artifact_root = local_artifact_root(tracking_uri)
    if artifact_root is not None:
        artifact_root.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    experiment = mlflow.get_experiment_by_name(experiment_name)
    experiment_id = (
        experiment.experiment_id
        if experiment is not None
        else mlflow.create_experiment(
            experiment_name,
            artifact_location=artifact_root.as_uri() if artifact_root is not None else None,
        )
    )
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


class AliasDecision(Protocol):
    """What `set_alias` needs of any model's promotion decision."""

    @property
    def alias(self) -> str:
        """`champion` or `challenger`."""
        ...

    @property
    def reason(self) -> str:
        """One line saying why."""
        ...


def champion_version(client: MlflowClient, model_name: str = REGISTERED_MODEL) -> str | None:
    """The version number the `champion` alias points at, or None before the first model."""
    try:
        return str(client.get_model_version_by_alias(model_name, CHAMPION).version)
    except MlflowException:
        return None


def load_version(version: str, model_name: str = REGISTERED_MODEL) -> Pipeline:
    """The sklearn pipeline of one registered version of `model_name`."""
    return mlflow.sklearn.load_model(f"models:/{model_name}/{version}")


def set_alias(
    client: MlflowClient,
    decision: AliasDecision,
    version: str,
    model_name: str = REGISTERED_MODEL,
) -> None:
    """Point the decided alias at `version` and tag the version with the decision."""
    client.set_registered_model_alias(model_name, decision.alias, version)
    client.set_model_version_tag(model_name, version, "promotion", decision.reason)
