"""MLflow as a Dagster resource: where runs are tracked and the booking model is registered."""

from functools import cache

import dagster as dg

from ml.registry import EXPERIMENT_NAME, use_tracking
from wedsync.settings import get_settings


class MlflowResource(dg.ConfigurableResource):
    """The MLflow tracking server / registry and the experiment the booking model logs to.

    `dagster-mlflow` ships a plain resource function, not a `ConfigurableResource`, so this one
    wraps what our assets need: one call that points MLflow at the configured server.
    """

    tracking_uri: str
    experiment_name: str = EXPERIMENT_NAME

    def activate(self, experiment_name: str | None = None) -> str:
        """Point MLflow at this server and an experiment (created if missing); return its id.

        The booking model's experiment unless another is named (the demand forecast has its own).
        """
        return use_tracking(self.tracking_uri, experiment_name or self.experiment_name)


@cache
def mlflow_resource() -> MlflowResource:
    """The MLflow resource configured from the environment (see `wedsync.settings`)."""
    return MlflowResource(tracking_uri=get_settings().mlflow_tracking_uri)
