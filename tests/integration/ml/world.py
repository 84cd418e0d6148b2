"""The throwaway ML world the integration tests share, and how they read what assets logged."""

from dataclasses import dataclass

import dagster as dg
import pandas as pd


@dataclass(frozen=True)
class MlWorld:
    """Resources pointing at a throwaway warehouse, landing dir and MLflow registry."""

    resources: dict[str, dg.ConfigurableResource]
    database_url: str
    enquiries: pd.DataFrame

    @property
    def open_enquiries(self) -> int:
        """How many synthetic enquiries are still open (what scoring must cover)."""
        return int((self.enquiries["outcome"] == "open").sum())

    @property
    def tracking_uri(self) -> str:
        """The MLflow tracking (and registry) URI of this world."""
        return self.resources["mlflow"].tracking_uri  # type: ignore[attr-defined]


def materialization_metadata(
    result: dg.ExecuteInProcessResult, key: dg.AssetKey
) -> dict[str, dg.MetadataValue]:
    """The metadata of the one materialization of `key` in `result`."""
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return event.materialization.metadata
